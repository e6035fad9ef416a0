package org.softclan.bench.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
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
        final Map<String, List<RpcBench.Run>> piped = new RpcBench(List.of("rpc", "tcp"), 2, 16, 2, 0, 0.5, 0.3, 1,
            "busy-spin", false, true, dir.resolve("piped"), System.err).run();
        final Map<String, List<RpcBench.Run>> sync = new RpcBench(List.of("rpc", "tcp"), 1, 1, 1, 0, 0.5, 0.3, 1,
            "competitive", true, true, dir.resolve("sync"), System.err).run();
        for (final Map<String, List<RpcBench.Run>> runs : List.of(piped, sync)) {
            for (final String t : List.of("rpc", "tcp")) {
                final RpcBench.Run r = runs.get(t).get(0);
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
        final RpcBench.Run r = new RpcBench(List.of("rpc"), 1, 8, 1, 2000, 1.0, 0.3, 1, "busy-spin", false, true, dir,
            System.err).run().get("rpc").get(0);
        assertTrue(r.callsPerSecond() > 1500 && r.callsPerSecond() < 2500, "2000 calls/s asked: " + r);
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
