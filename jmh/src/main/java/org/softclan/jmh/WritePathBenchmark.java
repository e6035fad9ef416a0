package org.softclan.jmh;

import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.BytesStore;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.SnoopHook;

/**
 * The cost of the NIC write path (programmed I/O through an {@link OutboundMapping}) against a raw
 * Chronicle store over the same memory.
 *
 * <p>Each trial creates a temporary fabric in which endpoint {@code owner} exports a 1 MiB region and
 * endpoint {@code importer} imports it. The baseline writes through {@link InboundMapping#localBytes()},
 * a Chronicle {@link BytesStore} over the region's data area; the PIO benchmarks write the same bytes
 * of the same region through the importer's {@link OutboundMapping}, so both sides store to the same
 * shared mapping and differ only in the code in front of the store. Everything is closed when the
 * trial ends.
 *
 * <ul>
 *   <li>{@code rawOrderedLong}: {@code BytesStore.writeOrderedLong(offset, v)}, a release store of
 *       8 bytes with no checks beyond Chronicle's own (the baseline for the single-word write).</li>
 *   <li>{@code pioOrderedLong}: {@link OutboundMapping#putLongOrdered(long, long)} at the same offset:
 *       bounds and alignment checks, the region-state and DMA-drain checks, the store, then the snoop
 *       hook.</li>
 *   <li>{@code rawBulk4k}: {@code BytesStore.write(offset, src, srcOffset, 4096)}, a 4 KiB copy from a
 *       native Chronicle store into the region (the baseline for the bulk write).</li>
 *   <li>{@code pioBulk4k}: {@link OutboundMapping#put(long, BytesStore, long, long)} of the same
 *       4 KiB from the same native source.</li>
 * </ul>
 *
 * <p>Both ends of the bulk copy are page aligned, so every fork copies with the same alignment (a
 * source left to {@code malloc} lands at a different offset in its page from one fork to the next).
 *
 * <p>The PIO benchmarks run twice, selected by the {@code hook} parameter: {@code none} with no snoop
 * hook installed (the write path reads the hook field and skips the call), and {@code noop} with an
 * idle hook installed, one whose body is empty, so the path makes both calls (outbound and inbound)
 * and the result shows what merely having a hook costs. The word written changes on every call, so
 * no two stores are the same; the bulk copies always copy the same bytes, which is fine because a copy
 * into native memory is never eliminated by the compiler.
 *
 * <p>Results are average time per operation in nanoseconds. The ratios of interest are
 * {@code pioOrderedLong / rawOrderedLong} and {@code pioBulk4k / rawBulk4k} for each hook setting.
 * Each 8-byte write is one benchmark call, so the harness's per-call work runs alongside the write
 * path's checks and hides part of them; {@link PioBurstBenchmark} issues the same writes back to back.
 * To run (from the project root; about two minutes):
 *
 * <pre>
 * mvn -q -pl jmh -am package -DskipTests &amp;&amp; java -jar jmh/target/jmh.jar WritePath -rf json -rff target/jmh-writepath.json
 * </pre>
 *
 * <p>The jar's main ({@link JmhMain}) gives every forked JVM the flags Chronicle Bytes needs; the usual
 * JMH options ({@code -f}, {@code -wi}, {@code -i}, {@code -p hook=noop}, {@code -prof gc}) apply.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(2)
public class WritePathBenchmark {
    /** Bytes in the region's data area. */
    static final long REGION_SIZE = 1L << 20;
    /** Bytes per bulk write. */
    static final int BULK_LENGTH = 4096;
    /** Where the single-word benchmarks write: 8-byte aligned, on its own cache line. */
    static final long WORD_OFFSET = 64;
    /** Where the bulk benchmarks write: page aligned, clear of the word. */
    static final long BULK_OFFSET = 4096;
    /** The page size the bulk source is aligned to. */
    static final int PAGE = 4096;

    /** A snoop hook that is installed and called but does nothing. */
    static final SnoopHook IDLE_HOOK = (mapping, offset, length, direction) -> {
    };

    /**
     * The fabric, both endpoints, both mappings of the region, the raw Chronicle view of it and the
     * native source of the bulk writes, with no snoop hook on the outbound mapping. Per thread, so
     * every Chronicle store is created and used on the benchmark thread.
     */
    @State(Scope.Thread)
    public static class Region {
        Fabric fabric;
        Endpoint owner;
        Endpoint importer;
        InboundMapping inbound;
        OutboundMapping outbound;
        BytesStore<?, Void> raw;
        /** Native memory holding the bulk source: {@link #BULK_LENGTH} bytes from {@link #srcOffset}. */
        BytesStore<?, Void> src;
        /** Where in {@link #src} the page-aligned source starts. */
        long srcOffset;
        /** Changes on every write so no two stores write the same value. */
        long value;

        @Setup(Level.Trial)
        public void open() {
            fabric = Fabric.createTemporary();
            owner = fabric.openEndpoint("owner");
            importer = fabric.openEndpoint("importer");
            inbound = owner.export("write-path", REGION_SIZE);
            outbound = importer.importRegion("write-path");
            outbound.snoopHook(hook());
            raw = inbound.localBytes();
            src = BytesStore.nativeStoreWithFixedCapacity(BULK_LENGTH + PAGE);
            srcOffset = -src.addressForRead(0) & (PAGE - 1);
            for (int i = 0; i < BULK_LENGTH; i++) {
                src.writeByte(srcOffset + i, (byte) (i * 31 + 7));
            }
        }

        /** @return the snoop hook to install on the outbound mapping, or {@code null} for none */
        SnoopHook hook() {
            return null;
        }

        @TearDown(Level.Trial)
        public void close() {
            try {
                src.releaseLast();
                raw.releaseLast();
            } finally {
                fabric.close();
            }
        }
    }

    /**
     * {@link Region} with the outbound mapping's snoop hook chosen by the {@code hook} parameter:
     * {@code none}, or {@code noop} (installed, idle). A subclass rather than a second state, so the
     * hook is installed on the very mapping the benchmark writes through.
     */
    @State(Scope.Thread)
    public static class HookedRegion extends Region {
        @Param({"none", "noop"})
        public String hook;

        @Override
        SnoopHook hook() {
            switch (hook) {
                case "none":
                    return null;
                case "noop":
                    return IDLE_HOOK;
                default:
                    throw new IllegalArgumentException("hook must be none or noop, not " + hook);
            }
        }
    }

    /** Release store of 8 bytes through the raw Chronicle store (baseline). */
    @Benchmark
    public void rawOrderedLong(final Region r) {
        r.raw.writeOrderedLong(WORD_OFFSET, ++r.value);
    }

    /** Release store of 8 bytes through the NIC write path. */
    @Benchmark
    public void pioOrderedLong(final HookedRegion r) {
        r.outbound.putLongRelease(WORD_OFFSET, ++r.value);
    }

    /** 4 KiB copy from native memory into the raw Chronicle store (baseline). */
    @Benchmark
    public void rawBulk4k(final Region r) {
        r.raw.write(BULK_OFFSET, r.src, r.srcOffset, BULK_LENGTH);
    }

    /** 4 KiB copy from the same native memory through the NIC write path. */
    @Benchmark
    public void pioBulk4k(final HookedRegion r) {
        r.outbound.put(BULK_OFFSET, r.src, r.srcOffset, BULK_LENGTH);
    }
}
