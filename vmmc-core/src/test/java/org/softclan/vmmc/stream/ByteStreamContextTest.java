package org.softclan.vmmc.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.ClosedException;
import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.ConnectedPair;
import org.softclan.vmmc.ConnectionContext;

/** The settings a stream is made with ({@link ByteStreamContext}) and its counters ({@link ByteStreamStats}). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ByteStreamContextTest {
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

    /** @return {server end made with {@code serverCtx}, client end made with {@code clientCtx}} */
    private ByteStream[] pair(final ConnectionContext ctx, final ByteStreamContext serverCtx,
                              final ByteStreamContext clientCtx) throws Exception {
        return StreamPairs.open(server, client, "ctx", ctx, serverCtx, clientCtx);
    }

    @Test
    void defaultsAndFluentSetters() {
        final ByteStreamContext ctx = new ByteStreamContext();
        assertEquals(0, ctx.readTimeoutNanos);
        assertEquals(0, ctx.writeTimeoutNanos);
        assertEquals(SendTechnique.PIO, ctx.sendTechnique);
        assertEquals(ReceiveTechnique.BUFFERED, ctx.receiveTechnique);
        assertEquals(ByteStreamContext.DEFAULT_DEPOSIT_CAPACITY, ctx.depositCapacity);
        assertEquals(ByteStreamContext.DEFAULT_INTERNAL_POST_SIZE, ctx.internalPostSize);
        assertSame(ctx, ctx.readTimeout(3, TimeUnit.SECONDS).writeTimeout(4, TimeUnit.MILLISECONDS)
            .sendTechnique(SendTechnique.COPY_DMA).receiveTechnique(ReceiveTechnique.REDIRECTION)
            .depositCapacity(1 << 16).internalPostSize(1000));
        assertEquals(TimeUnit.SECONDS.toNanos(3), ctx.readTimeoutNanos);
        assertEquals(TimeUnit.MILLISECONDS.toNanos(4), ctx.writeTimeoutNanos);
        assertEquals(SendTechnique.COPY_DMA, ctx.sendTechnique);
        assertEquals(ReceiveTechnique.REDIRECTION, ctx.receiveTechnique);
        assertEquals(1 << 16, ctx.depositCapacity);
        assertEquals(1000, ctx.internalPostSize);
    }

    @Test
    void settersRefuseWhatTheStreamCouldNotUse() {
        final ByteStreamContext ctx = new ByteStreamContext();
        assertThrows(IllegalArgumentException.class, () -> ctx.readTimeout(-1, TimeUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> ctx.writeTimeout(-1, TimeUnit.SECONDS));
        assertThrows(NullPointerException.class, () -> ctx.sendTechnique(null));
        assertThrows(NullPointerException.class, () -> ctx.receiveTechnique(null));
        assertThrows(IllegalArgumentException.class, () -> ctx.depositCapacity(4095));
        assertThrows(IllegalArgumentException.class, () -> ctx.internalPostSize(0));
        ctx.depositCapacity(8192);   // lowers the internal post size to half of it
        assertEquals(4096, ctx.internalPostSize);
        assertThrows(IllegalArgumentException.class, () -> ctx.internalPostSize(4097));
        ctx.internalPostSize(4096);
        assertEquals(8192, ctx.depositCapacity);
    }

    @Test
    void aStreamKeepsTheSettingsItWasMadeWith() throws Exception {
        final ByteStreamContext serverCtx = new ByteStreamContext().depositCapacity(8192);
        final ByteStreamContext clientCtx = new ByteStreamContext().writeTimeout(200, TimeUnit.MILLISECONDS);
        final ByteStream[] p = pair(new ConnectionContext().ringCapacity(4096), serverCtx, clientCtx);
        // changes to the contexts after the streams were made do not reach them
        serverCtx.depositCapacity(1 << 20);
        clientCtx.writeTimeout(0, TimeUnit.MILLISECONDS);
        final IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class, () -> p[0].post(8193));
        assertTrue(tooLarge.getMessage().contains("8192 bytes"), tooLarge.getMessage());
        final ByteBuffer big = ByteBuffer.allocate(100_000);
        final StreamTimeoutException e = assertThrows(StreamTimeoutException.class, () -> p[1].write(big));
        assertEquals(e.bytesTransferred, big.position());
        final ByteStreamStats stats = p[1].stats();
        assertTrue(stats.writeBlockedNanos() >= TimeUnit.MILLISECONDS.toNanos(150), stats.toString());
        assertEquals(0, stats.depositsSent());
        assertEquals(0, p[0].stats().deliveredDirect());
        assertEquals(0, p[0].stats().deliveredCopied());
        assertEquals(0, stats.pageDuplications());
        p[0].close();
        p[1].close();
    }

    @Test
    void aStreamMadeWithAPostingReceiveTechniqueTellsThePeerAtOnce() throws Exception {
        final ByteStream[] p = pair(new ConnectionContext(),
            new ByteStreamContext().receiveTechnique(ReceiveTechnique.PRE_POSTED).readTimeout(10, TimeUnit.SECONDS),
            new ByteStreamContext().writeTimeout(200, TimeUnit.MILLISECONDS));
        // no post yet: the client's first send waits for one, and fails without sending anything
        final StreamTimeoutException none = assertThrows(StreamTimeoutException.class,
            () -> p[1].write(ByteBuffer.wrap(new byte[100])));
        assertTrue(none.getMessage().contains("no buffer was posted"), none.getMessage());
        final PostedBuffer post = p[0].post(100);
        p[1].write(ByteBuffer.wrap(new byte[100]));
        post.awaitFilled(10, TimeUnit.SECONDS);
        assertTrue(post.redirected());
        assertEquals(1, p[1].stats().depositsSent());
        assertEquals(1, p[0].stats().deliveredDirect());
        post.release();
        p[0].close();
        p[1].close();
    }

    @Test
    void overClosesTheConnectionWhenTheStreamCannotBeMade() throws Exception {
        final ConnectedPair pair = ConnectedPair.open(fabric, "over", new ConnectionContext());
        final ByteStreamContext prePosted = new ByteStreamContext().receiveTechnique(ReceiveTechnique.PRE_POSTED);
        final ByteStream first = ByteStreams.over(pair.accepted(), prePosted);
        try {
            // a second stream of the same connection (a misuse) cannot export its deposit region: the name is taken
            assertThrows(DsmException.class, () -> ByteStreams.over(pair.accepted(), prePosted));
            assertThrows(ClosedException.class, () -> pair.accepted().send(new byte[1], 0, 1, 1, TimeUnit.SECONDS),
                "the connection of the stream that could not be made is closed");
        } finally {
            first.close();
            pair.connected().close();
        }
    }
}
