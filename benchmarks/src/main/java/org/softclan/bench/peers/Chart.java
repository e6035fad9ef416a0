package org.softclan.bench.peers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

import org.HdrHistogram.Histogram;

/**
 * The harness's one chart writer: a line chart as SVG text, one {@code <g class="series">} per series
 * (a polyline, with point markers on the size scale) and a legend on the right. Two kinds of axes:
 *
 * <ul>
 *   <li>{@link Axes#SIZE}: x is a message size on a log2 scale, ticked at every size measured; y is linear
 *       from 0 (throughput). A NaN y (a failed point) is left out and the line drawn through the rest.</li>
 *   <li>{@link Axes#PERCENTILE}: x is a percentile on the scale {@code log10(1 / (1 - p))} (ticks 0%, 90%,
 *       99%, 99.9%, ...), so each tail decade gets the same width, as in HdrHistogram's plots; y is a
 *       latency in microseconds on a log10 scale.</li>
 * </ul>
 */
public final class Chart {
    /** The kinds of axes. */
    public enum Axes {
        /** Log2 message sizes against a linear y from 0. */
        SIZE,
        /** Percentiles (tail decades) against log10 microseconds. */
        PERCENTILE
    }

    private static final int WIDTH = 960;
    private static final int HEIGHT = 540;
    private static final int LEFT = 80;
    private static final int RIGHT = 220;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    /** Points per tail decade of a percentile series. */
    private static final int STEPS_PER_NINE = 40;
    /** The rightmost percentile tick: 99.9999%. */
    private static final int MAX_NINES = 6;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79"};

    /**
     * One line of a chart.
     *
     * @param name legend text
     * @param xs   x of each point (sizes, or tail decades {@code log10(1 / (1 - p))})
     * @param ys   y of each point, NaN where missing
     */
    public record Series(String name, double[] xs, double[] ys) {
        /** @throws IllegalArgumentException unless the arrays have the same, non-zero length */
        public Series {
            if (xs.length == 0 || xs.length != ys.length) {
                throw new IllegalArgumentException("series '" + name + "': " + xs.length + " x values, " + ys.length
                    + " y values");
            }
        }

        /**
         * @param name      legend text
         * @param histogram latencies in nanoseconds, at least one value
         * @return the histogram's percentile curve in microseconds, from p = 0 up to the last percentile its
         *         count resolves (log10 of the count, at most {@value #MAX_NINES} nines), ending at the maximum
         */
        public static Series percentiles(final String name, final Histogram histogram) {
            final long count = histogram.getTotalCount();
            if (count == 0) {
                throw new IllegalArgumentException("series '" + name + "' has no values");
            }
            final double end = Math.min(MAX_NINES, Math.max(1, Math.log10(count)));
            final int n = (int) Math.ceil(end * STEPS_PER_NINE);
            final double[] xs = new double[n + 1];
            final double[] ys = new double[n + 1];
            for (int i = 0; i < n; i++) {
                xs[i] = (double) i / STEPS_PER_NINE;
                ys[i] = histogram.getValueAtPercentile(100.0 * (1 - Math.pow(10, -xs[i]))) / 1e3;
            }
            xs[n] = end;
            ys[n] = histogram.getMaxValue() / 1e3;
            return new Series(name, xs, ys);
        }
    }

    private Chart() {
    }

    /**
     * @param title  the heading
     * @param xLabel the x axis's label
     * @param yLabel the y axis's label
     * @param axes   the kind of axes
     * @param series the lines, in legend order
     * @return an SVG document
     */
    public static String svg(final String title, final String xLabel, final String yLabel, final Axes axes,
                             final List<Series> series) {
        final boolean sizes = axes == Axes.SIZE;
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double minY = Double.MAX_VALUE;
        double maxY = 0;
        final List<Double> xTicks = new ArrayList<>();
        for (final Series s : series) {
            for (int i = 0; i < s.xs.length; i++) {
                minX = Math.min(minX, s.xs[i]);
                maxX = Math.max(maxX, s.xs[i]);
                if (sizes && !xTicks.contains(s.xs[i])) {
                    xTicks.add(s.xs[i]);
                }
                if (s.ys[i] > 0) {
                    minY = Math.min(minY, s.ys[i]);
                    maxY = Math.max(maxY, s.ys[i]);
                }
            }
        }
        final double plotW = WIDTH - LEFT - RIGHT;
        final double plotH = HEIGHT - TOP - BOTTOM;
        final DoubleUnaryOperator px;
        final DoubleUnaryOperator py;
        final List<double[]> yTicks = new ArrayList<>();   // value, major (1) or minor (0)
        if (sizes) {
            final double x0 = minX == Double.MAX_VALUE ? 0 : log2(minX);
            final double span = minX == Double.MAX_VALUE || maxX <= minX ? 1 : log2(maxX) - x0;
            px = v -> LEFT + (log2(v) - x0) / span * plotW;
            final double step = niceStep(maxY <= 0 ? 1 : maxY / 5);
            final double top = Math.max(step, Math.ceil((maxY <= 0 ? 1 : maxY) / step) * step);
            py = v -> TOP + plotH - v / top * plotH;
            for (double v = 0; v <= top + step / 2; v += step) {
                yTicks.add(new double[] {v, 1});
            }
        } else {
            final int nines = (int) Math.ceil(Math.max(1, maxX) - 1e-9);
            for (int t = 0; t <= nines; t++) {
                xTicks.add((double) t);
            }
            px = v -> LEFT + v / nines * plotW;
            final double lo = maxY <= 0 ? 0.1 : Math.pow(10, Math.floor(Math.log10(minY)));
            final double hi = Math.max(lo * 10, maxY <= 0 ? 1 : Math.pow(10, Math.ceil(Math.log10(maxY))));
            final double logSpan = Math.log10(hi / lo);
            py = v -> TOP + plotH - Math.log10(Math.max(lo, v) / lo) / logSpan * plotH;
            for (double decade = lo; decade < hi * 1.0001; decade *= 10) {
                for (final int m : new int[] {1, 2, 5}) {
                    if (decade * m <= hi * 1.0001) {
                        yTicks.add(new double[] {decade * m, m == 1 || logSpan <= 2 ? 1 : 0});
                    }
                }
            }
        }
        final StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
            + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        b.append(String.format(Locale.ROOT, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>%n",
            WIDTH, HEIGHT));
        b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"16\" text-anchor=\"middle\">%s</text>%n",
            LEFT + plotW / 2, TOP / 2 + 5, escape(title)));
        for (final double[] t : yTicks) {
            final double y = py.applyAsDouble(t[0]);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
                LEFT, y, LEFT + plotW, y, t[1] == 1 ? "#bbbbbb" : "#e8e8e8"));
            if (t[1] == 1) {
                b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    LEFT - 6, y + 4, number(t[0])));
            }
        }
        for (final double t : xTicks) {
            final double x = px.applyAsDouble(t);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e8e8e8\"/>%n",
                x, TOP, x, TOP + plotH));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>%n",
                x, TOP + plotH + 18, sizes ? sizeLabel((long) t) : percentLabel((int) t)));
        }
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\""
            + " stroke=\"black\"/>%n", LEFT, TOP, plotW, plotH));
        b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
            LEFT + plotW / 2, HEIGHT - 15, escape(xLabel)));
        b.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90"
            + " 18 %.1f)\">%s</text>%n", TOP + plotH / 2, TOP + plotH / 2, escape(yLabel)));
        for (int i = 0; i < series.size(); i++) {
            final Series s = series.get(i);
            final String colour = COLOURS[i % COLOURS.length];
            final StringBuilder pts = new StringBuilder();
            final StringBuilder marks = new StringBuilder();
            for (int k = 0; k < s.xs.length; k++) {
                if (Double.isNaN(s.ys[k])) {
                    continue;
                }
                final double x = px.applyAsDouble(s.xs[k]);
                final double y = py.applyAsDouble(s.ys[k]);
                pts.append(pts.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
                if (sizes) {
                    marks.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                        x, y, colour));
                }
            }
            b.append("<g class=\"series\" data-name=\"").append(escape(s.name)).append("\">\n");
            if (pts.length() > 0) {
                b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\""
                    + " points=\"%s\"><title>%s</title></polyline>%n", colour, pts, escape(s.name)));
            }
            b.append(marks).append("</g>\n");
            final double ly = TOP + 10 + i * 20;
            final double lx = LEFT + plotW + 15;
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
                + " stroke-width=\"3\"/>%n", lx, ly, lx + 24, ly, colour));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\">%s</text>%n", lx + 30, ly + 4,
                escape(s.name)));
        }
        return b.append("</svg>\n").toString();
    }

    /** @return the percentile label of {@code nines} tail decades: 0%, 90%, 99%, 99.9%, ... */
    static String percentLabel(final int nines) {
        return nines == 0 ? "0%" : nines == 1 ? "90%" : "99" + (nines == 2 ? "" : "." + "9".repeat(nines - 2)) + "%";
    }

    /** @return 64, 1K, 64K, 1M, ... */
    static String sizeLabel(final long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + "M";
        }
        return bytes >= 1 << 10 && bytes % (1 << 10) == 0 ? (bytes >> 10) + "K" : Long.toString(bytes);
    }

    private static double log2(final double v) {
        return Math.log(v) / Math.log(2);
    }

    private static double niceStep(final double raw) {
        final double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        final double f = raw / mag;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    }

    private static String number(final double v) {
        if (v >= 1 || v == 0) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return Float.toString((float) v);
    }

    private static String escape(final String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
