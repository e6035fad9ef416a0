package org.softclan.vmmc.rpc;

import org.softclan.dsm.DsmException;

/**
 * A call did not produce a result: the handler threw (the message carries its exception's class and
 * message), the server went away before answering, the call timed out, or it could not be sent.
 * A call that fails this way may or may not have run on the server, except where {@link #kind()} is
 * {@link Kind#REMOTE_ERROR} (it ran and threw) or {@link Kind#NOT_SENT} (it never left).
 */
public final class RpcException extends DsmException {
    private static final long serialVersionUID = 1L;

    /** Why a call failed. */
    public enum Kind {
        /** The handler ran and threw. */
        REMOTE_ERROR,
        /** No answer within the call's timeout. */
        TIMEOUT,
        /** The server closed the connection or died before answering. */
        SERVER_GONE,
        /** The request was never sent (too large, client closed). */
        NOT_SENT,
        /** The server does not know the method. */
        NO_SUCH_METHOD
    }

    private final Kind kind;

    /**
     * @param kind    why
     * @param message names the method, the service and what happened
     */
    public RpcException(final Kind kind, final String message) {
        super(message);
        this.kind = kind;
    }

    /** @return why the call failed */
    public Kind kind() {
        return kind;
    }
}
