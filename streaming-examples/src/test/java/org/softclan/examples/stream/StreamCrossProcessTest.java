package org.softclan.examples.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;

/** The demo's two programs in two JVMs: a receiver and a sender on a temporary fabric. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StreamCrossProcessTest {
    private static final List<String> HEAP = List.of("-Xmx128m");

    private Fabric fabric;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    private JvmProcess receiver(final String... extra) throws Exception {
        final String[] args = new String[4 + extra.length];
        args[0] = "--fabric";
        args[1] = fabric.root().toString();
        args[2] = "--service";
        args[3] = "xp";
        System.arraycopy(extra, 0, args, 4, extra.length);
        final JvmProcess p = JvmProcess.start(StreamReceiver.class, HEAP, args);
        p.expectLine("ready: stream receiver on service 'xp'", 30, TimeUnit.SECONDS);
        return p;
    }

    private JvmProcess sender(final String... extra) throws Exception {
        final String[] args = new String[4 + extra.length];
        args[0] = "--fabric";
        args[1] = fabric.root().toString();
        args[2] = "--service";
        args[3] = "xp";
        System.arraycopy(extra, 0, args, 4, extra.length);
        return JvmProcess.start(StreamSender.class, HEAP, args);
    }

    private static long generatedCrc(final long seed, final long length) {
        final CRC32C crc = new CRC32C();
        final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        for (long p = 0; p < length; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), length - p));
            StreamPattern.fill(seed, buf, p);
            buf.flip();
            p += buf.remaining();
            crc.update(buf);
        }
        return crc.getValue();
    }

    private static String hex(final long crc) {
        return String.format(Locale.ROOT, "0x%08x", crc);
    }

    @Test
    void sixtyFourMebibytesOfGeneratedDataArriveIntactWithEqualChecksums() throws Exception {
        final long length = 64L << 20;
        final String expectedCrc = hex(generatedCrc(77, length));
        try (JvmProcess rx = receiver(); JvmProcess tx = sender("--size", "64MiB", "--seed", "77")) {
            assertEquals(0, tx.waitFor(60, TimeUnit.SECONDS), tx::transcript);
            final String sent = tx.expectLine("sent: ", 1, TimeUnit.SECONDS);
            assertTrue(sent.startsWith("sent: " + length + " bytes in "), sent);
            assertTrue(sent.contains("crc32c " + expectedCrc + ", technique pio"), sent);

            assertEquals(0, rx.waitFor(60, TimeUnit.SECONDS), rx::transcript);
            rx.expectLine("receiving: " + length + " bytes of generated data (seed 77)", 1, TimeUnit.SECONDS);
            final String result = rx.expectLine("result: ", 1, TimeUnit.SECONDS);
            assertTrue(result.startsWith("result: INTACT: " + length + " bytes of generated data (seed 77) in "), result);
            assertTrue(result.contains("GB/s); crc32c " + expectedCrc + " matches the sender's; every byte as generated"),
                result);
        }
    }

    @Test
    void aSenderKilledMidStreamMakesTheReceiverFailSayingSo() throws Exception {
        try (JvmProcess rx = receiver("--progress-ms", "20"); JvmProcess tx = sender("--size", "1024g")) {
            // wait until payload is flowing, then kill the sender with SIGKILL: no end-of-stream marker is sent
            String progress;
            do {
                progress = rx.expectLine("progress: ", 30, TimeUnit.SECONDS);
            } while (Long.parseLong(progress.split(" ")[1]) == 0);
            tx.kill();
            assertEquals(1, rx.waitFor(30, TimeUnit.SECONDS), rx::transcript);
            final String result = rx.expectLine("result: ", 1, TimeUnit.SECONDS);
            assertTrue(result.startsWith("result: FAILED: the stream was cut short: the sender closed without ending"
                + " it, or died"), result);
            assertTrue(result.endsWith(" of " + (1024L << 30) + " payload bytes"), result);
        }
    }

    @Test
    void aFileIsCopiedByteForByteWithOut(@TempDir final Path dir) throws Exception {
        final byte[] content = new byte[(3 << 20) + 7];
        new Random(3).nextBytes(content);
        final Path in = Files.write(dir.resolve("in.bin"), content);
        final Path out = dir.resolve("out.bin");
        try (JvmProcess rx = receiver("--out", out.toString(), "--chunk", "1MiB");
             JvmProcess tx = sender("--file", in.toString(), "--chunk", "100000")) {
            assertEquals(0, tx.waitFor(60, TimeUnit.SECONDS), tx::transcript);
            assertEquals(0, rx.waitFor(60, TimeUnit.SECONDS), rx::transcript);
            final String result = rx.expectLine("result: ", 1, TimeUnit.SECONDS);
            assertTrue(result.startsWith("result: INTACT: " + content.length + " bytes of a file in "), result);
            assertTrue(result.endsWith("; written to " + out), result);
        }
        assertArrayEquals(content, Files.readAllBytes(out));
        assertTrue(Files.notExists(dir.resolve("out.bin.part")));
    }

    @Test
    void usageErrorsExitWithTwoAndSayWhy() throws Exception {
        try (JvmProcess tx = JvmProcess.start(StreamSender.class, HEAP, "--fabric", fabric.root().toString(),
            "--size", "1m", "--technique", "carrier-pigeon")) {
            assertEquals(2, tx.waitFor(30, TimeUnit.SECONDS), tx::transcript);
            assertTrue(tx.transcript().contains("no send technique 'carrier-pigeon'; choose one of pio, copy-dma,"
                + " direct-dma, v2p-dma, page-exchange"), tx::transcript);
        }
        try (JvmProcess rx = JvmProcess.start(StreamReceiver.class, HEAP, "--fabric", fabric.root().toString(),
            "--chunk", "lots")) {
            assertEquals(2, rx.waitFor(30, TimeUnit.SECONDS), rx::transcript);
            assertTrue(rx.transcript().contains("option '--chunk' takes a size"), rx::transcript);
        }
    }
}
