package org.softclan.vmmc.stream;

import java.io.IOException;

import org.softclan.vmmc.PeerGoneException;

/**
 * The other end of a {@link ByteStream} closed without ending its output (no end-of-stream marker),
 * or its process died: the stream was cut short. Everything the peer sent before is still delivered;
 * this is thrown once nothing is left to read, or by a write. It also reports a peer that broke the
 * stream protocol (the cause is a {@link org.softclan.vmmc.PeerProtocolException}; the stream stays
 * broken) and a region of the stream cut from outside.
 */
public final class StreamPeerGoneException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a stream cut short, or broken by the peer.
     *
     * @param message names the stream and what happened
     * @param cause   the connection's report of the peer's departure
     */
    public StreamPeerGoneException(final String message, final PeerGoneException cause) {
        super(message, cause);
    }
}
