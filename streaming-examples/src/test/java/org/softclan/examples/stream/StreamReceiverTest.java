package org.softclan.examples.stream;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.ByteStreamContext;
import org.softclan.vmmc.stream.ByteStreams;
import org.softclan.vmmc.stream.ReceiveTechnique;
import org.softclan.vmmc.stream.SendTechnique;
import org.softclan.vmmc.stream.StreamListener;

/**
 * The receiver's checks, in one process: a {@link StreamSender} (or a hand-made, damaged stream) writes on
 * one endpoint's thread, the receiver reads on the test's. The cross-process runs are in
 * {@link StreamCrossProcessTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamReceiverTest {
    private Fabric fabric;
    private Endpoint receiverEp;
    private Endpoint senderEp;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        receiverEp = fabric.openEndpoint("receiver");
        senderEp = fabric.openEndpoint("sender");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    /** What the sending side of a test does with its stream; it closes the stream afterwards. */
    private interface SenderBody {
        void run(ByteStream s) throws Exception;
    }

    private StreamReceiver.Report exchange(final SenderBody body, final ByteArrayOutputStream sink) throws Exception {
        try (StreamListener listener = ByteStreams.listen(receiverEp, "t", new ConnectionContext())) {
            final CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try (ByteStream s = ByteStreams.connect(senderEp, "t", new ConnectionContext(), 10, TimeUnit.SECONDS)) {
                    body.run(s);
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            }, THREADS);
            final ByteStream s = listener.accept(10, TimeUnit.SECONDS,
                new ByteStreamContext().readTimeout(10, TimeUnit.SECONDS));
            assertNotNull(s, "the sender connects");
            try (s) {
                final StreamReceiver.Report r = new StreamReceiver(s, ReceiveTechnique.BUFFERED, 4096)
                    .receive(sink == null ? null : Channels.newChannel(sink));
                sender.get(20, TimeUnit.SECONDS);
                return r;
            }
        }
    }

    private static ByteBuffer header(final long length, final long seed) {
        final ByteBuffer b = ByteBuffer.allocate(StreamFormat.HEADER_LENGTH);
        StreamFormat.putHeader(new StreamFormat.Header(StreamFormat.Kind.GENERATED, length, seed), b);
        return b.flip();
    }

    private static ByteBuffer trailer(final long length, final long crc) {
        final ByteBuffer b = ByteBuffer.allocate(StreamFormat.TRAILER_LENGTH);
        StreamFormat.putTrailer(length, crc, b);
        return b.flip();
    }

    private static ByteBuffer generated(final long seed, final int n) {
        final ByteBuffer b = ByteBuffer.allocate(n);
        StreamPattern.fill(seed, b, 0);
        return b.flip();
    }

    private static long crc(final ByteBuffer b) {
        final CRC32C c = new CRC32C();
        c.update(b.duplicate());
        return c.getValue();
    }

    @Test
    void aSendersGeneratedStreamArrivesIntactWithTheSendersChecksum() throws Exception {
        final StreamSender.Report[] sent = new StreamSender.Report[1];
        final long length = 3 * 65536 + 12345;   // not a multiple of either side's chunk
        final StreamReceiver.Report r = exchange(s -> sent[0] = new StreamSender(s, SendTechnique.PIO, 10_000)
            .send(StreamSource.generated(length, 99)), null);
        assertTrue(r.intact(), r::describe);
        assertEquals(length, r.received());
        assertEquals(crc(generated(99, (int) length)), r.crc());
        assertEquals(sent[0].crc(), r.crc());
        assertEquals(sent[0].crc(), r.senderCrc().longValue());
        assertEquals(-1, r.firstMismatch());
        assertTrue(r.describe().startsWith("INTACT: " + length + " bytes of generated data (seed 99) in "), r::describe);
        assertTrue(r.describe().endsWith("matches the sender's; every byte as generated"), r::describe);
    }

    @Test
    void aFileArrivesIntactAndIsWrittenToTheSink(@TempDir final Path dir) throws Exception {
        final byte[] content = new byte[200_003];
        new Random(5).nextBytes(content);
        final Path file = Files.write(dir.resolve("in.bin"), content);
        final ByteArrayOutputStream sink = new ByteArrayOutputStream();
        final StreamReceiver.Report r = exchange(s -> {
            try (StreamSource src = StreamSource.file(file)) {
                new StreamSender(s, SendTechnique.PIO, 65536).send(src);
            }
        }, sink);
        assertTrue(r.intact(), r::describe);
        assertEquals(StreamFormat.Kind.FILE, r.header().kind());
        assertArrayEquals(content, sink.toByteArray());
    }

    @Test
    void anEmptyPayloadIsIntact() throws Exception {
        final StreamReceiver.Report r = exchange(s -> new StreamSender(s, SendTechnique.PIO, 100)
            .send(StreamSource.generated(0, 1)), null);
        assertTrue(r.intact(), r::describe);
        assertEquals(0, r.received());
    }

    @Test
    void aChangedByteIsFoundByTheChecksumAndByPosition() throws Exception {
        final int n = 50_000;
        final ByteBuffer payload = generated(7, n);
        final long sendersCrc = crc(payload);   // the sender's checksum is of the right data
        payload.put(31_337, (byte) (payload.get(31_337) ^ 0x10));   // the bytes on the wire are not
        final StreamReceiver.Report r = exchange(s -> {
            s.write(header(n, 7));
            s.write(payload);
            s.write(trailer(n, sendersCrc));
        }, null);
        assertFalse(r.intact());
        assertEquals(31_337, r.firstMismatch());
        assertTrue(r.describe().startsWith("FAILED: crc32c differs: "), r::describe);
        assertTrue(r.describe().contains("first at byte 31337"), r::describe);
    }

    @Test
    void aShortStreamIsAFailureSayingHowFarItGot() throws Exception {
        final StreamReceiver.Report r = exchange(s -> {
            s.write(header(100_000, 3));
            s.write(generated(3, 40_000));
            s.shutdownOutput();
        }, null);
        assertFalse(r.intact());
        assertEquals(40_000, r.received());
        assertNull(r.senderCrc());
        assertTrue(r.describe().contains("the sender ended the stream early, after 40000 of 100000 payload bytes"),
            r::describe);
    }

    @Test
    void aStreamCutShortWithoutItsEndIsAFailure() throws Exception {
        final StreamReceiver.Report r = exchange(s -> {
            s.write(header(100_000, 3));
            s.write(generated(3, 10_000));
            // closing the connection underneath, without the end-of-stream marker, is what a dying sender does
            s.connection().close();
        }, null);
        assertFalse(r.intact());
        assertTrue(r.describe().startsWith("FAILED: the stream was cut short"), r::describe);
        assertTrue(r.describe().endsWith("received 10000 of 100000 payload bytes"), r::describe);
    }

    @Test
    void aMissingTrailerOrBytesAfterItAreFailures() throws Exception {
        final ByteBuffer payload = generated(4, 1000);
        final StreamReceiver.Report noTrailer = exchange(s -> {
            s.write(header(1000, 4));
            s.write(payload.duplicate());
        }, null);
        assertFalse(noTrailer.intact());
        assertTrue(noTrailer.describe().contains("0 bytes into the trailer"), noTrailer::describe);

        final StreamReceiver.Report extra = exchange(s -> {
            s.write(header(1000, 4));
            s.write(payload.duplicate());
            s.write(trailer(1000, crc(payload)));
            s.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }, null);
        assertFalse(extra.intact());
        assertTrue(extra.describe().contains("bytes follow the trailer"), extra::describe);
    }

    @Test
    void aStreamFromSomethingElseIsRefusedByItsHeader() throws Exception {
        final StreamReceiver.Report r = exchange(s -> s.write(ByteBuffer.wrap(new byte[64])), null);
        assertFalse(r.intact());
        assertNull(r.header());
        assertTrue(r.describe().contains("does not start with a streaming-demo header"), r::describe);
    }
}
