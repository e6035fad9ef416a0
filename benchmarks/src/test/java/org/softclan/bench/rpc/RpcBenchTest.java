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
