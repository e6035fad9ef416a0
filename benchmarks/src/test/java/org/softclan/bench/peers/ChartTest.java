package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.HdrHistogram.Histogram;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ChartTest {
    private static Histogram histogram(final long base, final int count) {
        final Histogram h = new Histogram(3);
        for (int i = 1; i <= count; i++) {
            h.recordValue(base + i * 10L);
        }
        return h;
    }

    private static Document parse(final String svg) throws Exception {
        final DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> texts(final Document doc) {
        final List<String> texts = new ArrayList<>();
        final NodeList t = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "text");
        for (int i = 0; i < t.getLength(); i++) {
            texts.add(t.item(i).getTextContent());
        }
        return texts;
    }

    @Test
    void aWellFormedSvgWithTitleLegendAndTailDecadeTicks() throws Exception {
        final List<Chart.Series> series = List.of(
            Chart.Series.percentiles("raw", histogram(200, 10_000)),
            Chart.Series.percentiles("tcp <loopback> & \"friends\"", histogram(15_000, 10_000)),
            Chart.Series.percentiles("aeron-ipc", histogram(600, 1_000)));
        final String title = "latency <by> percentile & more";
        final Document doc = parse(Chart.svg(title, "percentile", "us", Chart.Axes.PERCENTILE, series));
        final Element root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());
        final List<String> texts = texts(doc);
        assertTrue(texts.containsAll(List.of(title, "percentile", "us")), "title and axis labels: " + texts);
        assertTrue(texts.contains("tcp <loopback> & \"friends\""), "legend entries: " + texts);
        assertTrue(texts.contains("raw") && texts.contains("aeron-ipc"), "legend entries: " + texts);
        assertTrue(texts.containsAll(List.of("0%", "90%", "99%", "99.9%", "99.99%")), "x labels: " + texts);
        // 0.21 us to 115 us: the y axis spans whole decades
        assertTrue(texts.containsAll(List.of("0.1", "1", "10", "100", "1000")), "y labels: " + texts);

        final XYDataset data = Chart.chart(title, "percentile", "us", Chart.Axes.PERCENTILE, series).getXYPlot()
            .getDataset();
        assertEquals(3, data.getSeriesCount());
        for (int i = 0; i < data.getSeriesCount(); i++) {
            assertEquals(series.get(i).name(), data.getSeriesKey(i));
            assertEquals(series.get(i).xs().length, data.getItemCount(i), "one point per value of the series");
            // a percentile curve never falls; the dataset holds log10 of the microseconds
            for (int k = 1; k < data.getItemCount(i); k++) {
                assertTrue(data.getYValue(i, k) >= data.getYValue(i, k - 1), "latency fell along series " + i);
            }
            final double[] ys = series.get(i).ys();
            assertEquals(Math.log10(ys[ys.length - 1]), data.getYValue(i, data.getItemCount(i) - 1), 1e-9);
        }
    }

    @Test
    void sizeChartTicksEveryPowerOfTwoAndLeavesOutFailedPoints() throws Exception {
        final List<Chart.Series> series = List.of(
            new Chart.Series("pio", new double[] {64, 256, 1024, 4096}, new double[] {10, 20, Double.NaN, 40}),
            new Chart.Series("dma", new double[] {64, 256, 1024, 4096}, new double[] {5, 15, 25, 35}));
        final List<String> texts = texts(parse(Chart.svg("Send", "size", "MB/s", Chart.Axes.SIZE, series)));
        assertTrue(texts.containsAll(List.of("64", "128", "256", "512", "1K", "2K", "4K")), "x labels: " + texts);
        assertTrue(texts.containsAll(List.of("0", "40", "pio", "dma", "MB/s")), "y labels and legend: " + texts);
        final XYDataset data = Chart.chart("Send", "size", "MB/s", Chart.Axes.SIZE, series).getXYPlot().getDataset();
        assertEquals(3, data.getItemCount(0), "the NaN point is left out");
        assertEquals(4, data.getItemCount(1));
        assertEquals(8.0, data.getXValue(0, 1), 1e-9, "x is log2 of the size");
        assertEquals(40.0, data.getYValue(0, 2), 1e-9, "y is linear");
    }

    @Test
    void logLogChartTicksEveryDecadeOfBothAxes() throws Exception {
        final List<Chart.Series> series = List.of(
            new Chart.Series("spin", new double[] {1, 10, 100, 1000}, new double[] {2, 12, 105, 1040}),
            new Chart.Series("block", new double[] {1, 10, 100, 1000}, new double[] {900, Double.NaN, 40, 70}));
        final List<String> texts = texts(parse(Chart.svg("Waiting", "gap (us)", "cost (us)", Chart.Axes.LOG_LOG, series)));
        assertTrue(texts.containsAll(List.of("1", "10", "100", "1000")), "x labels: " + texts);
        assertTrue(texts.containsAll(List.of("spin", "block", "10000")), "legend and the top y decade: " + texts);
        final XYDataset data = Chart.chart("Waiting", "gap", "cost", Chart.Axes.LOG_LOG, series).getXYPlot().getDataset();
        assertEquals(3, data.getItemCount(1), "the NaN point is left out");
        assertEquals(2.0, data.getXValue(0, 2), 1e-9, "x is log10 of the gap");
        assertEquals(Math.log10(1040), data.getYValue(0, 3), 1e-9, "y is log10 of the cost");
    }

    @Test
    void seriesEndsAtTheMaximumWhereTheCountRunsOut() {
        final Histogram h = histogram(1_000, 1_000);
        final Chart.Series s = Chart.Series.percentiles("x", h);
        assertEquals(0, s.xs()[0]);
        assertEquals(3.0, s.xs()[s.xs().length - 1], 1e-9, "1000 values resolve three nines");
        assertEquals(h.getMaxValue() / 1e3, s.ys()[s.ys().length - 1], 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Chart.Series.percentiles("empty", new Histogram(3)));
    }

    @Test
    void percentLabels() {
        assertEquals("0%", Chart.percentLabel(0));
        assertEquals("90%", Chart.percentLabel(1));
        assertEquals("99%", Chart.percentLabel(2));
        assertEquals("99.999%", Chart.percentLabel(5));
    }
}
