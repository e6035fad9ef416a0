package org.softclan.bench.waiting;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.softclan.bench.peers.Chart;
import org.softclan.bench.peers.MarkdownTable;
import org.softclan.bench.peers.PeerProcess;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Listener;
import org.softclan.vmmc.Vmmc;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vmmc bench waiting}: the competitive-waiting experiment (Damianakis's thesis; the Tripwire paper's wait
 * strategies): between two JVMs, a sender ({@link WaitingPeer}) sends 16-byte messages through a
 * {@link Connection} after gaps drawn from a range (fixed, or exponential with that mean), and this JVM receives
 * them one at a time with one {@link WaitStrategy} per run: polling, blocking in the kernel, and competitive
 * (spin, then block) with the default spin and with a spin tuned to the block cost measured at the start.
 *
 * <p>Per run: the receiving thread's CPU time per message ({@link ThreadMXBean#getCurrentThreadCpuTime()}
 * over the run, divided by the messages) and the latency of each message (its arrival in the handler minus
 * the sender's clock just before its send: the same monotonic clock). The <b>cost</b> of waiting for a
 * message is the CPU time spent plus the mean latency (the time the waiter burnt, and the time the message
 * waited for it; the transport's own sub-microsecond share is in every strategy's alike). The thesis's claim:
 * the competitive strategy costs at most about twice the better of the two pure strategies, whatever the gap.
 */
@Command(name = "waiting", mixinStandardHelpOptions = true,
    description = {"Between two JVMs, messages after gaps from 1 us to 10 ms (fixed and exponential); for each gap and"
        + " wait strategy the receiver's CPU time per message, the latency, and their sum (the cost) beside the better"
        + " of pure polling and pure blocking. Writes results.md and a chart per distribution (SVG)."})
public final class WaitingCommand implements Callable<Integer> {
    /** The strategy names a run accepts beyond {@link WaitStrategy#named(String)}'s. */
    static final String TUNED = "competitive-tuned";
    /** Messages of the block-cost calibration (fixed gaps of {@link #CALIBRATION_GAP_NANOS}). */
    private static final int CALIBRATION_MESSAGES = 1000;
    private static final long CALIBRATION_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    @Option(names = "--gaps", split = ",", paramLabel = "US", defaultValue = "1,10,30,100,300,1000,10000",
        description = "gaps between messages, microseconds (the mean for exponential gaps; default: ${DEFAULT-VALUE})")
    List<Double> gapsMicros;

    @Option(names = "--distributions", split = ",", defaultValue = "fixed,exponential",
        description = "fixed and/or exponential (default: ${DEFAULT-VALUE})")
    List<String> distributions;

    @Option(names = "--strategies", split = ",", defaultValue = "busy-spin,block,competitive,competitive-tuned",
        description = "wait strategies by name (busy-spin, block, competitive[:SPIN_NS], yield[:SPIN_NS],"
            + " park[:MIN_NS:MAX_NS], poll) or competitive-tuned (spin = the block cost measured first; default:"
            + " ${DEFAULT-VALUE})")
    List<String> strategies;

    @Option(names = "--seconds", defaultValue = "1", description = "about how long each run sends (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--min-messages", defaultValue = "200", description = "fewest messages per run (default: ${DEFAULT-VALUE})")
    int minMessages;

    @Option(names = "--max-messages", defaultValue = "20000", description = "most messages per run (default: ${DEFAULT-VALUE})")
    int maxMessages;

    @Option(names = "--out", paramLabel = "DIR", description = "where results go (default: bench-results/waiting-TIME)")
    Path out;

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private int serial;

    /** One run's figures. */
    record Run(String strategy, String distribution, long gapNanos, int messages, double cpuMicros, double meanMicros,
               double p50Micros, double p99Micros) {
        /** {@return CPU time per message plus mean latency, microseconds} */
        double cost() {
            return cpuMicros + meanMicros;
        }
    }

    @Override
    public Integer call() throws Exception {
        try {
            check();
            run();
            return 0;
        } catch (final IllegalArgumentException e) {
            System.err.println("waiting: " + e.getMessage());
            return 2;
        }
    }

    /** @throws IllegalArgumentException naming the options out of range */
    void check() {
        for (final double g : gapsMicros) {
            if (!(g > 0) || g > 1e6) {
                throw new IllegalArgumentException("--gaps " + g + ": microseconds, more than 0 and at most 1000000");
            }
            if (Math.round(g * 1e3) < 1) {
                throw new IllegalArgumentException("gap " + Math.round(g * 1e3) + " ns: from 1 ns to 1 s");
            }
        }
        for (final String d : distributions) {
            if (!d.equals("fixed") && !d.equals("exponential")) {
                throw new IllegalArgumentException("distribution '" + d + "': fixed or exponential");
            }
        }
        for (final String s : strategies) {
            if (!s.equals(TUNED)) {
                WaitStrategy.named(s);   // throws naming the choices
            }
        }
        if (minMessages < 1 || maxMessages < minMessages) {
            throw new IllegalArgumentException("messages per run from " + minMessages + " to " + maxMessages
                + ": need 1 <= min <= max");
        }
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException("seconds per run " + seconds + ": need a finite number > 0");
        }
    }

    /** @return the gaps of {@code --gaps} in nanoseconds */
    private List<Long> gapsNanos() {
        return gapsMicros.stream().map(g -> Math.round(g * 1e3)).toList();
    }

    /**
     * Runs the experiment, writes results.md and one chart per distribution into the directory of {@code --out},
     * and prints the report; progress goes to standard error.
     *
     * @return the runs, in the order made
     * @throws IOException if the sender JVM fails or the report cannot be written
     */
    List<Run> run() throws IOException {
        final Path dir = MarkdownTable.resultsDir(out, "waiting");
        final long t0 = System.nanoTime();
        final List<Run> runs = new ArrayList<>();
        final double blockCost;
        try (Fabric fabric = Fabric.createTemporary(); Endpoint ep = fabric.openEndpoint("waiting-receiver");
             PeerProcess sender = PeerProcess.start("waiting sender", List.of(), WaitingPeer.class,
                 List.of(fabric.root().toString()))) {
            // warm-up (the JIT compiles the paths of every strategy), then the calibration
            for (final String s : List.of("busy-spin", "block", "competitive")) {
                measure(ep, sender, s, WaitStrategy.named(s), "fixed", TimeUnit.MICROSECONDS.toNanos(20), 3000);
            }
            // the first wake-ups at a long gap cost more (measured: 100-120 us against 60-80 later): not counted
            measure(ep, sender, "block", WaitStrategy.block(), "fixed", CALIBRATION_GAP_NANOS, CALIBRATION_MESSAGES);
            final Run calibration = measure(ep, sender, "block", WaitStrategy.block(), "fixed", CALIBRATION_GAP_NANOS,
                CALIBRATION_MESSAGES);
            blockCost = calibration.cost();
            final long tunedSpin = Math.max(1_000, Math.round(blockCost * 1_000));
            System.err.printf(Locale.ROOT, "block-and-wake cost at a %d-us gap: %.1f us CPU + %.1f us latency = %.1f us;"
                + " tuned spin %d ns%n", CALIBRATION_GAP_NANOS / 1_000, calibration.cpuMicros(), calibration.meanMicros(),
                blockCost, tunedSpin);
            for (final String dist : distributions) {
                for (final long gap : gapsNanos()) {
                    final int n = (int) Math.max(minMessages, Math.min(maxMessages, seconds * 1e9 / gap));
                    for (final String s : strategies) {
                        final WaitStrategy strategy = s.equals(TUNED) ? WaitStrategy.competitive(tunedSpin) : WaitStrategy.named(s);
                        final Run r = measure(ep, sender, s, strategy, dist, gap, n);
                        runs.add(r);
                        System.err.printf(Locale.ROOT, "%s gap %s %-18s %6d messages: CPU %.2f us/msg, latency mean %.2f p50 %.2f"
                            + " p99 %.1f us, cost %.2f%n", dist, gapLabel(gap), s, n, r.cpuMicros(), r.meanMicros(),
                            r.p50Micros(), r.p99Micros(), r.cost());
                    }
                }
            }
            sender.exit();
        }
        final String md = report(runs, blockCost, (System.nanoTime() - t0) / 1e9);
        MarkdownTable.writeResults(dir, md);
        for (final String dist : distributions) {
            Files.writeString(dir.resolve("waiting-" + dist + ".svg"), chart(runs, dist), StandardCharsets.UTF_8);
        }
        return runs;
    }

    /** One run: a fresh connection whose receiver waits with {@code strategy}, {@code n} messages. */
    private Run measure(final Endpoint ep, final PeerProcess sender, final String name, final WaitStrategy strategy,
                        final String dist, final long gap, final int n) throws IOException {
        final String service = "wait" + (++serial);
        final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        final long[] seq = {0, 0};   // the next message's number expected, and messages out of order
        try (Listener l = Vmmc.listen(ep, service, new ConnectionContext().waitStrategy(strategy))) {
            sender.send("send " + service + " " + gap + " " + dist + " " + n + " " + (gap * 31 + serial));
            try (Connection c = l.accept(30, TimeUnit.SECONDS)) {
                final long cpu0 = threads.getCurrentThreadCpuTime();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                for (int got = 0; got < n; ) {
                    final int k = c.receive((buffer, offset, length) -> {
                        final long now = System.nanoTime();
                        if (length != WaitingPeer.MESSAGE || buffer.readLong(offset) != seq[0]) {
                            seq[1]++;
                        }
                        seq[0]++;
                        latency.recordValue(Math.max(0, Math.min(now - buffer.readLong(offset + 8), latency.getHighestTrackableValue())));
                    }, 1, 30, TimeUnit.SECONDS);
                    if (k > 0) {
                        got += k;
                        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    } else if (System.nanoTime() - deadline > 0) {   // (poll returns at once: the loop polls)
                        throw new IOException("no message within 30 s (" + got + " of " + n + " arrived)");
                    }
                }
                final long cpu = threads.getCurrentThreadCpuTime() - cpu0;
                sender.expect("OK");
                if (seq[1] != 0) {
                    throw new IOException(seq[1] + " messages arrived out of order or malformed");
                }
                return new Run(name, dist, gap, n, cpu / 1e3 / n, latency.getMean() / 1e3,
                    latency.getValueAtPercentile(50) / 1e3, latency.getValueAtPercentile(99) / 1e3);
            }
        }
    }

    static String gapLabel(final long nanos) {
        if (nanos % 1_000_000 == 0) {
            return nanos / 1_000_000 + " ms";
        }
        return nanos % 1_000 == 0 ? nanos / 1_000 + " us" : nanos + " ns";
    }

    private Map<Long, Map<String, Run>> byGap(final List<Run> runs, final String dist) {
        final Map<Long, Map<String, Run>> m = new LinkedHashMap<>();
        for (final Run r : runs) {
            if (r.distribution().equals(dist)) {
                m.computeIfAbsent(r.gapNanos(), g -> new LinkedHashMap<>()).put(r.strategy(), r);
            }
        }
        return m;
    }

    /** {@return the better pure strategy's cost at a gap (busy-spin or poll, and block), or NaN without both} */
    private static double bestPure(final Map<String, Run> atGap) {
        final Run block = atGap.get("block");
        Run spin = atGap.get("busy-spin");
        if (spin == null) {
            spin = atGap.get("poll");
        }
        return block == null || spin == null ? Double.NaN : Math.min(block.cost(), spin.cost());
    }

    private String report(final List<Run> runs, final double blockCost, final double seconds) {
        final StringBuilder md = new StringBuilder("# vmmc bench waiting\n\n");
        md.append(String.format(Locale.ROOT, "Two JVMs on this host (%d CPUs): 16-byte messages through a Connection,"
            + " received one at a time; per run the receiving thread's CPU time per message and each message's latency"
            + " (arrival minus the sender's clock at its send). Cost = CPU per message + mean latency, microseconds."
            + " Block-and-wake cost measured at the start: %.1f us (the tuned competitive spin). Whole run %.0f s.%n%n",
            Runtime.getRuntime().availableProcessors(), blockCost, seconds));
        for (final String dist : distributions) {
            md.append("## ").append(dist.equals("fixed") ? "Fixed gaps" : "Exponential gaps (the gap is the mean)")
                .append("\n\n| gap | strategy | messages | CPU us/msg | latency mean us | p50 | p99 | cost us |"
                    + " cost / better pure |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for (final Map.Entry<Long, Map<String, Run>> e : byGap(runs, dist).entrySet()) {
                final double best = bestPure(e.getValue());
                for (final Run r : e.getValue().values()) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.2f | %.2f | %.2f | %.1f | %.2f | %.2f |%n",
                        gapLabel(r.gapNanos()), r.strategy(), r.messages(), r.cpuMicros(), r.meanMicros(), r.p50Micros(),
                        r.p99Micros(), r.cost(), r.cost() / best));
                }
            }
            md.append('\n');
        }
        md.append("The thesis's claim: a competitive strategy costs at most about 2x the better pure strategy at every"
            + " gap. Worst ratio per competitive strategy:\n\n");
        for (final String s : strategies) {
            if (!s.startsWith("competitive")) {
                continue;
            }
            for (final String dist : distributions) {
                double worst = Double.NaN;
                String where = "";
                for (final Map.Entry<Long, Map<String, Run>> e : byGap(runs, dist).entrySet()) {
                    final Run r = e.getValue().get(s);
                    final double ratio = r == null ? Double.NaN : r.cost() / bestPure(e.getValue());
                    if (!Double.isNaN(ratio) && (Double.isNaN(worst) || ratio > worst)) {
                        worst = ratio;
                        where = gapLabel(e.getKey());
                    }
                }
                md.append(String.format(Locale.ROOT, "- %s, %s gaps: %.2fx (at %s)%n", s, dist, worst, where));
            }
        }
        return md.toString();
    }

    private String chart(final List<Run> runs, final String dist) {
        final Map<Long, Map<String, Run>> m = byGap(runs, dist);
        final double[] xs = m.keySet().stream().mapToDouble(g -> g / 1e3).toArray();
        final List<Chart.Series> series = new ArrayList<>();
        for (final String s : strategies) {
            final double[] ys = m.values().stream().mapToDouble(at -> at.containsKey(s) ? at.get(s).cost() : Double.NaN)
                .toArray();
            series.add(new Chart.Series(s, xs, ys));
        }
        return Chart.svg("Cost of waiting for a message, " + dist + " gaps", "gap between messages (us)",
            "CPU per message + mean latency (us)", Chart.Axes.LOG_LOG, series);
    }
}
