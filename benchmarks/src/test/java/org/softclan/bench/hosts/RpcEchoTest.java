package org.softclan.bench.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;
import org.softclan.bench.peers.Payload;

/**
 * The rpc echo side of {@code bench compare --hosts 2} checks its requests as the rig's echo sides do: the stamps
 * at both ends of each, and their order 1, 2, 3, ... (a request lost, repeated or out of order fails the run).
 */
class RpcEchoTest {
    private static final int SIZE = 64;

    private static byte[] request(final long seq) {
        final ByteBuffer b = Payload.filled(SIZE);
        Payload.stamp(b, SIZE, seq);
        return b.array();
    }

    @Test
    void requestsInOrderAreEchoedAndCounted() {
        final HostBenchPeer.RpcEcho echo = new HostBenchPeer.RpcEcho(SIZE);
        for (long seq = 1; seq <= 5; seq++) {
            final byte[] r = request(seq);
            assertSame(r, echo.apply(r));
        }
        assertEquals(5, echo.echoed());
    }

    @Test
    void aRequestOutOfOrderIsRefused() {
        final HostBenchPeer.RpcEcho echo = new HostBenchPeer.RpcEcho(SIZE);
        echo.apply(request(1));
        echo.apply(request(2));
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> echo.apply(request(4)));
        assertTrue(e.getMessage().contains("4 after 2"), e.getMessage());
        assertEquals(2, echo.echoed());
    }

    @Test
    void aRepeatedRequestIsRefused() {
        final HostBenchPeer.RpcEcho echo = new HostBenchPeer.RpcEcho(SIZE);
        echo.apply(request(1));
        assertThrows(IllegalStateException.class, () -> echo.apply(request(1)));
    }

    @Test
    void aTornRequestIsRefused() {
        final byte[] torn = request(1);
        ByteBuffer.wrap(torn).order(ByteOrder.LITTLE_ENDIAN).putLong(SIZE - 8, 2);
        assertThrows(IllegalStateException.class, () -> new HostBenchPeer.RpcEcho(SIZE).apply(torn));
    }
}
