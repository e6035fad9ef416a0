package org.softclan.vmmc.stream;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.vmmc.ConnectException;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Vmmc;

/**
 * Set-up of byte streams: by name, like {@link Vmmc#listen} and {@link Vmmc#connect} for connections,
 * or over a connection made already. The settings of each stream end ({@link ByteStreamContext}) are
 * given here (and to {@link StreamListener#accept(long, TimeUnit, ByteStreamContext)}) and fixed for the
 * stream's life.
 *
 * <pre>{@code
 * try (StreamListener listener = ByteStreams.listen(endpoint, "files", new ConnectionContext())) {
 *     try (ByteStream s = listener.accept(10, TimeUnit.SECONDS)) {
 *         new StreamInputStream(s).transferTo(out);
 *     }
 * }
 * // elsewhere
 * try (ByteStream s = ByteStreams.connect(endpoint, "files", new ConnectionContext(),
 *         new ByteStreamContext().sendTechnique(SendTechnique.COPY_DMA), 10, TimeUnit.SECONDS)) {
 *     in.transferTo(new StreamOutputStream(s));
 * }
 * }</pre>
 */
public final class ByteStreams {
    private ByteStreams() {
    }

    /**
     * Listens for byte streams on {@code service}. The settings of each accepted stream are given to
     * {@link StreamListener#accept(long, TimeUnit, ByteStreamContext)}.
     *
     * @param endpoint the server's endpoint
     * @param service  the name clients connect to
     * @param ctx      settings of the server ends' connections (ring capacity, wait strategy, ...)
     * @return the listener
     * @throws org.softclan.dsm.RegionExistsException if a live server already listens on that name
     */
    public static StreamListener listen(final Endpoint endpoint, final String service, final ConnectionContext ctx) {
        return new StreamListener(Vmmc.listen(endpoint, service, ctx));
    }

    /**
     * Connects to the server listening for byte streams on {@code service}, with the default stream
     * settings (a {@code new ByteStreamContext()}).
     *
     * @param endpoint the client's endpoint
     * @param service  the server's name
     * @param ctx      settings of the client end's connection
     * @param timeout  the longest wait for the server to accept
     * @param unit     its unit
     * @return the client end of the stream
     * @throws ConnectException if nobody listens on the name, the server refuses, or does not accept in time
     */
    public static ByteStream connect(final Endpoint endpoint, final String service, final ConnectionContext ctx,
                                     final long timeout, final TimeUnit unit) {
        return connect(endpoint, service, ctx, new ByteStreamContext(), timeout, unit);
    }

    /**
     * Connects to the server listening for byte streams on {@code service}, and makes the client end
     * with {@code streamCtx}'s settings (see {@link #over}).
     *
     * @param endpoint  the client's endpoint
     * @param service   the server's name
     * @param ctx       settings of the client end's connection
     * @param streamCtx settings of the client end of the stream (timeouts, techniques, deposit region)
     * @param timeout   the longest wait for the server to accept
     * @param unit      its unit
     * @return the client end of the stream
     * @throws ConnectException if nobody listens on the name, the server refuses, or does not accept in time
     * @throws org.softclan.dsm.DsmException if {@code streamCtx} asks for a posting receive technique and
     *                                       the deposit region cannot be exported (the connection is closed)
     */
    public static ByteStream connect(final Endpoint endpoint, final String service, final ConnectionContext ctx,
                                     final ByteStreamContext streamCtx, final long timeout, final TimeUnit unit) {
        Objects.requireNonNull(streamCtx, "streamCtx");
        return over(Vmmc.connect(endpoint, service, ctx, timeout, unit), streamCtx);
    }

    /**
     * Makes a stream of a connection, with {@code ctx}'s settings, read now (see
     * {@link ByteStreamContext}: a receive technique other than BUFFERED exports the deposit region and
     * tells the peer). The stream owns the connection from now on (closing the stream closes it; if
     * making the stream fails, the connection is closed); the peer must make a stream of its end too,
     * and neither side may use the connection directly any more.
     *
     * @param connection an open connection, fresh (nothing sent or received yet)
     * @param ctx        the settings of this stream end
     * @return the stream
     * @throws IllegalArgumentException      if the connection's messages are too small to carry the
     *                                       stream's frames
     * @throws org.softclan.dsm.DsmException if the deposit region cannot be exported
     */
    public static ByteStream over(final Connection connection, final ByteStreamContext ctx) {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(ctx, "ctx");
        try {
            return new ByteStream(connection, ctx);
        } catch (final RuntimeException e) {
            connection.close();
            throw e;
        }
    }
}
