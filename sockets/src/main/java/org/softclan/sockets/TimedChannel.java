package org.softclan.sockets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * What the {@code socket()} adaptors of the layer's channels need beyond the channel API: blocking
 * operations bounded by the adaptor's {@code SO_TIMEOUT}.
 */
interface TimedChannel {
    /**
     * Reads as a blocking {@link SocketChannel#read(ByteBuffer)}, waiting at most {@code timeoutMillis}
     * for the first byte.
     *
     * @param dst           where the bytes go
     * @param timeoutMillis the longest wait, 0 for forever
     * @return the bytes read, or -1 at the end of stream
     * @throws java.net.SocketTimeoutException if no byte came in time (the channel stays usable)
     * @throws java.nio.channels.IllegalBlockingModeException if the channel is in non-blocking mode
     * @throws IOException as the channel's read
     */
    int read(ByteBuffer dst, int timeoutMillis) throws IOException;

    /**
     * Accepts as a blocking {@link java.nio.channels.ServerSocketChannel#accept()}, waiting at most
     * {@code timeoutMillis} (a server channel's adaptor only).
     *
     * @param timeoutMillis the longest wait, 0 for forever
     * @return the accepted channel
     * @throws java.net.SocketTimeoutException if none came in time
     * @throws java.nio.channels.IllegalBlockingModeException if the channel is in non-blocking mode
     * @throws IOException as the channel's accept
     */
    SocketChannel accept(int timeoutMillis) throws IOException;
}
