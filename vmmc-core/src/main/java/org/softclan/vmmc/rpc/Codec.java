package org.softclan.vmmc.rpc;

import net.openhft.chronicle.bytes.Bytes;

/**
 * Marshals one type to and from Chronicle {@link Bytes}: what an {@link RpcMethod}'s arguments and
 * results are sent as. A codec is shared: a client encodes on whichever thread calls (one at a time) and
 * decodes on whichever thread receives, a server on its polling thread and its workers, so a codec keeps
 * no state between calls. A decoder that throws fails that call only ({@link RpcException.Kind#REMOTE_ERROR}
 * at the client; an error answer from the server).
 *
 * @param <T> the type
 */
public interface Codec<T> {
    /**
     * Appends {@code value} at the write position of {@code out}.
     *
     * @param value the value to encode ({@code null} only where the codec says it is allowed)
     * @param out   the buffer written into; its write position advances past the encoding
     */
    void encode(T value, Bytes<?> out);

    /**
     * Reads a value from the read position of {@code in}. {@code in} is lent for the call only: it is reused
     * for the next message, and may be a view of the ring in shared memory, bounded by the message (the
     * answers a client receives, and the requests of handlers run on a server's polling thread, are decoded
     * in place). Keep no reference to it or to a slice of it; copy what must outlive the call. What the peer
     * wrote is input: a decoder checks counts and lengths before it allocates or reads by them (reading past
     * the message throws, and fails that call only).
     *
     * @param in the buffer read from; its read position advances past the encoding
     * @return the value, as {@link #encode} was given it
     */
    T decode(Bytes<?> in);
}
