package org.softclan.examples.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/** The key-value server and its checking client as the demo runs them: each in its own JVM. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KvEndToEndTest {
    private Path fabric;

    @BeforeEach
    void freshFabricDirectory() throws IOException {
        final Path shm = Paths.get("/dev/shm");
        final Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm
            : Paths.get(System.getProperty("java.io.tmpdir"));
        fabric = Files.createTempDirectory(base, "kv-e2e-");
    }

    @AfterEach
    void removeFabric() throws IOException {
        try (Stream<Path> files = Files.walk(fabric)) {
            for (final Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Waits until the process's output has ended, then returns all of it. */
    private static String allOutput(final JvmProcess p) throws InterruptedException {
        p.waitFor(30, TimeUnit.SECONDS);
        return p.transcript();
    }

    @Test
    void aClientInAnotherJvmGetsEveryAnswerRightAndTheServerStopsCleanlyOnSigterm() throws Exception {
        try (JvmProcess server = JvmProcess.start(KvServer.class, List.of("-Xmx128m"), "--fabric", fabric.toString(),
            "--workers", "2")) {
            final String ready = server.expectLine("ready:", 30, TimeUnit.SECONDS);
            assertTrue(ready.contains("service 'kv'") && ready.contains("2 worker threads"), ready);

            try (JvmProcess client = JvmProcess.start(KvClient.class, List.of("-Xmx128m"), "--fabric",
                fabric.toString(), "--calls", "3000", "--threads", "2")) {
                final int exit = client.waitFor(30, TimeUnit.SECONDS);
                final String out = allOutput(client);
                assertEquals(0, exit, out);
                assertTrue(out.contains("timed: 3000 get/put calls on 2 threads"), out);
                assertTrue(out.contains("calls/s"), out);
                assertTrue(out.lines().anyMatch(l -> l.startsWith("round trip per call (us): p50 ")
                    && l.contains(" p99 ") && l.contains(" p99.9 ")), out);
                assertTrue(out.lines().anyMatch(l -> l.matches("all \\d+ answers correct")), out);
            }

            // SIGTERM: the shutdown hook closes the server, which says how much it served
            ProcessHandle.of(server.pid()).ifPresent(ProcessHandle::destroy);
            final String stopped = server.expectLine("stopped:", 30, TimeUnit.SECONDS);
            assertTrue(stopped.matches("stopped: served \\d+ calls; \\d+ keys in the store"), stopped);
            server.waitFor(30, TimeUnit.SECONDS);
        }
        try (Stream<Path> left = Files.list(fabric)) {
            assertTrue(left.noneMatch(p -> !p.getFileName().toString().startsWith(".")),
                "the server and client removed their regions");
        }
    }

    @Test
    void aClientWithNoServerSaysSoAndExitsWithOne() throws Exception {
        try (JvmProcess client = JvmProcess.start(KvClient.class, List.of("-Xmx64m"), "--fabric", fabric.toString())) {
            final int exit = client.waitFor(30, TimeUnit.SECONDS);
            final String out = allOutput(client);
            assertEquals(1, exit, out);
            assertTrue(out.contains("no server listens on 'kv'"), out);
        }
    }
}
