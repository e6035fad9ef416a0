package org.softclan.vmmc.rpc;

import net.openhft.chronicle.bytes.Bytes;

/**
 * Marshals one type to and from Chronicle {@link Bytes}: what an {@link RpcMethod}'s arguments and
 * results are sent as.
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
     * Reads a value from the read position of {@code in}.
     *
     * @param in the buffer read from; its read position advances past the encoding
     * @return the value, as {@link #encode} was given it
     */
    T decode(Bytes<?> in);
}
