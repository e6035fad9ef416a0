package org.softclan.bench.waiting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A small {@code bench waiting}: two JVMs, two gaps, the pure strategies and the competitive one. What it
 * measures must be what it says: a polling receiver burns about the whole gap per message at a 1-ms gap,
 * a blocked one a small part of it; every message arrives, in order (the runs throw otherwise).
 */
class WaitingCommandTest {
    @Test
    @Timeout(120)
    void pollingBurnsTheGapBlockingDoesNotAndTheReportHasEveryRun(@TempDir final Path dir) throws Exception {
        final List<WaitingCommand.Run> runs = CommandLine.populateCommand(new WaitingCommand(), "--gaps", "20,1000",
            "--distributions", "fixed", "--strategies", "busy-spin,block,competitive," + WaitingCommand.TUNED, "--seconds",
            "0.1", "--min-messages", "100", "--max-messages", "500", "--out", dir.toString()).run();
        assertEquals(8, runs.size(), runs.toString());
        final WaitingCommand.Run spin = find(runs, "busy-spin", 1_000_000L);
        final WaitingCommand.Run block = find(runs, "block", 1_000_000L);
        // a spinning receiver uses its CPU for the whole gap (the VM may take some of it away); a blocked one does not
        assertTrue(spin.cpuMicros() > 500, "busy-spin CPU per message at a 1-ms gap: " + spin);
        assertTrue(block.cpuMicros() < spin.cpuMicros() / 5, "block " + block + " against busy-spin " + spin);
        for (final WaitingCommand.Run r : runs) {
            assertTrue(r.meanMicros() > 0 && r.p99Micros() >= r.p50Micros(), r.toString());
        }
        final String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("| 1 ms | competitive-tuned |"), md);
        assertTrue(md.contains("- competitive, fixed gaps: "), md);
        assertTrue(Files.readString(dir.resolve("waiting-fixed.svg")).contains("<svg"), "the chart is an SVG document");
    }

    @Test
    void badInputIsRefusedNamingIt() {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(2, new CommandLine(new WaitingCommand()).execute("--gaps", "0"));
            assertEquals(2, new CommandLine(new WaitingCommand()).execute("--strategies", "sleepy"));
            assertEquals(2, new CommandLine(new WaitingCommand()).execute("--distributions", "uniform"));
        } finally {
            System.setErr(old);
        }
        final String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("--gaps 0.0") && text.contains("sleepy") && text.contains("uniform"), text);
    }

    private static WaitingCommand.Run find(final List<WaitingCommand.Run> runs, final String s, final long gap) {
        return runs.stream().filter(r -> r.strategy().equals(s) && r.gapNanos() == gap).findFirst().orElseThrow();
    }
}
