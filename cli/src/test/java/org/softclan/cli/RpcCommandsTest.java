package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/** {@code vmmc demo rpc}, and {@code vmmc rpc-server} with {@code vmmc rpc-client} by hand, each a JVM of its own. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RpcCommandsTest {
    @Test
    void demoRpcStartsServerAndClientJvmsPassesAndRemovesItsFabric() throws Exception {
        try (JvmProcess demo = JvmProcess.start(Vmmc.class, List.of("-Xmx128m"), "demo", "rpc", "--calls", "3000")) {
            final int exit = demo.waitFor(60, TimeUnit.SECONDS);
            final String out = demo.transcript();
            assertEquals(0, exit, out);
            final List<String> lines = out.lines().toList();
            final String fabricLine = lines.stream().filter(l -> l.startsWith("[1/4] fabric ")).findFirst().orElse(null);
            assertNotNull(fabricLine, out);
            final Path fabric = Paths.get(fabricLine.substring("[1/4] fabric ".length()).replace(" (temporary)", ""));
            assertFalse(Files.exists(fabric), "the demo removes its fabric " + fabric);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("      server | ready: kv server")), out);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("      client | timed: 3000 get/put calls")), out);
            assertTrue(lines.stream().anyMatch(l -> l.matches(" {6}client \\| all \\d+ answers correct")), out);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("      server | stopped: served ")), out);
            assertTrue(lines.get(lines.size() - 1).startsWith("rpc demo: PASSED in "), out);
            // it says what it chose for this machine: a CPU for the server's poller, the rest for client threads
            final int cpus = Runtime.getRuntime().availableProcessors();
            final int threads = Math.max(1, cpus - 1);
            assertTrue(lines.get(0).startsWith("rpc demo: " + threads + " client thread" + (threads == 1 ? "" : "s")
                + " chosen for this machine's " + cpus + " CPU"), out);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("      client | timed: 3000 get/put calls on " + threads
                + " thread")), out);
        }
    }

    @Test
    void rpcServerAndRpcClientByHand() throws Exception {
        final Path shm = Paths.get("/dev/shm");
        final Path fabric = Files.createTempDirectory(Files.isDirectory(shm) && Files.isWritable(shm) ? shm
            : Paths.get(System.getProperty("java.io.tmpdir")), "vmmc-rpc-test-");
        try (JvmProcess server = JvmProcess.start(Vmmc.class, List.of("-Xmx128m"), "rpc-server", "--fabric",
            fabric.toString(), "--service", "kv-test")) {
            server.expectLine("ready: kv server on service 'kv-test'", 30, TimeUnit.SECONDS);
            try (JvmProcess client = JvmProcess.start(Vmmc.class, List.of("-Xmx128m"), "rpc-client", "--fabric",
                fabric.toString(), "--service", "kv-test", "--calls", "1000", "--threads", "1")) {
                assertEquals(0, client.waitFor(30, TimeUnit.SECONDS), client::transcript);
                assertTrue(client.transcript().contains("timed: 1000 get/put calls on 1 thread in "),
                    client::transcript);
                assertTrue(client.transcript().lines().anyMatch(l -> l.matches("all \\d+ answers correct")),
                    client::transcript);
            }
            ProcessHandle.of(server.pid()).ifPresent(ProcessHandle::destroy);
            server.expectLine("stopped: served ", 30, TimeUnit.SECONDS);
            server.waitFor(30, TimeUnit.SECONDS);
        } finally {
            try (Stream<Path> files = Files.walk(fabric)) {
                for (final Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void childJvmsGetThisJvmsArgumentsAndClasspath() {
        final List<String> cmd = ChildJvm.command("a.Main", List.of("x"));
        assertTrue(cmd.get(0).endsWith("/bin/java"), cmd::toString);
        assertTrue(cmd.containsAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()),
            cmd::toString);
        assertTrue(cmd.contains("-Dchronicle.analytics.disable=true"), cmd::toString);
        assertEquals(List.of("-cp", System.getProperty("java.class.path"), "a.Main", "x"),
            cmd.subList(cmd.size() - 4, cmd.size()));
    }
}
