package org.softclan.bench.peers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

import org.softclan.vmmc.stream.ReceiveTechnique;
import org.softclan.vmmc.stream.SendTechnique;

/**
 * The design-space experiment of Warschko et al. (1999), section 4, figures 2 and 3, on byte streams
 * between two JVMs: throughput against message size for every send technique (the receiver takes
 * delivery the cheapest way, {@link ReceiveTechnique#BUFFERED}) and for every receive technique (the
 * sender uses {@link SendTechnique#PIO}). Each point is one {@link ThroughputBench} measurement: the
 * sender writes messages of the size, the receiver reads with a buffer of the same size (one receive
 * per message, as in the paper) and checks every message. The first point of each series gets a longer
 * warm-up ({@value #SERIES_WARMUP} s), for the JIT compilers to compile that technique's paths.
 */
public final class Techniques {
    /** Send side: the series are send techniques. */
    public static final String SEND = "send";
    /** Receive side: the series are receive techniques. */
    public static final String RECEIVE = "receive";
    /** Warm-up of each series' first point: the two JVMs compile that technique's code paths then. */
    static final double SERIES_WARMUP = 1.0;

    /**
     * One measured point.
     *
     * @param side      {@link #SEND} or {@link #RECEIVE}
     * @param technique the technique's command-line name
     * @param size      bytes per message
     * @param result    the measurement (possibly failed)
     */
    public record Point(String side, String technique, int size, Result result) {
    }

    private Techniques() {
    }

    /** @return 64, 128, ..., 65536 */
    public static int[] defaultSizes() {
        final int[] s = new int[11];
        for (int i = 0; i < s.length; i++) {
            s[i] = 64 << i;
        }
        return s;
    }

    /**
     * Runs the experiment in one session (one sending JVM for every point).
     *
     * @param base     settings every point starts from (ring, warm-up, seconds)
     * @param sizes    message sizes
     * @param progress told of each point as it is measured
     * @return the points, send side first
     */
    public static List<Point> run(final ThroughputBench.Session session, final Config base, final int[] sizes,
                                  final Consumer<Point> progress) throws IOException {
        final List<Point> points = new ArrayList<>();
        for (final SendTechnique t : SendTechnique.values()) {
            series(session, base.transport(Transports.oneWay("stream-" + t.cliName()))
                .receiveTechnique(ReceiveTechnique.BUFFERED), SEND, t.cliName(), sizes, points, progress);
        }
        for (final ReceiveTechnique r : ReceiveTechnique.values()) {
            series(session, base.transport(Transports.oneWay("stream-pio")).receiveTechnique(r), RECEIVE, r.cliName(),
                sizes, points, progress);
        }
        return points;
    }

    /** Measures one series, every size with a read buffer of the message's size, into {@code points}. */
    private static void series(final ThroughputBench.Session session, final Config base, final String side,
                               final String technique, final int[] sizes, final List<Point> points,
                               final Consumer<Point> progress) throws IOException {
        for (final int size : sizes) {
            Config c = base.size(size).readSize(0);
            if (size == sizes[0]) {
                c = c.warmupSeconds(Math.max(base.warmupSeconds(), SERIES_WARMUP));
            }
            final Point p = new Point(side, technique, size, session.run(c));
            points.add(p);
            progress.accept(p);
        }
    }

    /**
     * The median of rounds: for each point (side, technique, size), the round's measurement whose MB/s is
     * the median of the rounds' (the lower middle one for an even count; a failed round counts as 0 MB/s).
     *
     * @param rounds the points of each round, in the same order
     * @return one point per point of a round, each a real measurement
     */
    public static List<Point> medians(final List<List<Point>> rounds) {
        final List<Point> out = new ArrayList<>();
        for (int i = 0; i < rounds.get(0).size(); i++) {
            final List<Point> same = new ArrayList<>();
            for (final List<Point> r : rounds) {
                same.add(r.get(i));
            }
            same.sort((a, b) -> Double.compare(a.result().mbPerSecond(), b.result().mbPerSecond()));
            out.add(same.get((same.size() - 1) / 2));
        }
        return out;
    }

    /**
     * How far the rounds spread: for each side, a table of sizes by techniques giving the rounds' lowest
     * and highest MB/s as percentages of the median (n/a where the median round failed).
     *
     * @param rounds the points of each round, in the same order
     * @return Markdown
     */
    public static String spread(final List<List<Point>> rounds) {
        final List<Point> medians = medians(rounds);
        final StringBuilder b = new StringBuilder();
        for (final String side : new String[] {SEND, RECEIVE}) {
            final Map<String, Map<Integer, double[]>> range = new LinkedHashMap<>();
            for (int i = 0; i < medians.size(); i++) {
                final Point m = medians.get(i);
                if (!m.side().equals(side)) {
                    continue;
                }
                double lo = Double.MAX_VALUE;
                double hi = 0;
                for (final List<Point> r : rounds) {
                    final double v = r.get(i).result().mbPerSecond();
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                final double med = m.result().mbPerSecond();
                range.computeIfAbsent(m.technique(), k -> new LinkedHashMap<>()).put(m.size(),
                    new double[] {100 * lo / med, 100 * hi / med});
            }
            b.append(grid((side.equals(SEND) ? "Send" : "Receive") + " side: " + rounds.size()
                + " rounds, lowest and highest as % of the median", range, v -> v == null ? " |"
                : !(v[0] >= 0 && v[1] < Double.POSITIVE_INFINITY) ? " n/a |"
                : String.format(Locale.ROOT, " %.0f-%.0f |", v[0], v[1]))).append('\n');
        }
        return b.toString();
    }

    /** @return CSV of every round: round, then the columns of {@link #csv} */
    public static String roundsCsv(final List<List<Point>> rounds) {
        final StringBuilder b = new StringBuilder();
        for (int r = 0; r < rounds.size(); r++) {
            final String[] lines = csv(rounds.get(r)).split("\n");
            if (r == 0) {
                b.append("round,").append(lines[0]).append('\n');
            }
            for (int i = 1; i < lines.length; i++) {
                b.append(r + 1).append(',').append(lines[i]).append('\n');
            }
        }
        return b.toString();
    }

    /** @return CSV, one row per point: side, technique, size, MB/s, msgs/s, measured bytes and seconds, status */
    public static String csv(final List<Point> points) {
        final StringBuilder b = new StringBuilder("side,technique,size_bytes,mb_per_s,msgs_per_s,measured_bytes,"
            + "measured_s,status\n");
        for (final Point p : points) {
            final Result r = p.result();
            b.append(p.side()).append(',').append(p.technique()).append(',').append(p.size()).append(',');
            if (r.ok()) {
                b.append(String.format(Locale.ROOT, "%.2f,%.0f,%d,%.4f,ok%n", r.mbPerSecond(), r.messagesPerSecond(),
                    r.measuredBytes(), r.measuredNanos() / 1e9));
            } else {
                b.append(",,,,\"failed: ").append(r.error().replace('"', '\'')).append("\"\n");
            }
        }
        return b.toString();
    }

    /** @return two Markdown tables (send side, receive side): rows sizes, columns techniques, MB/s */
    public static String markdown(final List<Point> points) {
        final StringBuilder b = new StringBuilder();
        b.append(table(points, SEND, "Send side (receiver: buffered), MB/s"));
        b.append('\n');
        b.append(table(points, RECEIVE, "Receive side (sender: pio), MB/s"));
        if (points.stream().anyMatch(p -> !p.result().ok())) {
            b.append("\nn/a: the point failed; first failure per technique:\n\n");
            final Set<String> seen = new LinkedHashSet<>();
            for (final Point p : points) {
                if (!p.result().ok() && seen.add(p.side() + p.technique())) {
                    b.append("* ").append(p.side()).append(' ').append(p.technique()).append(" (size ").append(p.size())
                        .append("): ").append(p.result().error()).append('\n');
                }
            }
        }
        return b.toString();
    }

    private static String table(final List<Point> points, final String side, final String title) {
        return grid(title, bySeries(points, side), p -> " " + (p == null ? "" : p.result().ok()
            ? String.format(Locale.ROOT, "%.1f", p.result().mbPerSecond()) : "n/a") + " |");
    }

    /**
     * @param heading the table's heading
     * @param series  each column's cells by size
     * @param cell    renders a cell (null where a column has no cell of the size) with its closing bar
     * @return a Markdown table under a heading: a row per size (ascending), a column per series
     */
    private static <V> String grid(final String heading, final Map<String, Map<Integer, V>> series,
                                   final Function<V, String> cell) {
        final Set<Integer> sizes = new TreeSet<>();
        series.values().forEach(m -> sizes.addAll(m.keySet()));
        final StringBuilder b = new StringBuilder("### ").append(heading).append("\n\n| size |");
        series.keySet().forEach(t -> b.append(' ').append(t).append(" |"));
        b.append("\n| ---: |").append(" ---: |".repeat(series.size())).append('\n');
        for (final int size : sizes) {
            b.append("| ").append(size).append(" |");
            for (final Map<Integer, V> m : series.values()) {
                b.append(cell.apply(m.get(size)));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** @return the SVG chart of one side: x log2 message size, y MB/s, one line per technique */
    public static String svg(final List<Point> points, final String side) {
        final List<Chart.Series> series = new ArrayList<>();
        bySeries(points, side).forEach((t, ps) -> series.add(new Chart.Series(t,
            ps.keySet().stream().mapToDouble(Integer::doubleValue).toArray(),
            ps.values().stream().mapToDouble(p -> p.result().ok() ? p.result().mbPerSecond() : Double.NaN).toArray())));
        return Chart.svg(SEND.equals(side) ? "Send techniques (receiver: buffered)" : "Receive techniques (sender: pio)",
            "message size (bytes, log2 scale)", "throughput (MB/s)", Chart.Axes.SIZE, series);
    }

    /**
     * Writes techniques.csv, techniques.md, techniques-send.svg and techniques-receive.svg into {@code dir}.
     *
     * @return the Markdown
     */
    public static String write(final List<Point> points, final Path dir, final String preamble) throws IOException {
        Files.createDirectories(dir);
        final String md = preamble + markdown(points);
        Files.write(dir.resolve("techniques.csv"), csv(points).getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve("techniques.md"), md.getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve("techniques-send.svg"), svg(points, SEND).getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve("techniques-receive.svg"), svg(points, RECEIVE).getBytes(StandardCharsets.UTF_8));
        return md;
    }

    /** @return one side's points by technique, then by size, each in the order measured */
    private static Map<String, Map<Integer, Point>> bySeries(final List<Point> points, final String side) {
        final Map<String, Map<Integer, Point>> series = new LinkedHashMap<>();
        for (final Point p : points) {
            if (p.side().equals(side)) {
                series.computeIfAbsent(p.technique(), k -> new LinkedHashMap<>()).put(p.size(), p);
            }
        }
        return series;
    }
}
