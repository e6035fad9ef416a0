package org.softclan.sockets;

import java.net.SocketException;

/** The exceptions a TCP socket's program sees, made from the layer's own (kept as the cause). */
final class SocketErrors {
    private SocketErrors() {
    }

    /** {@return "Connection reset": the peer died, or closed without ending its output} */
    static SocketException reset(final Exception cause) {
        return with("Connection reset", cause);
    }

    /** {@return "Broken pipe": a write to a peer that died or closed} */
    static SocketException brokenPipe(final Exception cause) {
        return with("Broken pipe", cause);
    }

    /** {@return "Socket closed": this end was closed} */
    static SocketException closed(final Exception cause) {
        return with("Socket closed", cause);
    }

    private static SocketException with(final String message, final Exception cause) {
        final SocketException e = new SocketException(message);
        e.initCause(cause);
        return e;
    }
}
