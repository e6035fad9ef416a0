package org.softclan.sockets;

/**
 * Why a TCP connection of a process running the layer did not go through shared memory (the layer's
 * counterpart of SMC's reason codes). {@link #ACCELERATED} is the one value that means it did.
 */
public enum FallbackReason {
    /** The connection's bytes go through a byte stream in the fabric; TCP carries none of them. */
    ACCELERATED,
    /** The peer's address is not one of this host's. */
    REMOTE_HOST,
    /** No live process running the layer listens on the server's port in the same fabric (a plain server, or another fabric). */
    PEER_NOT_ACCELERATED,
    /** The fabric could not be opened, or this process could not make an endpoint in it. */
    FABRIC_UNAVAILABLE,
    /** The shared-memory hand-shake failed or timed out (the peer answered nothing valid in time). */
    HANDSHAKE_FAILED,
    /** The socket is not a stream socket, or its server asked for something the layer does not do (SO_REUSEPORT). */
    NOT_APPLICABLE,
    /** The layer is switched off in this process ({@code softclan.sockets.enabled=false}). */
    DISABLED,
    /** Another live process of the fabric already listens for this port's shared-memory connections. */
    LISTENER_CONFLICT
}
