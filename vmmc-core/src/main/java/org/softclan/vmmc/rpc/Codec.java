package org.softclan.vmmc.rpc;

import net.openhft.chronicle.bytes.Bytes;

/**
 * Marshals one type to and from Chronicle {@link Bytes}: what an {@link RpcMethod}'s arguments and
 * results are sent as.
 *
 * @param <T> the type
 */
public interface Codec<T> {
    /** Appends {@code value} at the write position of {@code out}. */
    void encode(T value, Bytes<?> out);

    /** Reads a value from the read position of {@code in}. */
    T decode(Bytes<?> in);
}
