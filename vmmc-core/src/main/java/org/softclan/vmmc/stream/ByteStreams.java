package org.softclan.vmmc.stream;

import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.vmmc.ConnectException;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Vmmc;

/**
 * Set-up of byte streams by name, like {@link Vmmc#listen} and {@link Vmmc#connect} for connections.
 *
 * <pre>{@code
 * try (StreamListener listener = ByteStreams.listen(endpoint, "files", new ConnectionContext())) {
 *     try (ByteStream s = listener.accept(10, TimeUnit.SECONDS)) {
 *         s.inputStream().transferTo(out);
 *     }
 * }
 * // elsewhere
 * try (ByteStream s = ByteStreams.connect(endpoint, "files", new ConnectionContext(), 10, TimeUnit.SECONDS)) {
 *     in.transferTo(s.outputStream());
 * }
 * }</pre>
 */
public final class ByteStreams {
    private ByteStreams() {
    }

    /**
     * Listens for byte streams on {@code service}.
     *
     * @param endpoint the server's endpoint
     * @param service  the name clients connect to
     * @param ctx      settings of the server ends (ring capacity, wait strategy, ...)
     * @return the listener
     * @throws org.softclan.dsm.RegionExistsException if a live server already listens on that name
     */
    public static StreamListener listen(final Endpoint endpoint, final String service, final ConnectionContext ctx) {
        return new StreamListener(Vmmc.listen(endpoint, service, ctx));
    }

    /**
     * Connects to the server listening for byte streams on {@code service}.
     *
     * @param endpoint the client's endpoint
     * @param service  the server's name
     * @param ctx      settings of the client end
     * @param timeout  the longest wait for the server to accept
     * @param unit     its unit
     * @return the client end of the stream
     * @throws ConnectException if nobody listens on the name, the server refuses, or does not accept in time
     */
    public static ByteStream connect(final Endpoint endpoint, final String service, final ConnectionContext ctx,
                                     final long timeout, final TimeUnit unit) {
        return ByteStream.over(Vmmc.connect(endpoint, service, ctx, timeout, unit));
    }
}
