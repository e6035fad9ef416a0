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

    /**
     * {@return "Connection reset" for a fault of mapped memory met during a read or write}, its cause the
     * {@link org.softclan.dsm.RegionTruncatedException} naming the region(s) of this JVM found cut (which
     * marks them {@linkplain org.softclan.dsm.Mapping#isKnownCut() known cut}); recorded in the layer's stats
     *
     * @throws InternalError {@code fault} itself, if no mapping of this JVM was cut (not a cut region's fault)
     */
    static SocketException cut(final InternalError fault) {
        final org.softclan.dsm.RegionTruncatedException t = org.softclan.dsm.RegionFaults.explain(fault);
        if (t == null) {
            throw fault;
        }
        SocketLayer.STATS.error("a connection met a region cut from outside: " + t.getMessage());
        return with("Connection reset", t);
    }

    private static SocketException with(final String message, final Exception cause) {
        final SocketException e = new SocketException(message);
        e.initCause(cause);
        return e;
    }
}
