package org.softclan.vmmc.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.DmaMode;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.PeerGoneException;

/**
 * Every send technique and every receive technique between two JVMs: one {@link TechniqueWriterMain}
 * process writes a stream per test, with the technique's buffer discipline (classical techniques
 * overwrite their buffer as soon as a send returns; DIRECT_DMA and V2P_DMA reuse a buffer only once its
 * ticket is ready); this JVM receives and checks a CRC32C of everything against the writer's and the
 * expected one. The writer's DMA engine runs in the {@link #mode()} of the subclass
 * ({@link StreamTechniqueDedicatedCrossProcessTest}, {@link StreamTechniqueInvokerCrossProcessTest}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StreamTechniqueCrossProcessTest {
    /** Bytes per run: {@value} (set lower with -Dsoftclan.techniqueBytes=... on a slow machine). */
    static final long BYTES = Long.getLong("softclan.techniqueBytes", 1L << 30);
    private Fabric fabric;
    private Endpoint reader;
    private StreamListener listener;
    private JvmProcess writer;

    /** {@return the mode of the writing JVM's DMA engine} */
    abstract DmaMode mode();

    @BeforeAll
    void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        reader = fabric.openEndpoint("reader");
        listener = ByteStreams.listen(reader, "tech", new ConnectionContext());
        writer = JvmProcess.start(TechniqueWriterMain.class, List.of("-D" + DmaMode.PROPERTY + "=" + mode()),
            fabric.root().toString(), "tech");
        writer.expectLine("ready", 30, TimeUnit.SECONDS);
    }

    @AfterAll
    void tearDown() throws Exception {
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
    private String run(final SendTechnique t, final ReceiveTechnique rt, final long seed, final int maxWrite,
                              final Receiver receiver) throws Exception {
        return run(t, rt, seed, maxWrite, receiver, BYTES);
    }

    private String run(final SendTechnique t, final ReceiveTechnique rt, final long seed, final int maxWrite,
                              final Receiver receiver, final long bytes) throws Exception {
        writer.send("run " + t.cliName() + " " + bytes + " " + seed + " " + maxWrite);
        final ByteStream s = listener.accept(30, TimeUnit.SECONDS,
            new ByteStreamContext().readTimeout(30, TimeUnit.SECONDS).receiveTechnique(rt));
        assertNotNull(s, writer::transcript);
        writer.expectLine("connected", 30, TimeUnit.SECONDS);
        writer.send("go");
        final CRC32C crc = new CRC32C();
        final long start = System.nanoTime();
        final long got = receiver.receive(s, crc);
        final long nanos = System.nanoTime() - start;
        final String wrote = writer.expectLine("wrote", 60, TimeUnit.SECONDS);
        writer.expectLine("closed", 30, TimeUnit.SECONDS);
        s.close();
        assertEquals(bytes, got, wrote);
        assertEquals(StreamWriterMain.crcOf(StreamWriterMain.data(seed), bytes), crc.getValue(), "CRC32C received");
        assertEquals(crc.getValue(), field(wrote, "crc"), "CRC32C sent: " + wrote);
        assertTrue(wrote.endsWith(" engine " + mode()), "the writer's DMA engine ran in another mode: " + wrote);
        System.out.printf("%s -> %s: %d MiB in %.0f ms = %.0f MB/s; writer: %s%n", t, rt, bytes >> 20, nanos / 1e6,
            bytes * 1e3 / nanos, wrote);
        return wrote + " mbps " + (long) (bytes * 1e3 / nanos);
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
                while ((before = new StreamInputStream(s).available()) > 0) {
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

    /** Opens a session whose writer's writes wait at most {@code writeTimeoutMs}; this end receives {@code rt}. */
    private ByteStream openSession(final ReceiveTechnique rt, final long writeTimeoutMs) throws Exception {
        writer.send("open " + writeTimeoutMs);
        final ByteStream s = listener.accept(30, TimeUnit.SECONDS,
            new ByteStreamContext().readTimeout(30, TimeUnit.SECONDS).receiveTechnique(rt));
        assertNotNull(s, writer::transcript);
        writer.expectLine("connected", 30, TimeUnit.SECONDS);
        return s;
    }

    private static byte[] data(final long seed, final int n) {
        return Arrays.copyOf(StreamWriterMain.data(seed), n);
    }

    private static byte[] contents(final PostedBuffer p) {
        final byte[] b = new byte[p.length()];
        p.get(0, b, 0, b.length);
        return b;
    }

    @Test
    void thePrePostingRuleAcrossProcesses() throws Exception {
        // 300 ms: the first write times out for want of a post; the others do not wait (a post is there,
        // or the send is refused at once)
        final ByteStream s = openSession(ReceiveTechnique.PRE_POSTED, 300);
        writer.send("write pio 1000 31");
        final String none = writer.expectLine("error", 30, TimeUnit.SECONDS);
        assertTrue(none.startsWith("error StreamTimeoutException") && none.contains("no buffer was posted"), none);
        final PostedBuffer small = s.post(500);
        writer.send("write copy-dma 1000 32");
        final String tooBig = writer.expectLine("error", 30, TimeUnit.SECONDS);
        assertTrue(tooBig.startsWith("error PostedBufferTooSmallException") && tooBig.contains("1000 bytes")
            && tooBig.contains("500 bytes"), tooBig);
        writer.send("write pio 400 33");
        writer.expectLine("ok", 30, TimeUnit.SECONDS);
        small.awaitFilled(30, TimeUnit.SECONDS);
        assertTrue(small.redirected());
        assertArrayEquals(data(33, 400), contents(small), "the refused send wrote nothing; the buffer stayed posted");
        small.release();
        writer.send("close");
        writer.expectLine("closed", 30, TimeUnit.SECONDS);
        s.close();
    }

    @Test
    void redirectionTakesBothPathsAcrossProcesses() throws Exception {
        final ByteStream s = openSession(ReceiveTechnique.REDIRECTION, 5000);
        final PostedBuffer early = s.post(4000);
        writer.send("write pio 3000 34");
        writer.expectLine("ok", 30, TimeUnit.SECONDS);
        early.awaitFilled(30, TimeUnit.SECONDS);
        assertTrue(early.redirected(), "posted before the send: deposited straight into it");
        assertArrayEquals(data(34, 3000), contents(early));
        writer.send("write v2p-dma 2000 35");
        writer.expectLine("ok", 30, TimeUnit.SECONDS);
        final PostedBuffer late = s.post(4000);
        late.awaitFilled(30, TimeUnit.SECONDS);
        assertFalse(late.redirected(), "posted after the send: it came through the ring, copied on delivery");
        assertArrayEquals(data(35, 2000), contents(late));
        assertEquals(1, s.stats().deliveredDirect());
        assertEquals(1, s.stats().deliveredCopied());
        early.release();
        late.release();
        writer.send("close");
        writer.expectLine("closed", 30, TimeUnit.SECONDS);
        s.close();
    }

    /**
     * Smoke figures: 64 KiB sends through each technique against 64 KiB messages through a raw
     * connection ring (receiver copying each message out, as a stream read does), both with CRC32C
     * on both sides. Prints the figures; asserts only that the bytes arrived intact.
     */
    @Test
    void sixtyFourKibSendsPerTechniqueAgainstARawRing() throws Exception {
        final long bytes = Math.min(BYTES, 256L << 20);
        rawRing(bytes, 40);   // warms up both JVMs' ring paths
        final long raw = rawRing(bytes, 41);
        final StringBuilder table = new StringBuilder("64 KiB sends, " + (bytes >> 20) + " MiB, two JVMs: raw ring "
            + raw + " MB/s");
        long seed = 42;
        for (final SendTechnique t : SendTechnique.values()) {
            final long mbps = field(run(t, ReceiveTechnique.BUFFERED, seed++, -65536,
                StreamTechniqueCrossProcessTest::readAll, bytes), "mbps");
            table.append(String.format("; %s %d MB/s (%.0f%% of raw)", t, mbps, 100.0 * mbps / raw));
        }
        System.out.println(table);
    }

    /** Receives {@code bytes} sent as 64 KiB connection messages, copying each out; returns MB/s. */
    private long rawRing(final long bytes, final long seed) throws Exception {
        writer.send("raw " + bytes + " " + seed + " 65536");
        final Connection c = listener.listener().accept(30, TimeUnit.SECONDS);
        assertNotNull(c, writer::transcript);
        writer.expectLine("connected", 30, TimeUnit.SECONDS);
        final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 16);
        final long address = net.openhft.chronicle.core.Jvm.address(buf);
        final CRC32C crc = new CRC32C();
        final long[] got = {0};
        final long start = System.nanoTime();
        try {
            while (true) {
                c.receive((store, offset, length) -> {
                    store.nativeRead(offset, address, length);
                    crc.update(buf.clear().limit(length));
                    got[0] += length;
                }, 16, 30, TimeUnit.SECONDS);
            }
        } catch (final PeerGoneException end) {
            // the writer closed after sending everything
        }
        final long nanos = System.nanoTime() - start;
        c.close();
        final String wrote = writer.expectLine("wrote", 30, TimeUnit.SECONDS);
        writer.expectLine("closed", 30, TimeUnit.SECONDS);
        assertEquals(bytes, got[0]);
        assertEquals(field(wrote, "crc"), crc.getValue());
        assertEquals(StreamWriterMain.crcOf(StreamWriterMain.data(seed), bytes), crc.getValue());
        final long mbps = (long) (bytes * 1e3 / nanos);
        System.out.println("raw ring: " + (bytes >> 20) + " MiB of 64 KiB messages in " + nanos / 1_000_000 + " ms = "
            + mbps + " MB/s");
        return mbps;
    }
}
