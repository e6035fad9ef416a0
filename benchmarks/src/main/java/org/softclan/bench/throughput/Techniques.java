package org.softclan.bench.throughput;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import org.softclan.bench.peers.Chart;
import org.softclan.bench.peers.Transports;
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

    /** One measured point. */
    public static final class Point {
        /** {@link #SEND} or {@link #RECEIVE}. */
        public final String side;
        /** The technique's command-line name. */
        public final String technique;
        /** Bytes per message. */
        public final int size;
        /** The measurement (possibly failed). */
        public final Result result;

        Point(final String side, final String technique, final int size, final Result result) {
            this.side = side;
            this.technique = technique;
            this.size = size;
            this.result = result;
        }
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
            for (final int size : sizes) {
                final Config c = base.copy().transport(Transports.oneWay("stream-" + t.cliName())).receiveTechnique(ReceiveTechnique.BUFFERED)
                    .size(size).readSize(0);
                if (size == sizes[0]) {
                    c.warmupSeconds(Math.max(base.warmupSeconds(), SERIES_WARMUP));
                }
                final Point p = new Point(SEND, t.cliName(), size, session.run(c));
                points.add(p);
                progress.accept(p);
            }
        }
        for (final ReceiveTechnique r : ReceiveTechnique.values()) {
            for (final int size : sizes) {
                final Config c = base.copy().transport(Transports.oneWay("stream-pio")).receiveTechnique(r)
                    .size(size).readSize(0);
                if (size == sizes[0]) {
                    c.warmupSeconds(Math.max(base.warmupSeconds(), SERIES_WARMUP));
                }
                final Point p = new Point(RECEIVE, r.cliName(), size, session.run(c));
                points.add(p);
                progress.accept(p);
            }
        }
        return points;
    }

    /** @return CSV, one row per point: side, technique, size, MB/s, msgs/s, measured bytes and seconds, status */
    public static String csv(final List<Point> points) {
        final StringBuilder b = new StringBuilder("side,technique,size_bytes,mb_per_s,msgs_per_s,measured_bytes,"
            + "measured_s,status\n");
        for (final Point p : points) {
            final Result r = p.result;
            b.append(p.side).append(',').append(p.technique).append(',').append(p.size).append(',');
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
        final Set<String> failures = new LinkedHashSet<>();
        for (final Point p : points) {
            if (!p.result.ok()) {
                failures.add(p.side + " " + p.technique + ": " + p.result.error());
            }
        }
        if (!failures.isEmpty()) {
            b.append("\nn/a: the point failed; first failure per technique:\n\n");
            final Set<String> seen = new LinkedHashSet<>();
            for (final Point p : points) {
                if (!p.result.ok() && seen.add(p.side + p.technique)) {
                    b.append("* ").append(p.side).append(' ').append(p.technique).append(" (size ").append(p.size)
                        .append("): ").append(p.result.error()).append('\n');
                }
            }
        }
        return b.toString();
    }

    private static String table(final List<Point> points, final String side, final String title) {
        final List<String> techniques = techniques(points, side);
        final Set<Integer> sizes = new TreeSet<>();
        for (final Point p : points) {
            if (p.side.equals(side)) {
                sizes.add(p.size);
            }
        }
        final StringBuilder b = new StringBuilder("### ").append(title).append("\n\n| size |");
        for (final String t : techniques) {
            b.append(' ').append(t).append(" |");
        }
        b.append("\n| ---: |");
        for (int i = 0; i < techniques.size(); i++) {
            b.append(" ---: |");
        }
        b.append('\n');
        for (final int size : sizes) {
            b.append("| ").append(size).append(" |");
            for (final String t : techniques) {
                final Point p = find(points, side, t, size);
                b.append(' ').append(p == null ? "" : p.result.ok()
                    ? String.format(Locale.ROOT, "%.1f", p.result.mbPerSecond()) : "n/a").append(" |");
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** @return the SVG chart of one side: x log2 message size, y MB/s, one line per technique */
    public static String svg(final List<Point> points, final String side) {
        final List<Chart.Series> series = new ArrayList<>();
        for (final String t : techniques(points, side)) {
            final List<Point> ps = new ArrayList<>();
            for (final Point p : points) {
                if (p.side.equals(side) && p.technique.equals(t)) {
                    ps.add(p);
                }
            }
            final double[] xs = new double[ps.size()];
            final double[] ys = new double[ps.size()];
            for (int i = 0; i < ps.size(); i++) {
                xs[i] = ps.get(i).size;
                ys[i] = ps.get(i).result.ok() ? ps.get(i).result.mbPerSecond() : Double.NaN;
            }
            series.add(new Chart.Series(t, xs, ys));
        }
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

    private static List<String> techniques(final List<Point> points, final String side) {
        final Set<String> names = new LinkedHashSet<>();
        for (final Point p : points) {
            if (p.side.equals(side)) {
                names.add(p.technique);
            }
        }
        return Collections.unmodifiableList(new ArrayList<>(names));
    }

    private static Point find(final List<Point> points, final String side, final String technique, final int size) {
        for (final Point p : points) {
            if (p.side.equals(side) && p.technique.equals(technique) && p.size == size) {
                return p;
            }
        }
        return null;
    }
}
