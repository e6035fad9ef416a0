package org.softclan.bench.peers;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.softclan.bench.BenchMain;

/**
 * The round-trip latency section of {@code bench compare}: runs {@code bench pingpong} for each
 * transport in a fresh JVM (which starts its own echo JVM), reads the results back, and writes
 * {@code latency.csv}, {@code latency.svg} (percentile chart) and {@code TRANSPORT.hgrm} per transport;
 * each run's own output goes to {@code TRANSPORT.log}.
 */
final class LatencySection implements CompareSection {
    private final List<LatencyTable.Row> rows = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private String settings = "";

    @Override
    public String title() {
        return "Round-trip latency";
    }

    @Override
    public void run(final Run run) throws Exception {
        settings = String.format(Locale.ROOT, "%d-byte payload each way; %s; one message in flight%s.",
            run.size(), run.iterations() == null
                ? "20000 warm-up + 100000 measured round trips (5000 + 20000 for tripwire-block, tcp, uds)"
                : (run.warmup() == null ? "default warm-up" : run.warmup() + " warm-up") + " + " + run.iterations()
                    + " measured round trips",
            run.rate() > 0 ? ", sent at " + run.rate() + " msg/s, latency from the intended send time" : "");
        for (final String name : run.transports()) {
            rows.add(runOne(run, name));
        }
        final Path csv = run.outDir().resolve("latency.csv");
        Files.writeString(csv, LatencyTable.csv(rows), StandardCharsets.UTF_8);
        files.add(csv);
        final List<LatencyChart.Series> series = new ArrayList<>();
        for (final LatencyTable.Row r : rows) {
            if (r.result() != null && r.result().roundTrips() > 0) {
                series.add(LatencyChart.Series.of(r.transport(), r.result().histogram()));
            }
        }
        if (!series.isEmpty()) {
            final Path svg = run.outDir().resolve("latency.svg");
            Files.writeString(svg, LatencyChart.svg("Round-trip latency by percentile, " + run.size() + "-byte payload",
                series), StandardCharsets.UTF_8);
            files.add(svg);
        }
    }

    private LatencyTable.Row runOne(final Run run, final String name) throws Exception {
        final Path resultFile = run.outDir().resolve(name + ".result");
        final Path log = run.outDir().resolve(name + ".log");
        Files.deleteIfExists(resultFile);
        final List<String> args = new ArrayList<>(List.of("pingpong", "--transport", name, "--size",
            Integer.toString(run.size()), "--rate", Long.toString(run.rate()), "--max-seconds",
            Double.toString(run.maxSeconds()), "--result-file", resultFile.toString()));
        if (run.warmup() != null) {
            args.addAll(List.of("--warmup", run.warmup().toString()));
        }
        if (run.iterations() != null) {
            args.addAll(List.of("--iterations", run.iterations().toString()));
        }
        run.log().println("compare: " + name + " ...");
        final long t0 = System.nanoTime();
        final Process p = new ProcessBuilder(PingPongRunner.EchoProcess.javaCommand(BenchMain.class, args))
            .redirectOutput(log.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        files.add(log);
        // the run caps itself at max-seconds plus a third for the warm-up; allow for JVM starts and set-up
        final long limit = (long) (run.maxSeconds() * 4 / 3) + 120;
        if (!p.waitFor(limit, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return LatencyTable.Row.failed(name, "no result within " + limit + " s (killed; see " + log.getFileName() + ")");
        }
        if (p.exitValue() != 0 || !Files.exists(resultFile)) {
            return LatencyTable.Row.failed(name, "exit status " + p.exitValue() + " (see " + log.getFileName()
                + " and the messages above)");
        }
        final PingPongResult r = PingPongResult.read(resultFile);
        Files.delete(resultFile);
        final Path hgrm = run.outDir().resolve(name + ".hgrm");
        Files.writeString(hgrm, r.percentileDistribution(), StandardCharsets.UTF_8);
        files.add(hgrm);
        run.log().printf(Locale.ROOT, "compare: %s (%.1f s with JVM starts)%n", r.summary(), (System.nanoTime() - t0) / 1e9);
        return LatencyTable.Row.of(r);
    }

    @Override
    public String markdown() {
        final StringBuilder sb = new StringBuilder();
        sb.append(settings).append(" Latencies in microseconds; chart: latency.svg.\n\n");
        sb.append(LatencyTable.markdown(rows, true));
        sb.append('\n');
        for (final PeerTransport t : Transports.all()) {
            for (final LatencyTable.Row r : rows) {
                if (r.transport().equals(t.name())) {
                    sb.append("* `").append(t.name()).append("`: ").append(t.description()).append('\n');
                }
            }
        }
        return sb.toString();
    }

    @Override
    public List<Path> files() {
        return files;
    }

    /** @return the rows after {@link #run}, for tests */
    List<LatencyTable.Row> rows() {
        return rows;
    }
}
