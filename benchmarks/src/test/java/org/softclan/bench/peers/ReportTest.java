package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.vmmc.stream.ReceiveTechnique;
import org.softclan.vmmc.stream.SendTechnique;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** The CSV, Markdown and SVG of the techniques experiment, from made-up points. */
class ReportTest {
    static final int[] SIZES = {64, 256, 1024, 4096};

    /** Points for every technique; v2p-dma fails at every size, copy-dma at 256 only. */
    static List<Techniques.Point> points() {
        final List<Techniques.Point> ps = new ArrayList<>();
        for (final SendTechnique t : SendTechnique.values()) {
            for (final int size : SIZES) {
                final Config c = new Config().transport(Transports.oneWay("stream-" + t.cliName())).size(size);
                final boolean fail = t == SendTechnique.V2P_DMA || (t == SendTechnique.COPY_DMA && size == 256);
                ps.add(new Techniques.Point(Techniques.SEND, t.cliName(), size, fail
                    ? Result.failed(c, "not here")
                    : Result.ok(c, 2_000_000L, 1_000_000L * (t.ordinal() + 1), 1_000_000_000L, true, null, "x")));
            }
        }
        for (final ReceiveTechnique r : ReceiveTechnique.values()) {
            for (final int size : SIZES) {
                final Config c = new Config().transport(Transports.oneWay("stream-pio")).size(size);
                ps.add(new Techniques.Point(Techniques.RECEIVE, r.cliName(), size,
                    Result.ok(c, 2_000_000L, 3_000_000L, 1_000_000_000L, true, null, "x")));
            }
        }
        return ps;
    }

    @Test
    void csvHasAHeaderAndOneRowPerPoint() {
        final List<String> lines = Arrays.asList(Techniques.csv(points()).split("\n"));
        assertEquals("side,technique,size_bytes,mb_per_s,msgs_per_s,measured_bytes,measured_s,status", lines.get(0));
        assertEquals(1 + (SendTechnique.values().length + ReceiveTechnique.values().length) * SIZES.length,
            lines.size());
        // direct-dma moved 3 MB in 1 s at every size
        assertTrue(lines.contains("send,direct-dma,1024,3.00,2930,3000000,1.0000,ok"), lines.toString());
        assertTrue(lines.contains("send,v2p-dma,64,,,,,\"failed: not here\""), lines.toString());
        for (final String l : lines.subList(1, lines.size())) {
            assertEquals(8, l.split(",", -1).length, l);
        }
    }

    /** {@link #points()} with every successful figure scaled by {@code factor}. */
    static List<Techniques.Point> scaled(final double factor) {
        final List<Techniques.Point> ps = new ArrayList<>();
        for (final Techniques.Point p : points()) {
            final Result r = p.result();
            ps.add(new Techniques.Point(p.side(), p.technique(), p.size(), r.ok() ? Result.ok(r.config(), r.bytes(),
                Math.round(r.measuredBytes() * factor), r.measuredNanos(), true, null, "x") : r));
        }
        return ps;
    }

    @Test
    void roundsGiveEachPointItsMedianRoundAndHowFarTheOthersSpread() {
        final List<List<Techniques.Point>> rounds = List.of(scaled(1.2), scaled(0.5), scaled(1.0));
        final List<Techniques.Point> med = Techniques.medians(rounds);
        assertEquals(points().size(), med.size());
        for (int i = 0; i < med.size(); i++) {
            if (rounds.get(0).get(i).result().ok()) {
                assertSame(rounds.get(2).get(i).result(), med.get(i).result(), "the middle round is each point's median");
            } else {
                assertFalse(med.get(i).result().ok(), "a point failed in every round has a failed median");
            }
        }
        final String spread = Techniques.spread(rounds);
        assertTrue(spread.contains("### Send side: 3 rounds, lowest and highest as % of the median"), spread);
        assertTrue(spread.contains("| 1024 | 50-120 | 50-120 | 50-120 | n/a | 50-120 |"), spread);
        final List<String> csv = Arrays.asList(Techniques.roundsCsv(rounds).split("\n"));
        assertEquals("round,side,technique,size_bytes,mb_per_s,msgs_per_s,measured_bytes,measured_s,status", csv.get(0));
        assertEquals(1 + 3 * points().size(), csv.size());
        assertTrue(csv.contains("2,send,direct-dma,1024,1.50,1465,1500000,1.0000,ok"), csv.toString());
    }

    @Test
    void markdownHasATablePerSideWithARowPerSizeAndAColumnPerTechnique() {
        final String md = Techniques.markdown(points());
        final List<String> rows = Arrays.stream(md.split("\n")).filter(l -> l.startsWith("|"))
            .collect(Collectors.toList());
        // each table: header, alignment, one row per size
        assertEquals(2 * (2 + SIZES.length), rows.size(), md);
        assertEquals("| size | pio | copy-dma | direct-dma | v2p-dma | page-exchange |", rows.get(0));
        assertEquals("| 256 | 1.0 | n/a | 3.0 | n/a | 5.0 |", rows.get(3));
        assertEquals("| size | buffered | pre-posted | redirection |", rows.get(2 + SIZES.length));
        assertEquals("| 4096 | 3.0 | 3.0 | 3.0 |", rows.get(rows.size() - 1));
        assertTrue(md.contains("* send v2p-dma (size 64): not here"), md);
    }

    @Test
    void svgHasATitleALegendEntryPerTechniqueAndSizeTicks() throws Exception {
        final Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
            .parse(new ByteArrayInputStream(Techniques.svg(points(), Techniques.SEND).getBytes(StandardCharsets.UTF_8)));
        final NodeList t = doc.getElementsByTagName("text");
        final List<String> texts = new ArrayList<>();
        for (int i = 0; i < t.getLength(); i++) {
            texts.add(t.item(i).getTextContent());
        }
        assertTrue(texts.contains("Send techniques (receiver: buffered)"), "title: " + texts);
        for (final SendTechnique s : SendTechnique.values()) {
            assertTrue(texts.contains(s.cliName()), "legend has " + s.cliName());
        }
        assertTrue(texts.containsAll(List.of("64", "1K", "4K", "throughput (MB/s)")), "tick and axis labels: " + texts);
    }

    @Test
    void writeCreatesTheFourFiles(@TempDir final Path dir) throws Exception {
        final String md = Techniques.write(points(), dir, "# pre\n\n");
        assertTrue(md.startsWith("# pre\n\n### Send side"));
        for (final String f : List.of("techniques.csv", "techniques.md", "techniques-send.svg", "techniques-receive.svg")) {
            assertTrue(Files.size(dir.resolve(f)) > 100, f);
        }
    }

    @Test
    void streamTableShowsFailuresAndRatios() {
        final Config raw = new Config().transport(Transports.oneWay("raw")).size(65536);
        final Config pio = new Config().transport(Transports.oneWay("stream-pio")).size(65536);
        final List<Result> rs = List.of(Result.ok(raw, 10, 4_000_000_000L, 1_000_000_000L, true, null, "x"),
            Result.ok(pio, 10, 3_200_000_000L, 1_000_000_000L, true, null, "x"),
            Result.failed(new Config().transport(Transports.oneWay("aeron-ipc")), "no driver"));
        final String table = StreamCommand.table(rs);
        assertTrue(table.contains("| raw | 65536 | 4000.0 | 4.000 | 61035 |"), table);
        assertTrue(table.contains("failed: no driver"), table);
        assertEquals("relative to raw: stream-pio 80%;\n", StreamCommand.ratios(rs));
    }

    @Test
    void repeatedRunsReportMediansAndRatiosOfMedians() {
        final List<Result> rs = new ArrayList<>();
        for (final long mb : new long[] {1000, 3000, 2000}) {
            rs.add(Result.ok(new Config().transport(Transports.oneWay("raw")), 1, mb * 1_000_000L, 1_000_000_000L, true, null, "x"));
            rs.add(Result.ok(new Config().transport(Transports.oneWay("tcp")), 1, mb * 500_000L, 1_000_000_000L, true, null, "x"));
        }
        final String table = StreamCommand.medians(rs);
        assertTrue(table.contains("| raw | 3 | 2000.0 | 1000.0 | 3000.0 |"), table);
        assertTrue(table.contains("| tcp | 3 | 1000.0 | 500.0 | 1500.0 |"), table);
        assertEquals("relative to raw (medians): tcp 50%;\n", StreamCommand.ratios(rs));
    }

    @Test
    void transportsAndSettingsRoundTrip() {
        for (final PeerTransport t : Transports.oneWay()) {
            assertEquals(t.name(), Transports.oneWay(t.name().toUpperCase(java.util.Locale.ROOT)).name());
            assertTrue(t.oneWay(), t.name());
        }
        assertEquals(List.of("raw", "stream-pio", "stream-copy-dma", "stream-direct-dma", "stream-v2p-dma",
            "stream-page-exchange", "aeron-ipc", "tcp", "uds"), Transports.names(Transports.oneWay()));
        assertThrows(IllegalArgumentException.class, () -> Transports.oneWay("carrier-pigeon"));
        // a round-trip-only transport is refused, naming the choices
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new Config().transport(Transports.byName("tcp-spin")));
        assertTrue(e.getMessage().contains("tcp-spin") && e.getMessage().contains("stream-pio"), e.getMessage());
        final Config c = new Config().transport(Transports.oneWay("stream-v2p-dma")).size(4096).totalBytes(1 << 20)
            .rate(1000).checksum(true).receiveTechnique(ReceiveTechnique.REDIRECTION).busySpin(false);
        assertEquals(c.toMap(), Config.fromMap(PeerProcess.pairs(PeerProcess.tokens(c.toMap()))).toMap());
        assertEquals(64L << 10, StreamCommand.parseBytes("64k"));
        assertEquals(3L << 20, StreamCommand.parseBytes("3M"));
        assertThrows(IllegalArgumentException.class, () -> new Config().size(16));
    }
}
