package org.softclan.jmh;

import java.util.concurrent.TimeUnit;

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
import org.softclan.tripwire.EventHandler;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.os.Futex;
import org.softclan.tripwire.os.Membarrier;

/**
 * What the Tripwire unit costs a single thread: on every write (the snoop), on a write that fires a
 * tripwire, and to arm one.
 *
 * <p>Every state creates a temporary fabric in which endpoint {@code owner} exports a region, arms
 * tripwires on it with its {@link TripwireUnit}, and endpoint {@code writer} (same JVM) imports it:
 * the writer's {@link OutboundMapping} gets the Tripwire snoop hook from the service provider, as in
 * any process, and matches its writes against the region's shared table (the region's sidecar).
 * Everything is closed when the trial ends.
 *
 * <h2>The write path (snoop cost)</h2>
 * One op is one {@link OutboundMapping#putLongOrdered(long, long)} to an unwatched word.
 * <ul>
 *   <li>{@code writeNoHook}: the baseline, through a mapping whose snoop hook was removed
 *       ({@code snoopHook(null)}): bounds, alignment and region-state checks, the release store,
 *       and a null check of the hook.</li>
 *   <li>{@code writeUnwatched}: the same store through a hooked mapping, with {@code tripwires}
 *       (0, 1 or 10^6) armed elsewhere in the region. The hook runs twice (outbound, then inbound);
 *       the inbound call loads one word of the presence bitmap and finds no bit set for the line.
 *       <b>Snoop cost = writeUnwatched - writeNoHook.</b></li>
 *   <li>{@code writeNoHookScattered} and {@code writeUnwatchedScattered}: the same, but each write
 *       goes to a different unwatched line spread over the whole 128 MiB region (a full-period
 *       permutation of its odd lines), so the data store and the bitmap load miss the caches and
 *       the TLB as they would for a large working set.</li>
 * </ul>
 * The region is 128 MiB (2^21 cache lines) with a sidecar sized for 10^6 tripwires whatever the
 * parameter; tripwire {@code i} watches the word at {@code 128 * i}, so with 10^6 armed every even
 * line carries one and the unwatched words (odd lines) share their bitmap words with armed lines.
 * Arming 10^6 tripwires takes a while in setup (printed).
 *
 * <h2>The fired path</h2>
 * <ul>
 *   <li>{@code firedEventPoll}: a write to a word watched by a persistent {@link Tripwire#EVENT}
 *       tripwire, then {@link org.softclan.tripwire.EventQueue#poll} of the event in the same thread:
 *       the match (bitmap, hash, entry), the post (a CAS on the queue's tail, the slot, the release of
 *       its sequence, the waiter check) and the poll.</li>
 *   <li>{@code firedCounter}: a write to a word watched by a persistent {@link Tripwire#COUNTER}-only
 *       tripwire: the match and one atomic add, no queue.</li>
 * </ul>
 * <b>Event post + poll = firedEventPoll - firedCounter</b> (plus the atomic add the counter does and
 * the event does not); <b>matching a fired tripwire = firedCounter - writeUnwatched</b> (minus that
 * add). The tear-down checks that every write fired exactly once (events polled, counts).
 *
 * <h2>Arming</h2>
 * <ul>
 *   <li>{@code armDisarm}: {@link TripwireUnit#arm} of a persistent word tripwire on the owner's
 *       inbound mapping, then {@link Tripwire#disarm()}.</li>
 *   <li>{@code armAndCheckDisarm}: {@link TripwireUnit#armAndCheck} (arm, a global memory barrier,
 *       a re-read of the word), then disarm.</li>
 *   <li>{@code globalBarrier}: {@link Membarrier#globalBarrier()} alone, the part of armAndCheck
 *       that arm does not have.</li>
 *   <li>{@code armAndCheckDisarmBusy}, {@code globalBarrierBusy}: the same while another thread of
 *       this (registered) JVM spins on the other CPU, as a writer would: the expedited barrier then
 *       interrupts that CPU. Without it no other registered thread runs and the barrier is only
 *       the system call.</li>
 * </ul>
 *
 * <p>Results are average time per operation in nanoseconds, one fork each (the figures are for
 * comparison on one machine, not absolute). To run (a few minutes):
 *
 * <pre>
 * mvn -q -pl jmh -am package -DskipTests
 * java $FLAGS -cp jmh/target/jmh.jar org.openjdk.jmh.Main TripwireBenchmark -rf json -rff /tmp/tw-jmh.json
 * </pre>
 *
 * where {@code $FLAGS} is the root pom's {@code softclan.jvm.flags}: JMH gives forked JVMs the host
 * JVM's flags unless told otherwise. A jar main that appends those flags to the forks itself works
 * as well ({@code java -jar jmh.jar TripwireBenchmark}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(1)
public class TripwireBenchmark {
    /** Data bytes of the snoop benchmarks' region: 2^21 cache lines. */
    static final long BIG_REGION = 128L << 20;
    /** Tripwires the big region's table is sized for, whatever the parameter. */
    static final int BIG_TABLE = 1_000_000;
    /** Distance between two armed words: every other cache line. */
    static final long ARM_STRIDE = 128;
    /** The unwatched word of {@code writeUnwatched}: line 1, between the tripwires at 0 and 128. */
    static final long UNWATCHED_WORD = 64;
    /** Odd lines of the big region, a power of two: the scattered writes cycle through them. */
    static final int ODD_LINES = (int) (BIG_REGION / ARM_STRIDE);
    /** An odd step, so {@code i -> (i + STEP) mod ODD_LINES} visits every odd line once per cycle. */
    static final int SCATTER_STEP = 0x9E3779B1 & (ODD_LINES - 1) | 1;

    /** Data bytes of the fired-path and arming regions (default sidecar: 1024 tripwires). */
    static final long SMALL_REGION = 4096;
    /** Watched by a persistent EVENT tripwire. */
    static final long EVENT_WORD = 64;
    /** Watched by a persistent COUNTER tripwire, on another line. */
    static final long COUNTER_WORD = 128;
    /** Armed and disarmed by the arming benchmarks. */
    static final long ARM_WORD = 192;

    /** Odd-line offsets of the big region, visited in a scattered order. */
    static final class Scatter {
        private int index;

        long next() {
            index = (index + SCATTER_STEP) & (ODD_LINES - 1);
            return UNWATCHED_WORD + ARM_STRIDE * index;
        }
    }

    /** Touches every page of the mapping (an odd line of each) so no page fault is measured. */
    static void prefault(final OutboundMapping mapping) {
        for (long page = 0; page < mapping.size(); page += 4096) {
            mapping.putLongRelease(page + UNWATCHED_WORD, 0);
        }
    }

    static void checkHooked(final OutboundMapping mapping) {
        if (mapping.snoopHook() == null || !mapping.snoopHook().getClass().getName().endsWith(".TripwireSnoop")) {
            throw new IllegalStateException("outbound mapping has snoop hook " + mapping.snoopHook()
                + ", not the Tripwire unit's: is the tripwire module's service provider on the class path?");
        }
    }

    // ------------------------------------------------------------------------------------ states

    /** The big region with {@code tripwires} armed on even lines, and a hooked writer's mapping. */
    @State(Scope.Thread)
    public static class Snooped {
        /** How many tripwires are armed elsewhere in the region. */
        @Param({"0", "1", "1000000"})
        int tripwires;

        Fabric fabric;
        TripwireUnit unit;
        OutboundMapping out;
        final Scatter scatter = new Scatter();
        long value;

        @Setup(Level.Trial)
        public void open() {
            fabric = Fabric.createTemporary();
            final Endpoint owner = fabric.openEndpoint("owner");
            final Endpoint writer = fabric.openEndpoint("writer");
            unit = TripwireUnit.open(owner);
            final InboundMapping in = owner.export("snoop", BIG_REGION, 0,
                TripwireUnit.sidecarBytes(BIG_REGION, BIG_TABLE));
            final long t0 = System.nanoTime();
            for (int i = 0; i < tripwires; i++) {
                unit.arm(in, Tripwire.Options.word(ARM_STRIDE * i));
            }
            final long armNanos = System.nanoTime() - t0;
            out = writer.importRegion("snoop");
            checkHooked(out);
            prefault(out);
            System.out.printf("%n[setup] %d tripwires armed in %.1f s (%.1f us each); membarrier: %s%n", tripwires,
                armNanos / 1e9, tripwires == 0 ? 0 : armNanos / 1e3 / tripwires, Membarrier.describe());
        }

        @TearDown(Level.Trial)
        public void close() {
            unit.close();
            fabric.close();
        }
    }

    /** The big region with nothing armed, imported by a mapping whose snoop hook is removed. */
    @State(Scope.Thread)
    public static class Unhooked {
        Fabric fabric;
        OutboundMapping out;
        final Scatter scatter = new Scatter();
        long value;

        @Setup(Level.Trial)
        public void open() {
            fabric = Fabric.createTemporary();
            final Endpoint owner = fabric.openEndpoint("owner");
            final Endpoint plain = fabric.openEndpoint("plain");
            owner.export("snoop", BIG_REGION, 0, TripwireUnit.sidecarBytes(BIG_REGION, BIG_TABLE));
            out = plain.importRegion("snoop");
            out.snoopHook(null);
            prefault(out);
        }

        @TearDown(Level.Trial)
        public void close() {
            fabric.close();
        }
    }

    /** Keeps the last event polled. */
    static final class LastEvent implements EventHandler {
        long value;

        @Override
        public void onEvent(final long sequence, final long tripwireId, final long cookie, final int regionId,
                            final long offset, final long length, final long v) {
            this.value = v;
        }
    }

    /** A small region with a persistent EVENT tripwire and a persistent COUNTER tripwire. */
    @State(Scope.Thread)
    public static class Fired {
        Fabric fabric;
        TripwireUnit unit;
        OutboundMapping out;
        Tripwire event;
        Tripwire counter;
        final LastEvent handler = new LastEvent();
        long eventWrites;
        long polled;
        long counterWrites;

        @Setup(Level.Trial)
        public void open() {
            fabric = Fabric.createTemporary();
            final Endpoint owner = fabric.openEndpoint("owner");
            final Endpoint writer = fabric.openEndpoint("writer");
            unit = TripwireUnit.open(owner);
            final InboundMapping in = owner.export("fired", SMALL_REGION);
            event = unit.arm(in, Tripwire.Options.word(EVENT_WORD).persistent().actions(Tripwire.EVENT));
            counter = unit.arm(in, Tripwire.Options.word(COUNTER_WORD).persistent().actions(Tripwire.COUNTER));
            out = writer.importRegion("fired");
            checkHooked(out);
        }

        @TearDown(Level.Trial)
        public void close() {
            try {
                if (polled != eventWrites || handler.value != eventWrites && eventWrites != 0) {
                    throw new IllegalStateException(eventWrites + " writes to the event word but " + polled
                        + " events polled, last value " + handler.value);
                }
                if (counter.count() != counterWrites) {
                    throw new IllegalStateException(counterWrites + " writes to the counter word but the counter is "
                        + counter.count());
                }
                if (unit.events().overflowCount() != 0 || event.lost() != 0) {
                    throw new IllegalStateException("event queue overflowed: " + unit.events());
                }
            } finally {
                unit.close();
                fabric.close();
            }
        }
    }

    /** A small region whose owner arms and disarms one word; the JVM is registered for membarrier. */
    @State(Scope.Thread)
    public static class Arming {
        Fabric fabric;
        TripwireUnit unit;
        InboundMapping in;
        /** Reused: a tripwire keeps its options, and each one is disarmed before the next arm. */
        final Tripwire.Options options = Tripwire.Options.word(ARM_WORD);

        @Setup(Level.Trial)
        public void open() {
            fabric = Fabric.createTemporary();
            final Endpoint owner = fabric.openEndpoint("owner");
            final Endpoint writer = fabric.openEndpoint("writer");
            unit = TripwireUnit.open(owner);
            in = owner.export("arming", SMALL_REGION);
            // a writer's mapping in this JVM: its snoop hook registers the process for membarrier
            checkHooked(writer.importRegion("arming"));
            if (!Membarrier.registerGlobalExpedited()) {
                System.out.println("[setup] membarrier registration failed: writers fence; " + Membarrier.describe());
            }
            System.out.printf("%n[setup] membarrier: %s; futex: %s%n", Membarrier.describe(), Futex.describe());
        }

        @TearDown(Level.Trial)
        public void close() {
            unit.close();
            fabric.close();
        }
    }

    /** Another thread of this JVM spinning on the other CPU for the whole trial, as a busy writer would. */
    @State(Scope.Benchmark)
    public static class Spinner {
        private volatile boolean stop;
        private Thread thread;

        @Setup(Level.Trial)
        public void start() {
            Membarrier.registerGlobalExpedited();
            thread = new Thread(() -> {
                while (!stop) {
                    Thread.onSpinWait();
                }
            }, "spinning-writer");
            thread.setDaemon(true);
            thread.start();
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }
    }

    // ------------------------------------------------------------------------------- write path

    /** Baseline: an ordered 8-byte write through a mapping with no snoop hook. */
    @Benchmark
    public void writeNoHook(final Unhooked s) {
        s.out.putLongRelease(UNWATCHED_WORD, ++s.value);
    }

    /** The same write through a hooked mapping, to a word no tripwire watches. */
    @Benchmark
    public void writeUnwatched(final Snooped s) {
        s.out.putLongRelease(UNWATCHED_WORD, ++s.value);
    }

    /** Baseline over the whole region: each write to another odd line, no snoop hook. */
    @Benchmark
    public void writeNoHookScattered(final Unhooked s) {
        s.out.putLongRelease(s.scatter.next(), ++s.value);
    }

    /** Hooked writes over the whole region, each to another unwatched line. */
    @Benchmark
    public void writeUnwatchedScattered(final Snooped s) {
        s.out.putLongRelease(s.scatter.next(), ++s.value);
    }

    // ------------------------------------------------------------------------------- fired path

    /** A write that fires a persistent EVENT tripwire, then the poll of its event. */
    @Benchmark
    public int firedEventPoll(final Fired s) {
        s.out.putLongRelease(EVENT_WORD, ++s.eventWrites);
        final int n = s.unit.events().poll(s.handler, 1);
        s.polled += n;
        return n;
    }

    /** A write that fires a persistent COUNTER-only tripwire. */
    @Benchmark
    public void firedCounter(final Fired s) {
        s.out.putLongRelease(COUNTER_WORD, ++s.counterWrites);
    }

    // ----------------------------------------------------------------------------------- arming

    /** Arms a persistent word tripwire, then disarms it. */
    @Benchmark
    public long armDisarm(final Arming s) {
        final Tripwire t = s.unit.arm(s.in, s.options);
        t.disarm();
        return t.id();
    }

    /** armAndCheck (arm, global barrier, re-read), then disarm. */
    @Benchmark
    public long armAndCheckDisarm(final Arming s) {
        final TripwireUnit.Armed a = s.unit.armAndCheck(s.in, s.options, 0);
        a.tripwire().disarm();
        return a.current();
    }

    /** The global memory barrier alone. */
    @Benchmark
    public void globalBarrier(final Arming s) {
        Membarrier.globalBarrier();
    }

    /** armAndCheck then disarm, while another registered thread spins. */
    @Benchmark
    public long armAndCheckDisarmBusy(final Arming s, final Spinner spinner) {
        final TripwireUnit.Armed a = s.unit.armAndCheck(s.in, s.options, 0);
        a.tripwire().disarm();
        return a.current();
    }

    /** The global memory barrier alone, while another registered thread spins. */
    @Benchmark
    public void globalBarrierBusy(final Arming s, final Spinner spinner) {
        Membarrier.globalBarrier();
    }
}
