package org.softclan.bench.peers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Rectangle;
import java.awt.geom.Ellipse2D;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

import org.HdrHistogram.Histogram;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.text.TextUtils;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

/**
 * The harness's one chart writer: a JFreeChart line chart rendered to SVG by JFreeSVG, one line per series
 * (with point markers on the size scale) and a legend on the right. Two kinds of axes:
 *
 * <ul>
 *   <li>{@link Axes#SIZE}: x is a message size on a log2 scale, ticked at every power of two; y is linear
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
        PERCENTILE,
        /** Log10 of x (microseconds) against log10 of y (microseconds): a tick at every decade of both. */
        LOG_LOG
    }

    private static final int WIDTH = 960;
    private static final int HEIGHT = 540;
    /** Points per tail decade of a percentile series. */
    private static final int STEPS_PER_NINE = 40;
    /** The rightmost percentile tick: 99.9999%. */
    private static final int MAX_NINES = 6;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79"};

    /**
     * One line of a chart.
     *
     * @param name legend text, unique within a chart
     * @param xs   x of each point (sizes, tail decades {@code log10(1 / (1 - p))}, or microseconds for {@code LOG_LOG})
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

    static {
        // JVM-wide, and the harness draws no other charts: the y axis's label is then SVG text, not glyph outlines
        TextUtils.setUseDrawRotatedStringWorkaround(false);
    }

    private Chart() {
    }

    /**
     * @param title  the heading
     * @param xLabel the x axis's label
     * @param yLabel the y axis's label
     * @param axes   the kind of axes
     * @param series the lines, in legend order
     * @return an SVG document of {@link #chart}, 960 by 540 pixels
     */
    public static String svg(final String title, final String xLabel, final String yLabel, final Axes axes,
                             final List<Series> series) {
        final SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
        chart(title, xLabel, yLabel, axes, series).draw(g, new Rectangle(WIDTH, HEIGHT));
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + g.getSVGElement(null, true, new ViewBox(0, 0, WIDTH, HEIGHT), null, null) + "\n";
    }

    /**
     * @param title  the heading
     * @param xLabel the x axis's label
     * @param yLabel the y axis's label
     * @param axes   the kind of axes
     * @param series the lines, in legend order
     * @return the chart, one dataset series per line, NaN points left out; on a log scale the dataset holds
     *         the logarithm (log2 of the size, log10 of the microseconds)
     */
    public static JFreeChart chart(final String title, final String xLabel, final String yLabel, final Axes axes,
                                   final List<Series> series) {
        final boolean sizes = axes == Axes.SIZE;
        final boolean logX = axes == Axes.LOG_LOG;
        double minX = Double.MAX_VALUE;
        double maxX = 0;
        double minY = Double.MAX_VALUE;
        double maxY = 0;
        for (final Series s : series) {
            for (int i = 0; i < s.xs.length; i++) {
                maxX = Math.max(maxX, s.xs[i]);
                if (s.xs[i] > 0) {
                    minX = Math.min(minX, s.xs[i]);
                }
                if (s.ys[i] > 0) {
                    minY = Math.min(minY, s.ys[i]);
                    maxY = Math.max(maxY, s.ys[i]);
                }
            }
        }
        // the log scales are drawn as linear axes of the logarithms, so that every tick label is plain text
        final double lo = maxY <= 0 ? -1 : Math.floor(Math.log10(minY));   // the decades of a percentile y
        final double hi = Math.max(lo + 1, maxY <= 0 ? 0 : Math.ceil(Math.log10(maxY)));
        final XYSeriesCollection data = new XYSeriesCollection();
        final XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, sizes || logX);
        for (final Series s : series) {
            final XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.xs.length; i++) {
                if (!Double.isNaN(s.ys[i])) {   // a failed point is left out, the line drawn through the rest
                    xy.add(sizes ? Math.log(s.xs[i]) / Math.log(2) : logX ? Math.log10(s.xs[i]) : s.xs[i],
                        sizes ? s.ys[i] : Math.max(lo, Math.log10(s.ys[i])));
                }
            }
            renderer.setSeriesPaint(data.getSeriesCount(), Color.decode(COLOURS[data.getSeriesCount() % COLOURS.length]));
            data.addSeries(xy);
        }
        renderer.setDrawSeriesLineAsPath(true);
        renderer.setAutoPopulateSeriesStroke(false);
        renderer.setDefaultStroke(new BasicStroke(2f));
        renderer.setAutoPopulateSeriesShape(false);
        renderer.setDefaultShape(new Ellipse2D.Double(-3, -3, 6, 6));
        final NumberFormat number = new DecimalFormat("0.###", DecimalFormatSymbols.getInstance(Locale.ROOT));
        final NumberAxis x = new NumberAxis(xLabel);
        final NumberAxis y = new NumberAxis(yLabel);
        x.setTickUnit(new NumberTickUnit(1));   // a tick at every power of two, tail decade or decade
        if (sizes) {
            x.setAutoRangeIncludesZero(false);
            x.setNumberFormatOverride(labels(v -> sizeLabel(Math.round(Math.pow(2, v)))));
            y.setNumberFormatOverride(number);   // linear from 0
        } else {
            if (logX) {
                final double left = maxX <= 0 ? 0 : Math.floor(Math.log10(minX));
                x.setRange(left, Math.max(left + 1, maxX <= 0 ? 1 : Math.ceil(Math.log10(maxX))));
                x.setNumberFormatOverride(labels(v -> number.format(Math.pow(10, v))));
            } else {
                x.setRange(0, Math.ceil(Math.max(1, maxX) - 1e-9));
                x.setNumberFormatOverride(labels(v -> percentLabel((int) Math.round(v))));
            }
            y.setRange(lo, hi);
            y.setTickUnit(new NumberTickUnit(1));   // a tick at every decade
            y.setNumberFormatOverride(labels(v -> number.format(Math.pow(10, v))));
        }
        final XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xe8e8e8));
        plot.setRangeGridlinePaint(new Color(0xbbbbbb));
        final JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getLegend().setPosition(RectangleEdge.RIGHT);
        return chart;
    }

    /** @return a tick label format that writes {@code label} of each tick value (axes never parse) */
    private static NumberFormat labels(final DoubleFunction<String> label) {
        return new NumberFormat() {
            private static final long serialVersionUID = 1L;

            @Override
            public StringBuffer format(final double v, final StringBuffer to, final FieldPosition pos) {
                return to.append(label.apply(v));
            }

            @Override
            public StringBuffer format(final long v, final StringBuffer to, final FieldPosition pos) {
                return to.append(label.apply(v));
            }

            @Override
            public Number parse(final String text, final ParsePosition pos) {
                throw new UnsupportedOperationException("tick labels are only written");
            }
        };
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
}
