package org.softclan.vmmc.rpc;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;

/**
 * The layout of an RPC frame, the one place its offsets and status codes are defined. A frame is one
 * message on a {@link org.softclan.vmmc.Connection}: requests go from {@link RpcClient} to
 * {@link RpcServer}, responses back, each end reading what the other process wrote, so every field is
 * input to its reader (lengths are checked against {@link #HEADER_LENGTH}, a status against the codes
 * below, a call id against the calls in flight).
 *
 * <pre>
 *  offset  field                       in a request                  in a response
 *     0    call id (long)              chosen by the client          the request's, echoed
 *     8    method id / status (int)    the method's id               {@link #OK}, {@link #ERROR} or
 *                                                                    {@link #NO_METHOD}
 *    12    reserved (int)              0                             0
 *    16    body                        the argument, encoded by      OK: the result, encoded by the
 *                                      the method's request codec    method's response codec; ERROR: the
 *                                                                    exception's class name and message
 *                                                                    (two UTF-8 strings); NO_METHOD: a
 *                                                                    message (UTF-8)
 * </pre>
 *
 * Integers are in the byte order of {@link Bytes} (little-endian on the platforms the library runs on;
 * both ends are on one host).
 */
final class RpcFrameDescriptor {
    /** Offset of the call id (long). */
    static final int CALL_ID_OFFSET = 0;
    /** Offset of the method id (int) in a request. */
    static final int METHOD_ID_OFFSET = 8;
    /** Offset of the status (int) in a response. */
    static final int STATUS_OFFSET = 8;
    /** Offset of the reserved word (int, 0). */
    static final int RESERVED_OFFSET = 12;
    /** Bytes before the body. */
    static final int HEADER_LENGTH = 16;

    /** Status: the handler returned; the body is its result. */
    static final int OK = 0;
    /** Status: the handler threw; the body is the exception's class name and message. */
    static final int ERROR = 1;
    /** Status: the service has no method with the request's id; the body is a message. */
    static final int NO_METHOD = 2;

    private RpcFrameDescriptor() {
    }

    /** Appends a request's header at {@code b}'s write position. */
    static void writeRequestHeader(final Bytes<?> b, final long callId, final int methodId) {
        b.writeLong(callId).writeInt(methodId).writeInt(0);
    }

    /** Appends a response's header at {@code b}'s write position. */
    static void writeResponseHeader(final Bytes<?> b, final long callId, final int status) {
        b.writeLong(callId).writeInt(status).writeInt(0);
    }

    /** @return the call id of the frame at {@code frame} in {@code buf} */
    static long callId(final BytesStore<?, ?> buf, final long frame) {
        return buf.readLong(frame + CALL_ID_OFFSET);
    }

    /** @return the method id of the request at {@code frame} in {@code buf} */
    static int methodId(final BytesStore<?, ?> buf, final long frame) {
        return buf.readInt(frame + METHOD_ID_OFFSET);
    }

    /** @return the status of the response at {@code frame} in {@code buf} (not checked) */
    static int status(final BytesStore<?, ?> buf, final long frame) {
        return buf.readInt(frame + STATUS_OFFSET);
    }

    /** @return the offset of the body of the frame at {@code frame} */
    static long body(final long frame) {
        return frame + HEADER_LENGTH;
    }
}
