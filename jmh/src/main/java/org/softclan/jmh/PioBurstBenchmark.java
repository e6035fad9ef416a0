package org.softclan.jmh;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;
import org.softclan.jmh.WritePathBenchmark.HookedRegion;
import org.softclan.jmh.WritePathBenchmark.Region;

/**
 * The ordered 8-byte write of {@link WritePathBenchmark}, issued back to back: {@value #BURST} writes
 * per benchmark call, results per write. Same fixture, same offset, same {@code hook} parameter.
 *
 * <p>In {@code WritePathBenchmark} each write is one benchmark call, and the harness's own work per
 * call (its loop, its stop flag, the counter kept in the state object) takes about as long as the
 * write; the write path's checks run alongside it and mostly disappear. Here the counter stays in a
 * register and nothing else happens between writes, so the time per write is the store plus whatever
 * the path in front of it costs: this is the upper bound of the write path's overhead for a thread
 * that does nothing but write, as {@code WritePathBenchmark} is the lower bound.
 *
 * <pre>
 * mvn -q -pl jmh -am package -DskipTests &amp;&amp; java -jar jmh/target/jmh.jar PioBurst -rf json -rff target/jmh-pioburst.json
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(2)
public class PioBurstBenchmark {
    /** Writes per benchmark call. */
    static final int BURST = 64;

    /** {@value #BURST} release stores through the raw Chronicle store (baseline). */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void rawOrderedLongBurst(final Region r) {
        long v = r.value;
        for (int i = 0; i < BURST; i++) {
            r.raw.writeOrderedLong(WritePathBenchmark.WORD_OFFSET, ++v);
        }
        r.value = v;
    }

    /** {@value #BURST} release stores through the NIC write path. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void pioOrderedLongBurst(final HookedRegion r) {
        long v = r.value;
        for (int i = 0; i < BURST; i++) {
            r.outbound.putLongRelease(WritePathBenchmark.WORD_OFFSET, ++v);
        }
        r.value = v;
    }
}
