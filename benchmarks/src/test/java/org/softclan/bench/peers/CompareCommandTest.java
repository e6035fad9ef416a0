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

/** A small {@code bench compare}: two transports, each in a fresh pair of JVMs, and the files it writes. */
class CompareCommandTest {
    @Test
    @Timeout(90)
    void writesTheTableCsvChartAndHistograms(@TempDir final Path dir) throws Exception {
        final int status = new CommandLine(new CompareCommand()).execute("--transports", "raw,uds", "--warmup", "10",
            "--iterations", "100", "--throughput-seconds", "0", "--out", dir.toString());
        assertEquals(0, status);
        final String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("## Round-trip latency"), md);
        assertTrue(md.matches("(?s).*\\| raw +\\| +100 \\|.*\\| +1\\.00x \\|.*"), md);
        assertTrue(md.matches("(?s).*\\| uds +\\| +100 \\|.*"), md);
        final List<String> csv = Files.readAllLines(dir.resolve("latency.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(1).startsWith("raw,32,0,10,100,false,"), csv.get(1));
        final String svg = Files.readString(dir.resolve("latency.svg"));
        assertEquals(2, svg.split("<polyline").length - 1);
        assertTrue(Files.readString(dir.resolve("uds.hgrm")).contains("#[Max"), "hgrm footer");
        assertTrue(Files.exists(dir.resolve("raw.hgrm")));
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
}
