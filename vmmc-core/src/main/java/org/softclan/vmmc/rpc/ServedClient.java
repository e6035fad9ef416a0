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

    /**
     * A view of this client's ring in the server's memory, through which the polling thread decodes requests
     * in place (handlers run on it); made on the first request. It reads through a pointer store that owns
     * none of the ring's memory: nothing to release.
     */
    private Bytes<?> view;
    private net.openhft.chronicle.bytes.BytesStore<?, ?> viewStore;

    ServedClient(final Connection connection) {
        this.connection = connection;
    }

    /**
     * {@return the view of {@code ring} positioned on a request's body, {@code [body, body + length)}}
     * (the polling thread's alone)
     */
    Bytes<?> request(final net.openhft.chronicle.bytes.BytesStore<?, ?> ring, final long body, final int length) {
        if (ring != viewStore) {
            view = ring.bytesForRead();
            view.singleThreadedCheckDisabled(true);
            viewStore = ring;
        }
        view.readPositionRemaining(body, length);
        return view;
    }

    /**
     * Sends a response now if the ring has room and nothing is queued before it; else queues a copy.
     * Never waits: a client that does not read costs the server memory for what it asked, not time.
     *
     * @param batched whether the response only joins the batch the poller publishes after each poll of this
     *                client's requests ({@link org.softclan.vmmc.Connection#flush()}: one tripwire at the
     *                client for all of them), rather than being published now
     */
    void respond(final Bytes<?> b, final boolean batched) {
        final int length = (int) b.readRemaining();
        if (unsentSince == 0 && (batched ? connection.offerBatched(b, b.readPosition(), length)
            : connection.offer(b, b.readPosition(), length))) {
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
