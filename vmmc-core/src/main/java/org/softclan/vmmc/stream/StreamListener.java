package org.softclan.vmmc.stream;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.softclan.vmmc.Connection;
import org.softclan.vmmc.Listener;

/**
 * A server's listening point for byte streams: a {@link Listener} whose accepted connections become
 * {@link ByteStream}s. Made by {@link ByteStreams#listen}.
 */
public final class StreamListener implements AutoCloseable {
    private final Listener listener;

    StreamListener(final Listener listener) {
        this.listener = listener;
    }

    /** {@return the service name clients connect to} */
    public String service() {
        return listener.service();
    }

    /**
     * Waits for a client's request and accepts it, with the default stream settings (a
     * {@code new ByteStreamContext()}).
     *
     * @param timeout the longest wait
     * @param unit    its unit
     * @return the server end of the new stream, or {@code null} if no request came within the timeout
     */
    public ByteStream accept(final long timeout, final TimeUnit unit) {
        return accept(timeout, unit, new ByteStreamContext());
    }

    /**
     * Waits for a client's request and accepts it, making the server end with {@code ctx}'s settings
     * (see {@link ByteStreams#over}); each accepted stream may have settings of its own.
     *
     * @param timeout the longest wait
     * @param unit    its unit
     * @param ctx     settings of the server end of the stream (timeouts, techniques, deposit region)
     * @return the server end of the new stream, or {@code null} if no request came within the timeout
     * @throws org.softclan.dsm.DsmException if {@code ctx} asks for a posting receive technique and the
     *                                       deposit region cannot be exported (the connection is closed)
     */
    public ByteStream accept(final long timeout, final TimeUnit unit, final ByteStreamContext ctx) {
        Objects.requireNonNull(ctx, "ctx");
        final Connection c = listener.accept(timeout, unit);
        return c == null ? null : ByteStreams.over(c, ctx);
    }

    /** {@return the listener underneath (to refuse requests, for instance)} */
    public Listener listener() {
        return listener;
    }

    /** Stops listening; streams accepted so far stay open. */
    @Override
    public void close() {
        listener.close();
    }

    @Override
    public String toString() {
        return "stream " + listener;
    }
}
