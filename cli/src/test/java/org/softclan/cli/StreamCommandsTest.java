package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;

/**
 * {@code vmmc demo stream}, and {@code vmmc stream-receive} with {@code vmmc stream-send} by hand, each
 * a JVM of its own (the demo starts two more).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StreamCommandsTest {
    private static final List<String> HEAP = List.of("-Xmx128m");

    private static Path fabricOf(final List<String> lines, final String out) {
        final String fabricLine = lines.stream().filter(l -> l.startsWith("[1/4] fabric ")).findFirst().orElse(null);
        assertNotNull(fabricLine, out);
        return Paths.get(fabricLine.substring("[1/4] fabric ".length()).replace(" (temporary)", ""));
    }

    @Test
    void demoStreamOf32MiBPassesWithThroughputAndVerdictAndRemovesItsFabric() throws Exception {
        try (JvmProcess demo = JvmProcess.start(Vmmc.class, HEAP, "demo", "stream", "--size", "32MiB")) {
            final int exit = demo.waitFor(60, TimeUnit.SECONDS);
            final String out = demo.transcript();
            assertEquals(0, exit, out);
            final List<String> lines = out.lines().toList();
            assertFalse(Files.exists(fabricOf(lines, out)), "the demo removes its fabric");
            assertTrue(lines.get(0).startsWith("stream demo: 32.0 MiB of generated data from one JVM to another"), out);
            // not a terminal: progress comes as lines, the last one at 100%
            assertTrue(lines.stream().anyMatch(l -> l.matches(" {6}progress \\[#{30}] 100%  32\\.0 MiB / 32\\.0 MiB "
                + " [0-9.]+ GB/s")), out);
            assertFalse(out.contains("\r"), "no carriage returns when the output is not a terminal");
            final String sent = lines.stream().filter(l -> l.startsWith("      sender   | sent: 33554432 bytes in "))
                .findFirst().orElse(null);
            assertNotNull(sent, out);
            final Matcher crc = Pattern.compile("crc32c (0x[0-9a-f]{8})").matcher(sent);
            assertTrue(crc.find(), sent);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("      receiver | result: INTACT: 33554432 bytes of"
                + " generated data") && l.contains("crc32c " + crc.group(1) + " matches the sender's")), out);
            final String verdict = lines.get(lines.size() - 1);
            assertTrue(verdict.matches("stream demo: PASSED in [0-9.]+ s: 33554432 bytes \\(32\\.0 MiB\\) arrived intact"
                + " at [0-9.]+ GB/s \\(.*\\); crc32c " + crc.group(1) + " sent = received"), out);
        }
    }

    @Test
    void demoStreamFailsSayingWhyWhenTheSenderJvmDies() throws Exception {
        try (JvmProcess demo = JvmProcess.start(Vmmc.class, HEAP, "demo", "stream", "--size", "1024g")) {
            // the two JVMs' lines interleave in either order: the receiver's may come before the sender's
            final String connected = demo.expectLinesInAnyOrder(30, TimeUnit.SECONDS, "      sender   | connected: ",
                "      receiver | receiving: ").get(0);
            final Matcher pid = Pattern.compile("\\(pid (\\d+)\\)").matcher(connected);
            assertTrue(pid.find(), connected);
            final ProcessHandle sender = ProcessHandle.of(Long.parseLong(pid.group(1))).orElseThrow();
            sender.destroyForcibly();
            assertEquals(1, demo.waitFor(60, TimeUnit.SECONDS), demo::transcript);
            final List<String> lines = demo.transcript().lines().toList();
            final String verdict = lines.get(lines.size() - 1);
            assertTrue(verdict.startsWith("stream demo: FAILED: the receiver says: the stream was cut short: the sender"
                + " closed without ending it, or died"), demo::transcript);
            assertTrue(verdict.endsWith("; the sender JVM failed (killed, its output is above)"), demo::transcript);
            assertFalse(Files.exists(fabricOf(lines, demo.transcript())), "the demo removes its fabric");
        }
    }

    @Test
    void streamReceiveAndStreamSendByHandCopyAFile(@TempDir final Path dir) throws Exception {
        final byte[] content = new byte[(1 << 20) + 123];
        new Random(9).nextBytes(content);
        final Path in = Files.write(dir.resolve("in.bin"), content);
        final Path out = dir.resolve("copy.bin");
        try (Fabric fabric = Fabric.createTemporary();
             JvmProcess rx = JvmProcess.start(Vmmc.class, HEAP, "stream-receive", "--fabric", fabric.root().toString(),
                 "--service", "by-hand", "--out", out.toString())) {
            rx.expectLine("ready: stream receiver on service 'by-hand'", 30, TimeUnit.SECONDS);
            try (JvmProcess tx = JvmProcess.start(Vmmc.class, HEAP, "stream-send", "--fabric", fabric.root().toString(),
                "--service", "by-hand", "--file", in.toString(), "--chunk", "16KiB")) {
                assertEquals(0, tx.waitFor(30, TimeUnit.SECONDS), tx::transcript);
                assertTrue(tx.transcript().contains("sent: " + content.length + " bytes in "), tx::transcript);
            }
            assertEquals(0, rx.waitFor(30, TimeUnit.SECONDS), rx::transcript);
            assertTrue(rx.transcript().contains("result: INTACT: " + content.length + " bytes of a file in "),
                rx::transcript);
        }
        assertArrayEquals(content, Files.readAllBytes(out));
    }
}
