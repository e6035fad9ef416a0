package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.net.TwoHosts;

/**
 * The README's walk-through across two hosts, with the CLI only: two network namespaces ({@link TwoHosts}),
 * host a runs {@code vmmc agent} and exports a region and watches it; host b writes into it and reads it
 * back as {@code NAME@a}, its own process the agent of host b while each command runs.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TwoHostCliTest {
    private static final int PORT = 41_456;

    /** {@return the line that starts with {@code prefix}}, skipping the others */
    private static String line(final JvmProcess p, final String prefix) throws InterruptedException {
        return p.expectLine(prefix, 60, TimeUnit.SECONDS);
    }

    /** {@code vmmc demo rpc --hosts 2}: the server as host a, the client as host b, every answer right. */
    @Test
    void demoRpcAcrossTwoHosts() throws Exception {
        try (JvmProcess demo = JvmProcess.start(Vmmc.class, List.of("-Xmx128m"), "demo", "rpc", "--hosts", "2",
            "--calls", "2000")) {
            final int exit = demo.waitFor(120, TimeUnit.SECONDS);
            final String out = demo.transcript();
            System.out.println(out);
            assertEquals(0, exit, out);
            assertTrue(out.contains("[1/4] two hosts: "), out);
            assertTrue(out.lines().anyMatch(l -> l.matches(" {6}client \\(b\\) \\| all \\d+ answers correct")), out);
            assertTrue(out.lines().reduce((x, y) -> y).orElse("").startsWith("rpc demo: PASSED in "), out);
        }
    }

    /** {@code vmmc demo stream --hosts 2}: 32 MiB by CopyDMA from host b to host a, intact. */
    @Test
    void demoStreamAcrossTwoHosts() throws Exception {
        try (JvmProcess demo = JvmProcess.start(Vmmc.class, List.of("-Xmx256m"), "demo", "stream", "--hosts", "2",
            "--size", "32MiB", "--technique", "copy-dma")) {
            final int exit = demo.waitFor(150, TimeUnit.SECONDS);
            final String out = demo.transcript();
            System.out.println(out);
            assertEquals(0, exit, out);
            assertTrue(out.contains("[1/4] two hosts: "), out);
            assertTrue(out.contains("the two hosts and their directories removed"), out);
            assertTrue(out.lines().reduce((x, y) -> y).orElse("").startsWith("stream demo: PASSED in "), out);
        }
    }

    @Test
    void agentExportAndWatchOnOneHostWriteAndReadFromTheOther() throws Exception {
        try (TwoHosts hosts = new TwoHosts()) {
            System.out.println("hosts: " + hosts.describe());
            final JvmProcess a = hosts.start(0, CliHostMain.class);
            final JvmProcess b = hosts.start(1, CliHostMain.class);
            a.expectLine("READY", 60, TimeUnit.SECONDS);
            b.expectLine("READY", 60, TimeUnit.SECONDS);
            final String agentA = " --host a --listen " + hosts.address(0, PORT) + " --peer b=" + hosts.address(1, PORT);
            final String agentB = " --host b --listen " + hosts.address(1, PORT) + " --peer a=" + hosts.address(0, PORT);
            a.send("bg export --fabric {fabric} --region inbox --size 4096 --key 42");
            System.out.println(line(a, "ready:"));
            a.send("bg agent --fabric {fabric} --stats 1" + agentA);
            System.out.println(line(a, "ready:"));
            a.send("bg watch --fabric {fabric} --region inbox --key 42 --offset 0 --length 8 --count 1");
            System.out.println(line(a, "watching"));

            b.send("run write --fabric {fabric} --region inbox@a --key 42 --offset 0 --long 1234" + agentB);
            final String wrote = line(b, "wrote");
            System.out.println(wrote);
            assertEquals("DONE rc=0", line(b, "DONE"));
            final String fired = line(a, "event");
            System.out.println(fired);
            assertTrue(fired.contains("1234"), fired);

            b.send("run read --fabric {fabric} --region inbox@a --key 42 --offset 0 --long" + agentB);
            final String value = b.expectLine("", 60, TimeUnit.SECONDS);
            assertEquals("1234", value);
            assertEquals("DONE rc=0", line(b, "DONE"));

            b.send("run regions --fabric {fabric} --remote a" + agentB);
            final String listed;
            try {
                listed = line(b, "inbox@a");
            } catch (final AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nhost a: " + a.transcript(), e);
            }
            System.out.println("host a's regions, listed from host b: " + listed);
            assertTrue(listed.matches("inbox@a +4096 +1"), listed);
            assertEquals("DONE rc=0", line(b, "DONE"));

            b.send("run read --fabric {fabric} --region inbox@a --key 7 --offset 0 --long" + agentB);
            final String denied = b.expectLine("", 60, TimeUnit.SECONDS);
            System.out.println("a wrong key: " + denied);
            assertTrue(denied.contains("denies access"), denied);
            assertTrue(line(b, "DONE").matches("DONE rc=[1-9].*"));

            b.send("run write --fabric {fabric} --region inbox@a --offset 0 --long 1");
            final String noAgent = b.expectLine("", 60, TimeUnit.SECONDS);
            System.out.println("without agent options: " + noAgent);
            assertTrue(noAgent.contains("--host NAME"), noAgent);
        }
    }
}
