package org.softclan.bench.peers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;

/**
 * A latency-by-percentile chart as SVG text, in the style of HdrHistogram's plots: the x axis is the
 * percentile on a scale of {@code log10(1 / (1 - p))} (labelled 0%, 90%, 99%, 99.9%, ...), so each tail
 * decade gets the same width; the y axis is latency in microseconds, logarithmic. One polyline per
 * series, and a legend.
 */
public final class LatencyChart {
    private static final int WIDTH = 960;
    private static final int HEIGHT = 540;
    private static final int LEFT = 80;
    private static final int RIGHT = 220;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    /** Points per tail decade of the x axis. */
    private static final int STEPS_PER_NINE = 40;
    /** The rightmost tick: 99.9999%. */
    private static final int MAX_NINES = 6;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79"};

    /**
     * One line of the chart: points ({@code nines}, microseconds), {@code nines} = log10(1 / (1 - p)).
     *
     * @param name   the legend text
     * @param nines  x of each point
     * @param micros y of each point
     */
    public record Series(String name, double[] nines, double[] micros) {
        /** @throws IllegalArgumentException unless the arrays have the same, non-zero length */
        public Series {
            if (nines.length == 0 || nines.length != micros.length) {
                throw new IllegalArgumentException("series '" + name + "': " + nines.length + " x values, "
                    + micros.length + " y values");
            }
        }

        /**
         * @param name      legend text
         * @param histogram latencies in nanoseconds, at least one value
         * @return the histogram's percentile curve, from p = 0 up to the last percentile its count resolves
         *         (log10 of the count, at most {@value #MAX_NINES} nines), ending at the maximum
         */
        public static Series of(final String name, final Histogram histogram) {
            final long count = histogram.getTotalCount();
            if (count == 0) {
                throw new IllegalArgumentException("series '" + name + "' has no values");
            }
            final double end = Math.min(MAX_NINES, Math.max(1, Math.log10(count)));
            final int n = (int) Math.ceil(end * STEPS_PER_NINE);
            final List<double[]> points = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                final double x = (double) i / STEPS_PER_NINE;
                final double p = 100.0 * (1 - Math.pow(10, -x));
                points.add(new double[] {x, histogram.getValueAtPercentile(p) / 1e3});
            }
            points.add(new double[] {end, histogram.getMaxValue() / 1e3});
            final double[] xs = new double[points.size()];
            final double[] ys = new double[points.size()];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = points.get(i)[0];
                ys[i] = points.get(i)[1];
            }
            return new Series(name, xs, ys);
        }
    }

    private LatencyChart() {
    }

    /** @return the percentile label of {@code nines} tail decades: 0%, 90%, 99%, 99.9%, ... */
    static String percentLabel(final int nines) {
        if (nines == 0) {
            return "0%";
        }
        if (nines == 1) {
            return "90%";
        }
        if (nines == 2) {
            return "99%";
        }
        return "99." + "9".repeat(nines - 2) + "%";
    }

    /** @return an SVG document: one polyline per series, axes, grid and legend */
    public static String svg(final String title, final List<Series> series) {
        double maxX = 1;
        double minY = Double.MAX_VALUE;
        double maxY = 0;
        for (final Series s : series) {
            for (int i = 0; i < s.nines.length; i++) {
                maxX = Math.max(maxX, s.nines[i]);
                if (s.micros[i] > 0) {
                    minY = Math.min(minY, s.micros[i]);
                }
                maxY = Math.max(maxY, s.micros[i]);
            }
        }
        if (maxY <= 0) {
            minY = 0.1;
            maxY = 1;
        }
        final int xTicks = (int) Math.ceil(maxX - 1e-9);
        final double lo = Math.pow(10, Math.floor(Math.log10(minY)));
        double hi = Math.pow(10, Math.ceil(Math.log10(maxY)));
        if (hi <= lo) {
            hi = lo * 10;
        }
        final double plotW = WIDTH - LEFT - RIGHT;
        final double plotH = HEIGHT - TOP - BOTTOM;
        final double logLo = Math.log10(lo);
        final double logSpan = Math.log10(hi) - logLo;

        final StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
            + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        sb.append(String.format(Locale.ROOT, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>%n",
            WIDTH, HEIGHT));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"16\" text-anchor=\"middle\">%s</text>%n",
            LEFT + (int) plotW / 2, TOP / 2 + 5, escape(title)));
        // grid and y labels: decades, with lighter lines at 2 and 5
        for (double decade = lo; decade < hi * 1.0001; decade *= 10) {
            for (final int m : new int[] {1, 2, 5}) {
                final double v = decade * m;
                if (v > hi * 1.0001) {
                    break;
                }
                final double y = TOP + plotH - (Math.log10(v) - logLo) / logSpan * plotH;
                sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
                    LEFT, y, LEFT + plotW, y, m == 1 ? "#bbbbbb" : "#e8e8e8"));
                if (m == 1 || logSpan <= 2) {
                    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                        LEFT - 6, y + 4, number(v)));
                }
            }
        }
        for (int t = 0; t <= xTicks; t++) {
            final double x = LEFT + t / (double) xTicks * plotW;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbbbbb\"/>%n",
                x, TOP, x, TOP + plotH));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>%n",
                x, TOP + plotH + 18, percentLabel(t)));
        }
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\""
            + " stroke=\"black\"/>%n", LEFT, TOP, plotW, plotH));
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">percentile</text>%n",
            LEFT + plotW / 2, HEIGHT - 15));
        sb.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90"
            + " 18 %.1f)\">round-trip latency (us, log scale)</text>%n", TOP + plotH / 2, TOP + plotH / 2));
        // one polyline per series
        for (int i = 0; i < series.size(); i++) {
            final Series s = series.get(i);
            final String colour = COLOURS[i % COLOURS.length];
            final StringBuilder pts = new StringBuilder();
            for (int k = 0; k < s.nines.length; k++) {
                final double x = LEFT + s.nines[k] / xTicks * plotW;
                final double v = Math.max(lo, s.micros[k]);
                final double y = TOP + plotH - (Math.log10(v) - logLo) / logSpan * plotH;
                pts.append(k == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
            }
            sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\">"
                + "<title>%s</title></polyline>%n", colour, pts, escape(s.name)));
            final double ly = TOP + 10 + i * 20;
            final double lx = LEFT + plotW + 15;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
                + " stroke-width=\"3\"/>%n", lx, ly, lx + 24, ly, colour));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\">%s</text>%n", lx + 30, ly + 4,
                escape(s.name)));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String number(final double v) {
        if (v >= 1) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, "%s", (float) v);
    }

    static String escape(final String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
