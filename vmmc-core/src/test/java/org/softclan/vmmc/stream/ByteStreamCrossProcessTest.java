package org.softclan.vmmc.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.vmmc.ConnectionContext;

/** Byte streams between JVMs: writers are {@link StreamWriterMain} processes, this JVM reads. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ByteStreamCrossProcessTest {
    private Fabric fabric;
    private Endpoint reader;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        reader = fabric.openEndpoint("reader");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    /** Reads the channel to its end; returns {bytes, crc32c, nanoTime of the first byte}. */
    private static long[] readAll(final ReadableByteChannel ch) throws IOException {
        final ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
        final CRC32C crc = new CRC32C();
        long total = 0;
        long first = 0;
        int n;
        while ((n = ch.read(buf)) >= 0) {
            if (total == 0) {
                first = System.nanoTime();
            }
            buf.flip();
            crc.update(buf);
            buf.clear();
            total += n;
        }
        return new long[] {total, crc.getValue(), first};
    }

    private static long field(final String line, final String name) {
        final String[] w = line.split(" ");
        for (int i = 0; i < w.length - 1; i++) {
            if (w[i].equals(name)) {
                return Long.parseLong(w[i + 1]);
            }
        }
        throw new AssertionError("no " + name + " in: " + line);
    }

    @Test
    void sixtyFourMebibytesFromAnotherProcessArriveIntact() throws Exception {
        final long bytes = 64L << 20;
        final long expected = StreamWriterMain.crcOf(StreamWriterMain.data(11), bytes);
        try (StreamListener listener = ByteStreams.listen(reader, "bulk", new ConnectionContext());
             JvmProcess writer = JvmProcess.start(StreamWriterMain.class, fabric.root().toString(), "bulk",
                 Long.toString(bytes), "11")) {
            final ByteStream s = listener.accept(30, TimeUnit.SECONDS);
            assertNotNull(s, writer::transcript);
            final long[] got;
            try (ReadableByteChannel ch = s) {
                got = readAll(ch);
            }
            final long nanos = System.nanoTime() - got[2];
            assertEquals(bytes, got[0]);
            assertEquals(expected, got[1], "CRC32C of the stream");
            final String wrote = writer.expectLine("wrote", 30, TimeUnit.SECONDS);
            assertEquals(expected, field(wrote, "crc"), wrote);
            System.out.printf("byte stream across processes: %d MiB in %.0f ms from the first byte to the end"
                + " = %.0f MB/s (writer: %s)%n",
                bytes >> 20, nanos / 1e6, bytes * 1e3 / nanos, wrote);
            writer.expectLine("closed", 30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSlowReaderMakesTheWriterWaitWithoutLosingBytes() throws Exception {
        final long bytes = 8L << 20;
        final long pauseMs = 1000;
        try (StreamListener listener = ByteStreams.listen(reader, "slow", new ConnectionContext());
             JvmProcess writer = JvmProcess.start(StreamWriterMain.class, fabric.root().toString(), "slow",
                 Long.toString(bytes), "12")) {
            final ByteStream s = listener.accept(30, TimeUnit.SECONDS);
            assertNotNull(s, writer::transcript);
            // the writer starts its clock before it prints "connected": the pause begins after that start
            writer.expectLine("connected", 30, TimeUnit.SECONDS);
            Thread.sleep(pauseMs);   // the 1 MiB ring fills; the writer blocks
            final long[] got = readAll(s);
            s.close();
            assertEquals(bytes, got[0]);
            assertEquals(StreamWriterMain.crcOf(StreamWriterMain.data(12), bytes), got[1]);
            final String wrote = writer.expectLine("wrote", 30, TimeUnit.SECONDS);
            System.out.println("slow reader, paused " + pauseMs + " ms; writer: " + wrote);
            // 8 MiB cannot pass a 1 MiB ring while nothing is read: the write ends after the pause, which
            // began after the writer's clock started (System.nanoTime is one monotonic clock for all
            // processes on Linux; the printed figure is truncated to whole ms)
            assertTrue(field(wrote, "writeMs") >= pauseMs - 1, "the writer did not wait: " + wrote);
            assertTrue(field(wrote, "blockedMs") > 0, "the writer never blocked for room: " + wrote);
        }
    }

    @Test
    void aWriterKilledMidStreamIsAnErrorForTheReaderNotAHang() throws Exception {
        try (StreamListener listener = ByteStreams.listen(reader, "doomed", new ConnectionContext());
             JvmProcess writer = JvmProcess.start(StreamWriterMain.class, fabric.root().toString(), "doomed", "-1",
                 "13")) {
            final ByteStream s = listener.accept(30, TimeUnit.SECONDS);
            assertNotNull(s, writer::transcript);
            final ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            long total = 0;
            while (total < (16L << 20)) {
                final int n = s.read(buf);
                assertTrue(n > 0);
                total += n;
                buf.clear();
            }
            writer.kill();
            final long start = System.nanoTime();
            IOException failure = null;
            try {
                while (s.read(buf) >= 0) {
                    buf.clear();
                }
            } catch (final IOException e) {
                failure = e;
            }
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(failure instanceof StreamPeerGoneException, "got " + failure);
            assertTrue(failure.getMessage().contains("died"), failure.getMessage());
            assertTrue(ms < 5000, "took " + ms + " ms to notice");
            System.out.println("killed writer noticed after " + ms + " ms: " + failure.getMessage());
            s.close();
        }
    }
}
