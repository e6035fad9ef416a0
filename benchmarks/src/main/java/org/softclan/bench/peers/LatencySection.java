package org.softclan.bench.peers;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.softclan.bench.BenchMain;

/**
 * The round-trip latency section of {@code bench compare}: runs {@code bench pingpong} for each transport
 * in a fresh JVM (which starts its own echo JVM), in several rounds, reads the results back, and writes
 * {@code latency.csv}, {@code latency.svg} (percentile chart) and {@code TRANSPORT.hgrm} per transport;
 * each run's own output goes to {@code TRANSPORT-rROUND.log}.
 *
 * <p><b>Rounds.</b> This machine's figures for one transport move between runs seconds apart (by where
 * the scheduler places the two JVMs' threads), so one run per transport is not a figure to compare. In
 * each round every transport runs once; round {@code r} (from 0) starts at transport {@code r mod n} of
 * the {@code n} chosen and runs them in order, forward in even rounds and backward in odd ones
 * ({@link #schedule}): plain rotation would keep each transport right after the same neighbour in every
 * round that does not start with it, and so would charge a lingering effect of that neighbour to it
 * each time. The table gives the median over the rounds of each percentile, the range of p50, and the
 * ratio of the median p50s to raw's; the chart and the {@code .hgrm} files add up every round's
 * histogram. A round that fails is shown as failed in its transport's row, the medians being over the
 * rounds that worked.
 */
final class LatencySection implements CompareSection {
    /** Runs one transport for one round, returning its result or why it has none. */
    @FunctionalInterface
    interface RoundRunner {
        /**
         * @param run       the section's settings
         * @param transport the transport's name
         * @param round     the round, from 1
         */
        LatencyTable.Row run(Run run, String transport, int round) throws Exception;
    }

    private final RoundRunner runner;
    private final Map<String, LatencyTable.Row[]> outcomes = new LinkedHashMap<>();
    private final List<Path> files = new ArrayList<>();
    private int rounds;
    private String settings = "";

    /** A section that runs each transport in fresh JVMs ({@code bench pingpong}). */
    LatencySection() {
        this(null);
    }

    /** @param runner what runs one transport for one round (tests give a simulated one); null for JVMs */
    LatencySection(final RoundRunner runner) {
        this.runner = runner != null ? runner : this::runInJvms;
    }

    @Override
    public String title() {
        return "Round-trip latency";
    }

    /**
     * The order of every round: round {@code r} (from 0) starts at transport {@code r mod n} and goes
     * forward through the list (wrapping round) in even rounds, backward in odd ones.
     *
     * @param transports the transports, in the order chosen
     * @param rounds     how many rounds, at least 1
     * @return one list per round, each a permutation of {@code transports}
     */
    static List<List<String>> schedule(final List<String> transports, final int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds " + rounds + ": need at least 1");
        }
        final int n = transports.size();
        final List<List<String>> order = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            final List<String> round = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                round.add(transports.get(Math.floorMod(r % 2 == 0 ? r + i : r - i, n)));
            }
            order.add(round);
        }
        return order;
    }

    /** Starts a table of {@code rounds} rounds of {@code transports} (in table order), none recorded yet. */
    void begin(final List<String> transports, final int rounds) {
        this.rounds = rounds;
        outcomes.clear();
        for (final String t : transports) {
            outcomes.put(t, new LatencyTable.Row[rounds]);
        }
    }

    /** Records a transport's outcome in round {@code round} (from 1). */
    void record(final String transport, final int round, final LatencyTable.Row row) {
        final LatencyTable.Row[] r = outcomes.get(transport);
        if (r == null || round < 1 || round > r.length) {
            throw new IllegalArgumentException("no round " + round + " of transport '" + transport + "' in this table");
        }
        r[round - 1] = row;
    }

    /** @return every transport's rounds, in table order */
    List<LatencyTable.Rounds> table() {
        final List<LatencyTable.Rounds> table = new ArrayList<>();
        outcomes.forEach((t, r) -> table.add(new LatencyTable.Rounds(t, Arrays.asList(r))));
        return table;
    }

    @Override
    public void run(final Run run) throws Exception {
        final String warmup = run.warmup() == null ? "at least 20000 (5000 for tripwire-block, futex and the sockets)"
            : "at least " + run.warmup();
        final String warmupTime = String.format(Locale.ROOT, "%.1f s", run.warmupSeconds() == null
            ? PingPongCommand.WARMUP_SECONDS : run.warmupSeconds());
        final String measured = run.iterations() == null
            ? "100000 measured round trips (20000 for tripwire-block, futex and the sockets)"
            : run.iterations() + " measured round trips";
        settings = String.format(Locale.ROOT, "%d-byte payload each way; one message in flight%s; warm-up of %s round"
                + " trips and at least %s (whichever ends later; capped at %.1f s), then %s.", run.size(),
            run.rate() > 0 ? ", sent at " + run.rate() + " msg/s, latency from the intended send time" : "", warmup,
            warmupTime, run.maxSeconds() / 3, measured);
        begin(run.transports(), run.rounds());
        final List<List<String>> order = schedule(run.transports(), run.rounds());
        for (int r = 0; r < order.size(); r++) {
            run.log().printf(Locale.ROOT, "compare: latency round %d/%d: %s%n", r + 1, order.size(),
                String.join(", ", order.get(r)));
            for (final String name : order.get(r)) {
                final LatencyTable.Row row = runner.run(run, name, r + 1);
                record(name, r + 1, row);
                if (row.result() == null) {
                    run.log().printf(Locale.ROOT, "compare: %s failed in round %d: %s%n", name, r + 1, row.failure());
                }
            }
        }
        final List<LatencyTable.Rounds> table = table();
        final Path csv = run.outDir().resolve("latency.csv");
        Files.writeString(csv, LatencyTable.roundsCsv(table), StandardCharsets.UTF_8);
        files.add(csv);
        final List<Chart.Series> series = new ArrayList<>();
        for (final LatencyTable.Rounds t : table) {
            final Histogram all = t.combined();
            if (all.getTotalCount() > 0) {
                final Path hgrm = run.outDir().resolve(t.transport() + ".hgrm");
                Files.writeString(hgrm, PingPongResult.percentileDistribution(all), StandardCharsets.UTF_8);
                files.add(hgrm);
                series.add(Chart.Series.percentiles(t.transport(), all));
            }
        }
        if (!series.isEmpty()) {
            final Path svg = run.outDir().resolve("latency.svg");
            Files.writeString(svg, Chart.svg("Round-trip latency by percentile, " + run.size() + "-byte payload, "
                + (run.rounds() == 1 ? "1 round" : run.rounds() + " rounds added"), "percentile",
                "round-trip latency (us, log scale)", Chart.Axes.PERCENTILE, series), StandardCharsets.UTF_8);
            files.add(svg);
        }
    }

    /** Runs {@code bench pingpong} for one transport in a fresh JVM, which starts the echo JVM. */
    private LatencyTable.Row runInJvms(final Run run, final String name, final int round) throws Exception {
        final Path resultFile = run.outDir().resolve(name + "-r" + round + ".result");
        final Path log = run.outDir().resolve(name + "-r" + round + ".log");
        Files.deleteIfExists(resultFile);
        final List<String> args = new ArrayList<>(List.of("pingpong", "--transport", name, "--size",
            Integer.toString(run.size()), "--rate", Long.toString(run.rate()), "--max-seconds",
            Double.toString(run.maxSeconds()), "--result-file", resultFile.toString()));
        if (run.warmup() != null) {
            args.addAll(List.of("--warmup", run.warmup().toString()));
        }
        if (run.warmupSeconds() != null) {
            args.addAll(List.of("--warmup-seconds", run.warmupSeconds().toString()));
        }
        if (run.iterations() != null) {
            args.addAll(List.of("--iterations", run.iterations().toString()));
        }
        run.log().println("compare: " + name + " (round " + round + ") ...");
        final long t0 = System.nanoTime();
        final Process p = new ProcessBuilder(PeerProcess.javaCommand(BenchMain.class,
                SocketTransport.jvmArgs(name), args))
            .redirectOutput(log.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        files.add(log);
        // the run caps itself at max-seconds plus a third for the warm-up; allow for JVM starts and set-up
        final long limit = (long) (run.maxSeconds() * 4 / 3) + 120;
        if (!p.waitFor(limit, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return LatencyTable.Row.failed(name, "no result within " + limit + " s (killed; see " + log.getFileName()
                + ")");
        }
        if (p.exitValue() != 0 || !Files.exists(resultFile)) {
            return LatencyTable.Row.failed(name, "exit status " + p.exitValue() + " (see " + log.getFileName()
                + " and the messages above)");
        }
        final PingPongResult r = PingPongResult.read(resultFile);
        Files.delete(resultFile);
        run.log().printf(Locale.ROOT, "compare: round %d: %s (%.1f s with JVM starts)%n", round, r.summary(),
            (System.nanoTime() - t0) / 1e9);
        return LatencyTable.Row.of(r);
    }

    @Override
    public String markdown() {
        final StringBuilder sb = new StringBuilder();
        sb.append(settings).append(settings.isEmpty() ? "" : " ");
        sb.append(String.format(Locale.ROOT, "%d %s: in each, every transport runs once in a fresh pair of JVMs, the"
            + " order rotated from round to round (and reversed every other round). The table gives the median over"
            + " the rounds of p50, p90, p99, p99.9 and max, the lowest and highest p50 of the rounds, the median"
            + " p50's ratio to raw's, and the lowest p50's ratio to raw's lowest (where the machine's speed changes"
            + " from one run to the next, the best rounds compare like with like); a transport that failed in a"
            + " round says so, its medians being over the rounds"
            + " that worked. Latencies in microseconds. The chart (latency.svg) and TRANSPORT.hgrm add up the"
            + " histograms of all rounds; latency.csv has a row per transport and round and one per transport with"
            + " round = median.%n%n", rounds, rounds == 1 ? "round" : "rounds"));
        sb.append(LatencyTable.roundsMarkdown(table()));
        sb.append('\n');
        for (final PeerTransport t : Transports.known()) {
            if (outcomes.containsKey(t.name())) {
                sb.append("* `").append(t.name()).append("`: ").append(t.description()).append('\n');
            }
        }
        return sb.toString();
    }

    @Override
    public List<Path> files() {
        return files;
    }
}
