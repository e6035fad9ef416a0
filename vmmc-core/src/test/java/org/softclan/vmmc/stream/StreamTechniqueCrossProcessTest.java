package org.softclan.vmmc.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.vmmc.ConnectionContext;

/**
 * Every send technique and every receive technique between two JVMs: one {@link TechniqueWriterMain}
 * process writes a stream per test, with the technique's buffer discipline (classical techniques
 * overwrite their buffer as soon as a send returns; DIRECT_DMA and V2P_DMA reuse a buffer only once its
 * ticket is ready); this JVM receives and checks a CRC32C of everything against the writer's and the
 * expected one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamTechniqueCrossProcessTest {
    /** Bytes per run: {@value} (set lower with -Dsoftclan.techniqueBytes=... on a slow machine). */
    static final long BYTES = Long.getLong("softclan.techniqueBytes", 1L << 30);
    private static Fabric fabric;
    private static Endpoint reader;
    private static StreamListener listener;
    private static JvmProcess writer;

    @BeforeAll
    static void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        reader = fabric.openEndpoint("reader");
        listener = ByteStreams.listen(reader, "tech", new ConnectionContext());
        writer = JvmProcess.start(TechniqueWriterMain.class, fabric.root().toString(), "tech");
        writer.expectLine("ready", 30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (writer != null) {
            writer.send("quit");
            writer.waitFor(10, TimeUnit.SECONDS);
            writer.close();
        }
        listener.close();
        fabric.close();
    }

    private interface Receiver {
        /** Receives to the end, feeding {@code crc}; returns the byte count. */
        long receive(ByteStream s, CRC32C crc) throws Exception;
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

    /** Runs one stream; returns the writer's report line. */
    private static String run(final SendTechnique t, final ReceiveTechnique rt, final long seed, final int maxWrite,
                              final Receiver receiver) throws Exception {
        writer.send("run " + t.cliName() + " " + BYTES + " " + seed + " " + maxWrite);
        final ByteStream s = listener.accept(30, TimeUnit.SECONDS);
        assertNotNull(s, writer::transcript);
        s.readTimeout(30, TimeUnit.SECONDS);
        s.receiveTechnique(rt);
        writer.expectLine("connected", 30, TimeUnit.SECONDS);
        writer.send("go");
        final CRC32C crc = new CRC32C();
        final long start = System.nanoTime();
        final long got = receiver.receive(s, crc);
        final long nanos = System.nanoTime() - start;
        final String wrote = writer.expectLine("wrote", 60, TimeUnit.SECONDS);
        writer.expectLine("closed", 30, TimeUnit.SECONDS);
        s.close();
        assertEquals(BYTES, got, wrote);
        assertEquals(StreamWriterMain.crcOf(StreamWriterMain.data(seed), BYTES), crc.getValue(), "CRC32C received");
        assertEquals(crc.getValue(), field(wrote, "crc"), "CRC32C sent: " + wrote);
        System.out.printf("%s -> %s: %d MiB in %.0f ms = %.0f MB/s; writer: %s%n", t, rt, BYTES >> 20, nanos / 1e6,
            BYTES * 1e3 / nanos, wrote);
        return wrote;
    }

    private static long readAll(final ByteStream s, final CRC32C crc) throws Exception {
        final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        long total = 0;
        int n;
        while ((n = s.read(buf)) >= 0) {
            buf.flip();
            crc.update(buf);
            buf.clear();
            total += n;
        }
        return total;
    }

    @Test
    void pioOverwritingItsBufferAtOnce() throws Exception {
        run(SendTechnique.PIO, ReceiveTechnique.BUFFERED, 21, 256 * 1024, StreamTechniqueCrossProcessTest::readAll);
    }

    @Test
    void copyDmaOverwritingItsBufferAtOnceLeavesTheSentBytesIntact() throws Exception {
        run(SendTechnique.COPY_DMA, ReceiveTechnique.BUFFERED, 22, 256 * 1024, StreamTechniqueCrossProcessTest::readAll);
    }

    @Test
    void directDmaReusingBuffersOnlyWhenReady() throws Exception {
        run(SendTechnique.DIRECT_DMA, ReceiveTechnique.BUFFERED, 23, 256 * 1024, StreamTechniqueCrossProcessTest::readAll);
    }

    @Test
    void v2pDmaReusingBuffersOnlyWhenReadyHitsTheRegistrationCache() throws Exception {
        final String wrote = run(SendTechnique.V2P_DMA, ReceiveTechnique.BUFFERED, 24, 256 * 1024,
            StreamTechniqueCrossProcessTest::readAll);
        assertEquals(2, field(wrote, "misses"), "two buffers, each registered once: " + wrote);
        assertEquals(field(wrote, "sends") - 2, field(wrote, "hits"), wrote);
    }

    /** Page exchange both ways: pages written at once after sending, received by owner change. */
    @Test
    void pageExchangeSendAndReceiveByOwnerChange() throws Exception {
        run(SendTechnique.PAGE_EXCHANGE, ReceiveTechnique.BUFFERED, 25, 256 * 1024, (s, crc) -> {
            long total = 0;
            final ArrayDeque<ReceivedPage> held = new ArrayDeque<>();
            ReceivedPage page;
            while ((page = s.receivePage(30, TimeUnit.SECONDS)) != null) {
                crc.update(page.asReadOnlyBuffer());
                total += page.length();
                held.add(page);
                if (held.size() == 4) {   // release out of order: newest first
                    while (!held.isEmpty()) {
                        held.pollLast().release();
                    }
                }
            }
            held.forEach(ReceivedPage::release);
            return total;
        });
    }

    @Test
    void prePostedReceiveDepositsEverySendIntoAPostedBuffer() throws Exception {
        final String wrote = run(SendTechnique.COPY_DMA, ReceiveTechnique.PRE_POSTED, 26, 256 * 1024,
            StreamTechniqueCrossProcessTest::readAll);
        assertEquals(field(wrote, "sends"), field(wrote, "deposits"), "every send went into a posted buffer: " + wrote);
    }

    /** Redirection: the reader only posts buffers; sends go into them directly or via the ring and a copy. */
    @Test
    void redirectionReceiveThroughPostedBuffers() throws Exception {
        final long[] paths = new long[2];
        run(SendTechnique.PIO, ReceiveTechnique.REDIRECTION, 27, 256 * 1024, (s, crc) -> {
            final ArrayDeque<PostedBuffer> posted = new ArrayDeque<>();
            final ByteBuffer earlier = ByteBuffer.allocate(1 << 20);
            long total = 0;
            while (true) {
                while (posted.size() < 2) {
                    posted.add(s.post(1 << 20));
                }
                final PostedBuffer p = posted.poll();
                boolean ended = false;
                try {
                    p.awaitFilled(30, TimeUnit.SECONDS);
                } catch (final EOFException end) {
                    ended = true;
                }
                // bytes that came through the ring while this buffer awaited a deposit precede it
                int before;
                while ((before = s.inputStream().available()) > 0) {
                    earlier.clear().limit(Math.min(before, earlier.capacity()));
                    total += s.read(earlier);
                    crc.update(earlier.flip());
                }
                if (ended) {
                    break;
                }
                crc.update(p.asReadOnlyBuffer());
                total += p.length();
                paths[p.redirected() ? 0 : 1]++;
                p.release();
            }
            return total;
        });
        System.out.println("redirection: " + paths[0] + " buffers deposited by the sender, " + paths[1]
            + " filled from the ring");
        assertTrue(paths[0] + paths[1] > 0);
    }
}
