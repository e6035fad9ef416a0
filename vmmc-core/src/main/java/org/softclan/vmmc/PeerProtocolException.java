package org.softclan.vmmc;

/**
 * The peer wrote something into shared memory that breaks the connection's protocol: a record length,
 * a pointer or a frame header no well-behaved peer writes. The message names the connection, the
 * structure, the field and the value read. Treated like a peer that went away: the connection is
 * broken for good (every later send or receive throws this again), the receiving side never acts on
 * the bad word (no address is computed from it), and a server drops only this connection.
 */
public final class PeerProtocolException extends PeerGoneException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a word the peer wrote that breaks the protocol.
     *
     * @param message names the connection, the structure, the field, the value and the limit it broke
     */
    public PeerProtocolException(final String message) {
        super(message);
    }
}
