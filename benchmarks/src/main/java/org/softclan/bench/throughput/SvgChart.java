package org.softclan.bench.throughput;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A line chart written as SVG text: x on a log2 scale (message sizes), y linear from 0, one
 * polyline with point markers per series, a legend on the right. Missing points (NaN) break nothing:
 * a series is drawn through the points it has.
 */
final class SvgChart {
    static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
        "#17becf"};
    static final int WIDTH = 760;
    static final int HEIGHT = 440;
    static final int LEFT = 70;
    static final int RIGHT = 190;
    static final int TOP = 40;
    static final int BOTTOM = 56;

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final Map<String, double[][]> series = new LinkedHashMap<>();

    SvgChart(final String title, final String xLabel, final String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /**
     * @param name   legend text
     * @param xs     x values (positive)
     * @param ys     y values, NaN where missing
     * @return this
     */
    SvgChart series(final String name, final double[] xs, final double[] ys) {
        series.put(name, new double[][] {xs.clone(), ys.clone()});
        return this;
    }

    /** @return the number of series */
    int seriesCount() {
        return series.size();
    }

    String render() {
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double maxY = 0;
        final List<Double> xTicks = new ArrayList<>();
        for (final double[][] s : series.values()) {
            for (int i = 0; i < s[0].length; i++) {
                minX = Math.min(minX, s[0][i]);
                maxX = Math.max(maxX, s[0][i]);
                if (!xTicks.contains(s[0][i])) {
                    xTicks.add(s[0][i]);
                }
                if (!Double.isNaN(s[1][i])) {
                    maxY = Math.max(maxY, s[1][i]);
                }
            }
        }
        if (minX == Double.MAX_VALUE) {
            minX = 1;
            maxX = 2;
        }
        if (maxX <= minX) {
            maxX = minX * 2;
        }
        final double step = niceStep(maxY <= 0 ? 1 : maxY / 5);
        final double top = Math.max(step, Math.ceil((maxY <= 0 ? 1 : maxY) / step) * step);
        final double lx0 = log2(minX);
        final double lx1 = log2(maxX);
        final int plotW = WIDTH - LEFT - RIGHT;
        final int plotH = HEIGHT - TOP - BOTTOM;

        final StringBuilder b = new StringBuilder();
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
            + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        b.append(String.format(Locale.ROOT, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>%n",
            WIDTH, HEIGHT));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">%s</text>%n",
            LEFT + plotW / 2, esc(title)));
        // grid and y ticks
        for (double v = 0; v <= top + step / 2; v += step) {
            final double y = TOP + plotH - v / top * plotH;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                LEFT, y, LEFT + plotW, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                LEFT - 6, y + 4, number(v)));
        }
        for (final double x : xTicks) {
            final double px = LEFT + (log2(x) - lx0) / (lx1 - lx0) * plotW;
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>%n",
                px, TOP, px, TOP + plotH));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                px, TOP + plotH + 16, sizeLabel((long) x)));
        }
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\""
            + " stroke=\"#333\"/>%n", LEFT, TOP, plotW, plotH));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
            LEFT + plotW / 2, HEIGHT - 12, esc(xLabel)));
        b.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\""
            + " transform=\"rotate(-90 16 %d)\">%s</text>%n", TOP + plotH / 2, TOP + plotH / 2, esc(yLabel)));
        // series
        int k = 0;
        for (final Map.Entry<String, double[][]> e : series.entrySet()) {
            final String colour = COLOURS[k % COLOURS.length];
            final double[] xs = e.getValue()[0];
            final double[] ys = e.getValue()[1];
            final StringBuilder pts = new StringBuilder();
            final StringBuilder marks = new StringBuilder();
            for (int i = 0; i < xs.length; i++) {
                if (Double.isNaN(ys[i])) {
                    continue;
                }
                final double px = LEFT + (log2(xs[i]) - lx0) / (lx1 - lx0) * plotW;
                final double py = TOP + plotH - ys[i] / top * plotH;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
                marks.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                    px, py, colour));
            }
            b.append("<g class=\"series\" data-name=\"").append(esc(e.getKey())).append("\">\n");
            if (pts.length() > 0) {
                b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\""
                    + " points=\"%s\"/>%n", colour, pts.toString().trim()));
            }
            b.append(marks);
            b.append("</g>\n");
            final int ly = TOP + 10 + k * 20;
            final int lx = LEFT + plotW + 16;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\""
                + " stroke-width=\"2\"/>%n", lx, ly, lx + 22, ly, colour));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", lx + 28, ly + 4,
                esc(e.getKey())));
            k++;
        }
        b.append("</svg>\n");
        return b.toString();
    }

    static double log2(final double v) {
        return Math.log(v) / Math.log(2);
    }

    static double niceStep(final double raw) {
        final double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        final double f = raw / mag;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    }

    static String number(final double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2g", v);
    }

    /** @return 64, 1K, 64K, 1M ... */
    static String sizeLabel(final long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + "M";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return (bytes >> 10) + "K";
        }
        return Long.toString(bytes);
    }

    static String esc(final String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
