package org.softclan.vmmc.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.stat.StatReader;
import org.softclan.dsm.stat.StatTypes;
import org.softclan.dsm.testing.TestThreads;
import org.softclan.vmmc.ConnectionContext;

/**
 * A stream end's counters in its endpoint's statistics file, as any process reads it: the bytes one end sent
 * are the bytes the other received, the labels name the techniques, and the endpoint counts the bytes its
 * technique moved by DMA.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamStatsTest {
    private static final int BYTES = 3 << 20;
    private Fabric fabric;
    private Endpoint server;
    private Endpoint client;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        server = fabric.openEndpoint("server");
        client = fabric.openEndpoint("client");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    /** The endpoint's counters by type: the stream's (labels naming it) summed, the endpoint's own as they are. */
    private static Map<Integer, Long> read(final Endpoint ep, final String labelPart) throws Exception {
        final Map<Integer, Long> m = new HashMap<>();
        for (final StatReader.Counter c : StatReader.read(ep.stats().file()).counters()) {
            if (c.label().contains(labelPart) || c.label().endsWith(", endpoint " + ep.name())) {
                m.merge(c.typeId(), c.value(), Long::sum);
            }
        }
        return m;
    }

    @ParameterizedTest
    @EnumSource(value = SendTechnique.class, names = {"PIO", "COPY_DMA"})
    void theBytesOneEndSentAreTheBytesTheOtherReceived(final SendTechnique technique) throws Exception {
        final ByteStream[] pair = StreamPairs.open(server, client, "counted", new ConnectionContext(),
            new ByteStreamContext(), new ByteStreamContext().sendTechnique(technique));
        final ByteStream in = pair[0];
        final ByteStream out = pair[1];
        final java.util.concurrent.CompletableFuture<Long> reading = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            final ByteBuffer dst = ByteBuffer.allocate(64 * 1024);
            long got = 0;
            try {
                while (got < BYTES) {
                    dst.clear();
                    got += in.read(dst);
                }
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return got;
        }, TestThreads.THREADS);
        final ByteBuffer src = ByteBuffer.allocateDirect(100_000);
        for (long sent = 0; sent < BYTES; ) {
            src.clear().limit((int) Math.min(src.capacity(), BYTES - sent));
            sent += out.write(src);
        }
        assertEquals(BYTES, reading.get(30, TimeUnit.SECONDS));
        final String label = "(send " + technique.cliName() + ", receive buffered)";
        final java.util.concurrent.atomic.AtomicReference<Map<Integer, Long>> sender = new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicReference<Map<Integer, Long>> receiver = new java.util.concurrent.atomic.AtomicReference<>();
        TestThreads.awaitTrue(() -> {
            try {
                sender.set(read(client, label));
                receiver.set(read(server, "(send pio, receive buffered)"));
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
            final Map<Integer, Long> x = sender.get();
            // a COPY_DMA write returns before its transfers are counted as completed: wait for those too
            return Long.valueOf(BYTES).equals(x.get(StatTypes.STREAM_BYTES_SENT))
                && Long.valueOf(BYTES).equals(receiver.get().get(StatTypes.STREAM_BYTES_RECEIVED))
                && (technique == SendTechnique.PIO || x.get(StatTypes.DMA_BYTES_WRITTEN) >= BYTES
                    && x.get(StatTypes.DMA_TRANSFERS_ISSUED).equals(x.get(StatTypes.DMA_TRANSFERS_COMPLETED)));
        }, 10, TimeUnit.SECONDS);
        final Map<Integer, Long> s = sender.get();
        final Map<Integer, Long> r = receiver.get();
        assertEquals((long) BYTES, s.get(StatTypes.STREAM_BYTES_SENT), "sent, by the label naming the technique: " + s);
        assertEquals((long) BYTES, r.get(StatTypes.STREAM_BYTES_RECEIVED), "received: " + r);
        assertEquals(32L, s.get(StatTypes.STREAM_SENDS), "3 MiB in 32 writes of at most 100,000 bytes: " + s);
        assertTrue(r.get(StatTypes.STREAM_FRAMES_RECEIVED) >= 32, "at least a frame per write: " + r);
        // the sending endpoint moved the stream's bytes by its technique's means (plus the frames' headers)
        // (PIO bytes are counted only with -Dsoftclan.stat.pio=true, which this JVM does not set)
        if (technique == SendTechnique.PIO) {
            assertEquals(0L, s.get(StatTypes.DMA_BYTES_WRITTEN), s.toString());
        } else {
            assertTrue(s.get(StatTypes.DMA_BYTES_WRITTEN) >= BYTES, "DMA bytes: " + s);
            assertEquals(s.get(StatTypes.DMA_TRANSFERS_ISSUED), s.get(StatTypes.DMA_TRANSFERS_COMPLETED), s.toString());
        }
        in.close();
        out.close();
        TestThreads.awaitTrue(() -> {
            try {
                return !read(client, label).containsKey(StatTypes.STREAM_BYTES_SENT);
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        }, 10, TimeUnit.SECONDS);
        assertTrue(!read(client, label).containsKey(StatTypes.STREAM_BYTES_SENT), "a closed stream's counters are removed");
    }
}
