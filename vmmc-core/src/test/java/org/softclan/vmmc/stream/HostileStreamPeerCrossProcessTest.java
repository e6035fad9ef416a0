package org.softclan.vmmc.stream;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.PeerProtocolException;

/**
 * A hostile stream peer ({@link HostileStreamPeerMain}, a JVM of its own) sends a legitimate prefix,
 * then garbage: frames no ByteStream sends, DEPOSIT notices about posts that do not exist or out of
 * order, words in the control area and post table this end reads when it writes, bytes over the
 * deposit region; for each receive technique. This end keeps reading (or writing): the stream fails
 * with {@link StreamPeerGoneException} caused by {@link PeerProtocolException}, in bounded time, after
 * exactly the prefix; it stays failed; and a well-behaved stream of the same listener goes on intact.
 *
 * <p>Before the checks: a DEPOSIT with a negative sequence threw ArrayIndexOutOfBoundsException out of
 * every read (the record was never consumed), a deposit into the second post was accepted before the
 * first, a DATA frame larger than any ByteStream sends and empty DATA frames were delivered, an unknown
 * receive mode was taken for BUFFERED, a post table of far sequence numbers spun the writer for 2^50
 * steps, bad post offsets and deposit names escaped as unchecked RegionBoundsException or
 * RegionAccessException, a negative capacity was reported as a too-small post.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostileStreamPeerCrossProcessTest {
    private static Fabric fabric;
    private static Endpoint server;
    private static Endpoint client;
    private static StreamListener listener;
    private static JvmProcess hostile;

    @BeforeAll
    static void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        server = fabric.openEndpoint("server");
        client = fabric.openEndpoint("client");
        listener = ByteStreams.listen(server, "hostile", new ConnectionContext());
        hostile = JvmProcess.start(HostileStreamPeerMain.class, fabric.root().toString(), "hostile");
        hostile.expectLine("ready", 30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (hostile != null) {
            hostile.send("quit");
            hostile.waitFor(20, TimeUnit.SECONDS);
            hostile.close();
        }
        listener.close();
        fabric.close();
    }

    static Stream<Arguments> frameCases() {
        final List<Arguments> out = new ArrayList<>();
        for (final String mode : List.of("frame-type", "empty-record", "empty-data", "eof-long", "frame-oversize",
            "deposit-short", "deposit-negative-seq", "deposit-unposted", "deposit-too-long", "deposit-out-of-order")) {
            for (final ReceiveTechnique rt : ReceiveTechnique.values()) {
                out.add(Arguments.of(mode, rt));
            }
        }
        return out.stream();
    }

    /** The bad stream, accepted, set to {@code rt}, with posts made (REDIRECTION), prefix received. */
    private record Session(ByteStream stream, PostedBuffer[] posts) {
    }

    private static Session open(final String mode, final ReceiveTechnique rt) throws Exception {
        return open(mode, rt, 0);
    }

    /** As {@link #open(String, ReceiveTechnique)}, the bad stream's writes waiting at most {@code writeTimeoutSeconds}. */
    private static Session open(final String mode, final ReceiveTechnique rt, final long writeTimeoutSeconds)
        throws Exception {
        hostile.send("run " + mode + " 42");
        final ByteStream bad = listener.accept(30, TimeUnit.SECONDS, new ByteStreamContext()
            .readTimeout(10, TimeUnit.SECONDS).writeTimeout(writeTimeoutSeconds, TimeUnit.SECONDS).receiveTechnique(rt));
        assertNotNull(bad, hostile::transcript);
        hostile.expectLine("connected", 30, TimeUnit.SECONDS);
        final PostedBuffer[] posts = new PostedBuffer[rt == ReceiveTechnique.REDIRECTION ? 3 : 0];
        for (int i = 0; i < posts.length; i++) {
            posts[i] = bad.post(4096);
        }
        hostile.send("go");
        final byte[] got = new byte[HostileStreamPeerMain.PREFIX];
        if (posts.length > 0) {
            posts[0].awaitFilled(10, TimeUnit.SECONDS);
            assertEquals(got.length, posts[0].length());
            posts[0].get(0, got, 0, got.length);
        } else {
            final ByteBuffer b = ByteBuffer.wrap(got);
            while (b.hasRemaining()) {
                assertTrue(bad.read(b) >= 0, "end of stream inside the prefix");
            }
        }
        assertArrayEquals(HostileStreamPeerMain.prefix(), got, "the legitimate prefix");
        hostile.expectLine("prefix", 10, TimeUnit.SECONDS);
        return new Session(bad, posts);
    }

    private static void finish(final ByteStream bad) throws Exception {
        hostile.send("done");
        hostile.expectLine("closed", 30, TimeUnit.SECONDS);
        bad.close();
    }

    private static void assertProtocolError(final Throwable e) {
        assertInstanceOf(StreamPeerGoneException.class, e, () -> "expected the stream's protocol error: " + e);
        assertInstanceOf(PeerProtocolException.class, e.getCause(), e::toString);
        assertTrue(e.getMessage().contains("broke the stream protocol") && e.getMessage().contains("byte stream over"),
            e.getMessage());
    }

    /** Reads until the stream fails; returns the failure after asserting no byte came before it. */
    private static IOException readToTheError(final ByteStream bad) {
        final ByteBuffer buf = ByteBuffer.allocate(1 << 17);
        try {
            while (true) {
                final int n = bad.read(buf);
                if (n < 0) {
                    fail("end of stream instead of the protocol error");
                }
                if (n > 0) {
                    fail(n + " bytes after the prefix, first " + buf.get(0) + ": the garbage was delivered");
                }
            }
        } catch (final IOException e) {
            return e;
        }
    }

    @ParameterizedTest(name = "{0} to a {1} reader")
    @MethodSource("frameCases")
    void garbageFramesFailOnlyThatStreamAfterItsLegitimateBytes(final String mode, final ReceiveTechnique rt)
        throws Exception {
        final Session s = open(mode, rt);
        final ByteStream bad = s.stream();
        hostile.send("garbage");
        hostile.expectLine("written", 20, TimeUnit.SECONDS);
        final IOException e = readToTheError(bad);
        assertProtocolError(e);
        // broken for good: every later read reports it at once, nothing is handed over
        final IOException again = assertThrows(IOException.class, () -> bad.read(ByteBuffer.allocate(16)));
        assertProtocolError(again);
        for (int i = 1; i < s.posts().length; i++) {
            assertFalse(s.posts()[i].isFilled(), s.posts()[i] + " was filled by garbage");
        }
        finish(bad);
        aWellBehavedStreamGoesOnIntact(rt);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mode-word", "ready-word", "name-length", "name-other", "post-far-seq", "post-state",
        "post-sender-taken", "post-offset", "post-capacity"})
    void garbageInTheControlAreaFailsThatStreamsWritesNotTheJvm(final String mode) throws Exception {
        final Session s = open(mode, ReceiveTechnique.BUFFERED, 5);
        final ByteStream bad = s.stream();
        hostile.send("garbage");
        hostile.expectLine("written", 20, TimeUnit.SECONDS);
        final CompletableFuture<Throwable> write = CompletableFuture.supplyAsync(() -> {
            try {
                bad.write(ByteBuffer.wrap(new byte[100]));
                return null;
            } catch (final Throwable t) {
                return t;
            }
        }, THREADS);
        final Throwable e = write.get(15, TimeUnit.SECONDS);   // a spinning post-table scan fails here
        assertNotNull(e, "the write succeeded over a corrupt " + mode);
        assertProtocolError(e);
        assertProtocolError(assertThrows(IOException.class, () -> bad.write(ByteBuffer.wrap(new byte[8]))));
        finish(bad);
        aWellBehavedStreamGoesOnIntact(ReceiveTechnique.BUFFERED);
    }

    @ParameterizedTest
    @EnumSource(ReceiveTechnique.class)
    void randomGarbageEverywhereEndsTheReadsAndWritesWithErrorsInBoundedTime(final ReceiveTechnique rt)
        throws Exception {
        final Session s = open("random", rt, 3);
        final ByteStream bad = s.stream();
        final CompletableFuture<Throwable> writer = CompletableFuture.supplyAsync(() -> {
            try {
                for (int i = 0; i < 2000; i++) {
                    bad.write(ByteBuffer.wrap(new byte[100]));
                }
                return null;
            } catch (final Throwable t) {
                return t;
            }
        }, THREADS);
        hostile.send("garbage");
        final IOException e = readToTheError(bad);
        assertProtocolError(e);
        hostile.expectLine("written", 20, TimeUnit.SECONDS);
        final Throwable w = writer.get(20, TimeUnit.SECONDS);
        if (w != null) {
            assertInstanceOf(IOException.class, w, () -> "the write failed with an unchecked " + w);
        }
        finish(bad);
        aWellBehavedStreamGoesOnIntact(rt);
    }

    /** A stream of the same listener from a well-behaved client carries random bytes both ways intact. */
    private static void aWellBehavedStreamGoesOnIntact(final ReceiveTechnique rt) throws Exception {
        final ByteStreamContext bounded = new ByteStreamContext().readTimeout(10, TimeUnit.SECONDS)
            .writeTimeout(10, TimeUnit.SECONDS);
        final CompletableFuture<ByteStream> connecting = CompletableFuture.supplyAsync(
            () -> ByteStreams.connect(client, "hostile", new ConnectionContext(), bounded, 10, TimeUnit.SECONDS),
            THREADS);
        final ByteStream good = listener.accept(10, TimeUnit.SECONDS, new ByteStreamContext()
            .readTimeout(10, TimeUnit.SECONDS).writeTimeout(10, TimeUnit.SECONDS).receiveTechnique(rt));
        assertNotNull(good);
        final ByteStream goodEnd = connecting.get(10, TimeUnit.SECONDS);
        try {
            final byte[] data = new byte[200_000];
            new Random(5).nextBytes(data);
            exchange(goodEnd, good, data);
            exchange(good, goodEnd, data);
        } finally {
            goodEnd.close();
            good.close();
        }
    }

    private static void exchange(final ByteStream from, final ByteStream to, final byte[] data) throws Exception {
        final CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
            try {
                from.write(ByteBuffer.wrap(data));
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, THREADS);
        final ByteBuffer got = ByteBuffer.allocate(data.length);
        while (got.hasRemaining()) {
            assertTrue(to.read(got) >= 0, "end of stream");
        }
        sent.get(10, TimeUnit.SECONDS);
        assertArrayEquals(data, got.array());
    }
}
