package org.softclan.bench.peers;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmmc bench pingpong}: round-trip latency of one transport ({@link Transports}) between this JVM
 * and an echo JVM ({@link PingPongRunner}), printed as a Markdown table of p50, p90, p99, p99.9 and max in
 * microseconds. Defaults: a 32-byte payload; a warm-up of at least {@value #FAST_WARMUP} round trips and
 * at least {@value #WARMUP_SECONDS} s (whichever ends later: the count alone takes a few milliseconds for
 * the fast transports, before the JIT has compiled the loops), then {@value #FAST_ITERATIONS} measured round
 * trips; {@value #SLOW_WARMUP} and {@value #SLOW_ITERATIONS} for the transports that wake a thread through
 * the kernel ({@link PeerTransport#slow()}). The measurement stops after {@code --max-seconds} and the
 * warm-up after a third of that. {@code --rate N} charges each round trip from its intended send time
 * (coordinated omission corrected); {@code --out DIR} writes the percentile distribution as {@code DIR/T.hgrm}.
 */
@Command(name = "pingpong", mixinStandardHelpOptions = true,
    description = {"Round-trip latency of one transport between this JVM and an echo JVM.",
        "Transports: raw, tripwire-spin, tripwire-block, futex, queue, rpc, aeron-ipc, tcp, uds, tcp-spin, uds-spin;"
            + " also tripwire-yield, tripwire-competitive, tripwire-park, rpc-competitive.",
        "The warm-up runs for at least --warmup round trips and at least --warmup-seconds, whichever ends later."})
public final class PingPongCommand implements Callable<Integer> {
    static final int FAST_WARMUP = 20_000;
    static final int FAST_ITERATIONS = 100_000;
    static final int SLOW_WARMUP = 5_000;
    static final int SLOW_ITERATIONS = 20_000;
    static final double WARMUP_SECONDS = 1.0;
    static final double MAX_SECONDS = 30;

    @Option(names = "--transport", required = true, paramLabel = "T", description = "the transport")
    String transport;

    @Option(names = "--size", defaultValue = "32", paramLabel = "BYTES",
        description = "payload bytes each way, 8..262144 (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--warmup", paramLabel = "N", description = "at least N round trips before measuring (default:"
        + " 20000, 5000 for tripwire-block, futex, tripwire-competitive, tripwire-park, rpc-competitive and the"
        + " sockets)")
    Integer warmup;

    @Option(names = "--warmup-seconds", defaultValue = "1.0", paramLabel = "S", description = "and warm up for at least"
        + " S seconds (0: the count alone); capped at a third of --max-seconds (default: ${DEFAULT-VALUE})")
    double warmupSeconds;

    @Option(names = "--iterations", paramLabel = "N", description = "measured round trips (default: 100000, 20000"
        + " for tripwire-block, futex, tripwire-competitive, tripwire-park, rpc-competitive and the sockets)")
    Integer iterations;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "N", description = "send at a fixed N messages/s and"
        + " time each round trip from its intended send time (default: back to back)")
    long rate;

    @Option(names = "--max-seconds", defaultValue = "30", paramLabel = "S",
        description = "time cap of the measurement; the warm-up gets a third (default: ${DEFAULT-VALUE})")
    double maxSeconds;

    @Option(names = "--out", paramLabel = "DIR", description = "write the percentile distribution to DIR/T.hgrm")
    Path out;

    @Option(names = "--result-file", hidden = true, paramLabel = "FILE",
        description = "write the result (histogram included) for bench compare")
    Path resultFile;

    /** @return the JVM, the CPU count and the OS, on one line */
    static String host() {
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + ", "
            + Runtime.getRuntime().availableProcessors() + " CPUs, " + System.getProperty("os.name") + " "
            + System.getProperty("os.version") + ", " + gc() + (preTouched() ? ", heap pre-touched"
            : ", heap NOT pre-touched (first touches of heap pages show as microsecond outliers)");
    }

    /** @return the names of the garbage collectors of this JVM */
    static String gc() {
        final StringBuilder b = new StringBuilder();
        for (final java.lang.management.GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            b.append(b.length() == 0 ? "" : " + ").append(g.getName());
        }
        return b.toString();
    }

    /**
     * Whether this JVM touched its whole heap at start ({@code -XX:+AlwaysPreTouch}, which the launcher
     * sets for bench commands and the harness passes on to the JVMs it starts). Without it, a
     * collector that hands out heap regions never used before (G1, ZGC) makes the kernel zero a fresh
     * page every few kilobytes allocated: measured here, about 2 us on one round trip in 25 of the rpc
     * transport, which allocates per call.
     */
    static boolean preTouched() {
        try {
            return "true".equals(ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                .getVMOption("AlwaysPreTouch").getValue());
        } catch (final RuntimeException e) {
            return false;
        }
    }

    @Override
    public Integer call() throws Exception {
        final PeerTransport t;
        final PingPongRunner.Settings s;
        try {
            t = Transports.byName(transport);
            Payload.checkSize(size);
            if (!(warmupSeconds >= 0) || Double.isInfinite(warmupSeconds)) {
                throw new IllegalArgumentException("--warmup-seconds " + warmupSeconds + ": need a finite number >= 0");
            }
            s = new PingPongRunner.Settings(t, size, warmup != null ? warmup : t.slow() ? SLOW_WARMUP : FAST_WARMUP,
                warmupSeconds, iterations != null ? iterations : t.slow() ? SLOW_ITERATIONS : FAST_ITERATIONS, rate,
                maxSeconds);
        } catch (final IllegalArgumentException e) {
            System.err.println("pingpong: " + e.getMessage());
            return 2;
        }
        final PingPongResult r = PingPongRunner.run(s, System.err);
        System.out.println("# " + t.name() + ": " + t.description());
        System.out.printf(java.util.Locale.ROOT, "# %s; load average %.2f%n", host(),
            CompareCommand.loadAverage());
        System.out.println("# " + r.summary());
        System.out.println();
        System.out.print(LatencyTable.markdown(r));
        if (out != null) {
            Files.createDirectories(out);
            final Path hgrm = out.resolve(t.name() + ".hgrm");
            Files.writeString(hgrm, r.percentileDistribution(), StandardCharsets.UTF_8);
            System.out.println();
            System.out.println("wrote " + hgrm);
        }
        if (resultFile != null) {
            r.write(resultFile);
        }
        return 0;
    }
}
