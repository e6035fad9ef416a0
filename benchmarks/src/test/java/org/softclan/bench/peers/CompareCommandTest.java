package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A small {@code bench compare}: two transports in two rounds, each run in a fresh pair of JVMs, and the files it writes. */
class CompareCommandTest {
    @Test
    @Timeout(120)
    void writesTheTableCsvChartAndHistogramsOfTwoRounds(@TempDir final Path dir) throws Exception {
        final int status = new CommandLine(new CompareCommand()).execute("--transports", "raw,uds", "--rounds", "2",
            "--warmup", "10", "--warmup-seconds", "0.02", "--iterations", "100", "--throughput-seconds", "0", "--out",
            dir.toString());
        assertEquals(0, status);
        final String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("## Round-trip latency"), md);
        assertTrue(md.contains("2 rounds: in each, every transport runs once"), md);
        assertTrue(md.matches("(?s).*\\| raw +\\| +2 \\| +100 \\|.*\\| +1\\.00x \\|.*"), md);
        assertTrue(md.matches("(?s).*\\| uds +\\| +2 \\| +100 \\|.*"), md);
        final List<String> csv = Files.readAllLines(dir.resolve("latency.csv"));
        assertEquals(1 + 2 * 3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(1).startsWith("raw,1,32,0,"), csv.get(1));
        final String[] raw1 = csv.get(1).split(",", -1);
        assertTrue(Long.parseLong(raw1[4]) >= 10, "at least the warm-up count: " + csv.get(1));
        assertTrue(Double.parseDouble(raw1[5]) >= 0.02, "at least the warm-up time: " + csv.get(1));
        assertEquals("100", raw1[6]);
        assertTrue(csv.get(3).startsWith("raw,median,32,0,,,100,false,"), csv.get(3));
        assertTrue(csv.get(6).startsWith("uds,median,32,0,,,100,false,"), csv.get(6));
        final String svg = Files.readString(dir.resolve("latency.svg"));
        assertTrue(svg.contains(">raw</text>") && svg.contains(">uds</text>"), "a legend entry for each line");
        assertTrue(Files.readString(dir.resolve("uds.hgrm")).matches("(?s).*Total count += +200\\].*"),
            "the hgrm adds both rounds");
        assertTrue(Files.exists(dir.resolve("raw.hgrm")));
        assertTrue(Files.exists(dir.resolve("raw-r2.log")));
        assertFalse(md.contains("## Throughput"), "--throughput-seconds 0 leaves the throughput section out");
    }

    @Test
    void throughputTableGivesMediansRangesAndRatiosToRaw() {
        final ThroughputSection t = new ThroughputSection(1.0);
        for (final double v : new double[] {1000, 3000, 2000}) {
            t.add("raw", v);
        }
        t.add("stream-pio", 1500);
        t.add("stream-pio", 500);
        t.fail("aeron-ipc", "driver did not start");
        final String md = t.markdown();
        assertTrue(md.contains("| raw | 2,000 | 1,000-3,000 | 100% |"), md);
        assertTrue(md.contains("| stream-pio | 1,000 | 500-1,500 | 50% |"), md);
        assertTrue(md.contains("| aeron-ipc | failed | | |"), md);
        assertTrue(md.contains("aeron-ipc failed: driver did not start"), md);
    }

    @Test
    void negativeThroughputSecondsIsAUsageError() {
        assertEquals(2, new CommandLine(new CompareCommand()).execute("--throughput-seconds", "-1"));
    }

    @Test
    void zeroRoundsIsAUsageError() {
        assertEquals(2, new CommandLine(new CompareCommand()).execute("--rounds", "0"));
        assertEquals(2, new CommandLine(new CompareCommand()).execute("--rounds", "three"));
    }
}
