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

    @Test
    void onePolylinePerSeriesInAWellFormedSvg() throws Exception {
        final List<Chart.Series> series = List.of(
            Chart.Series.percentiles("raw", histogram(200, 10_000)),
            Chart.Series.percentiles("tcp <loopback> & \"friends\"", histogram(15_000, 10_000)),
            Chart.Series.percentiles("aeron-ipc", histogram(600, 1_000)));
        final Document doc = parse(Chart.svg("latency <by> percentile & more", "percentile", "us", Chart.Axes.PERCENTILE, series));
        final Element root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());
        final NodeList lines = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "polyline");
        assertEquals(3, lines.getLength());
        final List<String> texts = new ArrayList<>();
        final NodeList t = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "text");
        for (int i = 0; i < t.getLength(); i++) {
            texts.add(t.item(i).getTextContent());
        }
        assertTrue(texts.contains("tcp <loopback> & \"friends\""), "legend entries: " + texts);
        assertTrue(texts.contains("raw") && texts.contains("aeron-ipc"), "legend entries: " + texts);
        assertTrue(texts.containsAll(List.of("0%", "90%", "99%", "99.9%", "99.99%")), "x labels: " + texts);
        for (int i = 0; i < lines.getLength(); i++) {
            final String[] points = ((Element) lines.item(i)).getAttribute("points").split(" ");
            assertEquals(series.get(i).xs().length, points.length, "one point per value of the series");
            // a percentile curve never falls: screen y (downwards) never grows along the line
            double previousY = Double.MAX_VALUE;
            for (final String p : points) {
                final double y = Double.parseDouble(p.split(",")[1]);
                assertTrue(y <= previousY + 1e-9, "latency fell along series " + i + " at " + p);
                previousY = y;
            }
        }
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
