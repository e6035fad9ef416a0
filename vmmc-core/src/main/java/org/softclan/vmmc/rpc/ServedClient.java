package org.softclan.vmmc.rpc;

import net.openhft.chronicle.bytes.Bytes;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.MessageHandler;

/**
 * One client of an {@link RpcServer}: its connection, the handler that reads its requests, and the
 * responses that found its ring full, kept until it has room (the server never waits on one client).
 */
final class ServedClient {
    final Connection connection;
    MessageHandler handler;
    /**
     * Responses that found the client's ring full, oldest first (guarded by this object): sent before
     * anything else for this client, and before its next requests are read.
     */
    final java.util.ArrayDeque<byte[]> unsent = new java.util.ArrayDeque<>();
    /** When the oldest unsent response was queued ({@link System#nanoTime()}), 0 while none waits. */
    volatile long unsentSince;

    ServedClient(final Connection connection) {
        this.connection = connection;
    }

    /**
     * Sends a response now if the ring has room and nothing is queued before it; else queues a copy.
     * Never waits: a client that does not read costs the server memory for what it asked, not time.
     */
    void respond(final Bytes<?> b) {
        final int length = (int) b.readRemaining();
        if (unsentSince == 0 && connection.offer(b, b.readPosition(), length)) {
            return;
        }
        final byte[] copy = new byte[length];
        b.read(copy);
        if (unsent.isEmpty()) {
            unsentSince = System.nanoTime() | 1;   // never 0
        }
        unsent.add(copy);
    }

    /** @return whether nothing is left to send (what was queued went into the ring) */
    boolean flush() {
        if (unsentSince == 0) {
            return true;
        }
        byte[] r;
        while ((r = unsent.peek()) != null) {
            if (!connection.offer(r, 0, r.length)) {
                return false;
            }
            unsent.poll();
        }
        unsentSince = 0;
        return true;
    }
}
