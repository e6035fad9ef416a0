package org.softclan.bench.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Small {@code bench rpc} runs: synchronous and pipelined calls over RPC and TCP between two JVMs, every answer
 * checked by the load threads (a wrong or missing answer fails the run); at a fixed rate the calls measured
 * are about the rate times the seconds.
 */
class RpcBenchTest {
    @Test
    @Timeout(180)
    void pipelinedAndSynchronousCallsOverBothTransports(@TempDir final Path dir) throws Exception {
        final Map<String, List<RpcBenchCommand.Run>> piped = run("--threads", "2", "--in-flight", "16", "--clients", "2",
            "--seconds", "0.5", "--warmup-seconds", "0.3", "--rounds", "1", "--out", dir.resolve("piped").toString());
        final Map<String, List<RpcBenchCommand.Run>> sync = run("--in-flight", "1", "--seconds", "0.5", "--warmup-seconds",
            "0.3", "--rounds", "1", "--server-wait", "competitive", "--background-receiver", "--out",
            dir.resolve("sync").toString());
        for (final Map<String, List<RpcBenchCommand.Run>> runs : List.of(piped, sync)) {
            for (final String t : List.of("rpc", "tcp")) {
                final RpcBenchCommand.Run r = runs.get(t).get(0);
                assertTrue(r.callsPerSecond() > 100 && r.p99Micros() >= r.p50Micros() && r.p50Micros() > 0, r.toString());
            }
        }
        final String md = Files.readString(dir.resolve("piped").resolve("results.md"));
        assertTrue(md.contains("| rpc |") && md.contains("| tcp |") && md.contains("rpc / tcp"), md);
        assertTrue(md.contains("up to 16 asynchronous calls in flight per thread"), md);
    }

    @Test
    @Timeout(120)
    void aFixedRateIsKept(@TempDir final Path dir) throws Exception {
        final RpcBenchCommand.Run r = run("--transports", "rpc", "--in-flight", "8", "--rate", "2000", "--seconds", "1",
            "--warmup-seconds", "0.3", "--rounds", "1", "--out", dir.toString()).get("rpc").get(0);
        assertTrue(r.callsPerSecond() > 1500 && r.callsPerSecond() < 2500, "2000 calls/s asked: " + r);
    }

    /**
     * A load thread's tally: confined, it notes completions and times them all at the one clock reading taken
     * after them, inside the measured window only, each once; it times what it noted when it is full; shared, it
     * times each completion at once, at a reading taken after it.
     */
    @Test
    void aTallyTimesEachCompletionOnceAtAReadingAfterItInTheWindowOnly() {
        final RpcBenchCommand cmd = CommandLine.populateCommand(new RpcBenchCommand(), "--in-flight", "4",
            "--seconds", "60", "--warmup-seconds", "0");
        final RpcBenchCommand.Meter meter = cmd.new Meter();
        final long t = meter.measureFrom;
        final RpcBenchCommand.Tally confined = meter.tally(true);
        confined.completed(t - 1);   // sent before the window: not measured
        confined.completed(t + 100);
        confined.completed(t + 300);
        assertEquals(t + 1_000, confined.record(t + 1_000));   // one reading for all three
        confined.record(t + 5_000);   // nothing noted since: records nothing again
        confined.completed(t + 2_000);
        confined.record(meter.end);   // completed at the window's end: not measured
        Histogram h = meter.total();
        assertEquals(2, h.getTotalCount(), "the two calls inside the window, once each");
        assertEquals(700, h.getMinValue());
        assertEquals(900, h.getMaxValue());
        // full (four noted): the fifth completion times the four before it, at a reading taken then
        for (int i = 0; i < 5; i++) {
            confined.completed(t);
        }
        assertEquals(6, meter.total().getTotalCount(), "the four timed when the fifth came");
        final RpcBenchCommand.Tally shared = meter.tally(false);
        final long before = System.nanoTime();
        shared.completed(t);
        final long after = System.nanoTime();
        h = meter.total();
        assertEquals(7, h.getTotalCount(), "timed at once");
        final long v = h.getMaxValue();
        assertTrue(h.highestEquivalentValue(v) >= before - t && h.lowestEquivalentValue(v) <= after - t,
            "a reading after the completion: " + v + " ns, completed between " + (before - t) + " and " + (after - t));
    }

    /** Runs {@code bench rpc} with these options, as the command line parses them. */
    private static Map<String, List<RpcBenchCommand.Run>> run(final String... args) throws IOException {
        return CommandLine.populateCommand(new RpcBenchCommand(), args).run();
    }

    @Test
    void badOptionsAreRefusedByName() {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(2, new CommandLine(new RpcBenchCommand()).execute("--transports", "udp"));
            assertEquals(2, new CommandLine(new RpcBenchCommand()).execute("--clients", "3", "--threads", "2"));
            assertEquals(2, new CommandLine(new RpcBenchCommand()).execute("--server-wait", "dozy"));
        } finally {
            System.setErr(old);
        }
        final String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("udp") && text.contains("clients 3") && text.contains("dozy"), text);
    }
}
