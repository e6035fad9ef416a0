package org.softclan.vmmc.rpc;

import org.softclan.dsm.DsmException;

/**
 * A call did not produce a result: the server answered with an error (for a handler that threw, the
 * message carries its exception's class and message), the server went away before answering, the call
 * timed out, or it could not be sent. A call that fails this way may or may not have run on the server,
 * except where {@link #kind()} is {@link Kind#REMOTE_ERROR} (the server took it and answered: its
 * handler ran unless the argument could not be decoded there), {@link Kind#NO_SUCH_METHOD} (nothing
 * ran) or {@link Kind#NOT_SENT} (it never left).
 */
public final class RpcException extends DsmException {
    private static final long serialVersionUID = 1L;

    /** Why a call failed. */
    public enum Kind {
        /**
         * The server answered with an error: the handler threw, the argument could not be decoded or the
         * result encoded there, or the result was too large for this client's ring. Also an answer this
         * client could not decode, or one with a status no server writes.
         */
        REMOTE_ERROR,
        /**
         * No answer within the call's timeout; also a request the server's full ring did not take within
         * the timeout (the message says it was not sent).
         */
        TIMEOUT,
        /**
         * The server closed the connection, died or broke the protocol before answering, a region of the
         * connection was cut from outside, or this client was closed (with the call in flight, or before
         * the call was made).
         */
        SERVER_GONE,
        /**
         * The request was never sent: too large for the server's ring, made while the client was closing,
         * or the send failed on this side.
         */
        NOT_SENT,
        /** The server does not know the method. */
        NO_SUCH_METHOD
    }

    /** Why the call failed. */
    private final Kind kind;

    /**
     * Reports a call that produced no result.
     *
     * @param kind    why
     * @param message names the method, the service and what happened
     */
    public RpcException(final Kind kind, final String message) {
        super(message);
        this.kind = kind;
    }

    /** {@return why the call failed} */
    public Kind kind() {
        return kind;
    }
}
