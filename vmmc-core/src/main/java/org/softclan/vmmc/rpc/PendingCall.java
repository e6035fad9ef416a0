package org.softclan.vmmc.rpc;

import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import org.softclan.vmmc.MessageHandler;

/**
 * A call in flight: an asynchronous call's own record with its future, or a synchronous caller's record,
 * reused by that thread for each of its calls on this client (no allocation per call: the outcome is kept
 * in the record, not in a future). Whoever removes a call from the table of pending calls (or, for a call
 * kept out of it, its own thread) completes it, exactly once.
 */
final class PendingCall {
    /**
     * Each thread's record of its synchronous calls, whichever client it calls (none kept alive between calls:
     * {@link PendingCall#client} is cleared). A call made while the thread's record is in use (from a callback run
     * during a call) gets a record of its own.
     */
    static final ThreadLocal<PendingCall> SYNC_CALLS = ThreadLocal.withInitial(PendingCall::syncRecord);

    /**
     * Written before the record enters the table, read by any thread looking a call up there (volatile); an
     * exclusive client's one thread writes it plainly ({@link #setIdPlain}).
     */
    volatile long id;
    private static final java.lang.invoke.VarHandle ID;

    static {
        try {
            ID = java.lang.invoke.MethodHandles.lookup().findVarHandle(PendingCall.class, "id", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    RpcMethod<?, ?> method;
    /** The asynchronous call's future, or {@code null} for a synchronous call. */
    final CompletableFuture<Object> future;
    final Thread caller;
    /** A synchronous call's result or failure, valid once {@link #done}. */
    Object result;
    RpcException error;
    volatile boolean done;
    /** The client a synchronous call is on, while it is; {@code null} between calls. */
    RpcClient client;
    /** Whether a synchronous caller's record is in use by a call. Its thread only. */
    boolean busy;
    /** A synchronous caller's handler of answers while it receives its own (made once per record). */
    MessageHandler ownHandler;
    /** A synchronous caller's wait condition while another thread receives (made once per record). */
    BooleanSupplier answeredOrArrived;
    /** When an asynchronous call fails unanswered (nanoTime); unused for a synchronous one. */
    long deadline;
    /** The call's timeout (ns), for the message. */
    long timeoutNanos;
    /**
     * Whether the calling thread holds the receive lock and receives this call's answer itself (the
     * call is then not in the table of pending calls). Calling thread only.
     */
    boolean own;
    /** Whether the request joins a batch published later ({@link RpcClient#callAsyncBatched}). */
    boolean batched;
    /**
     * A pooled asynchronous call's callback ({@link RpcClient#callAsync(RpcMethod, Object, long,
     * java.util.concurrent.TimeUnit, RpcCallback)}), or {@code null}. Cleared as the call completes; the record
     * then goes back to its client's pool.
     */
    RpcCallback<Object> callback;

    PendingCall(final long id, final RpcMethod<?, ?> method, final CompletableFuture<Object> future,
                final Thread caller) {
        this.id = id;
        this.method = method;
        this.future = future;
        this.caller = caller;
    }

    /**
     * Sets the id with a plain store (no fence): for an exclusive client, whose table only its owner thread
     * reads. The field stays volatile for the shared client's readers on other threads.
     */
    void setIdPlain(final long callId) {
        ID.set(this, callId);
    }

    /** {@return a new record for the synchronous calls of this thread} */
    static PendingCall syncRecord() {
        final PendingCall p = new PendingCall(0, null, null, Thread.currentThread());
        p.ownHandler = (buf, off, len) -> p.client.responses.onResponse(buf, off, len, p);
        p.answeredOrArrived = () -> p.done || p.client.connection.hasMessage();
        return p;
    }

    /** Makes a synchronous caller's record ready for its next call, on {@code c}. */
    PendingCall reuse(final RpcClient c, final RpcMethod<?, ?> m) {
        busy = true;
        client = c;
        id = 0;
        method = m;
        result = null;
        error = null;
        own = false;
        done = false;
        return this;
    }

    void complete(final Object r) {
        if (future != null) {
            future.complete(r);
        } else if (callback != null) {
            deliver(r, null);
        } else {
            result = r;
            done = true;
        }
    }

    void fail(final RpcException e) {
        if (future != null) {
            future.completeExceptionally(e);
        } else if (callback != null) {
            deliver(null, e);
        } else {
            error = e;
            done = true;
        }
    }

    /**
     * Hands a pooled call's outcome to its callback, after giving the record back to the pool (a call the
     * callback sends may reuse it). Whoever took the call out of the table of pending calls runs this,
     * exactly once.
     */
    @SuppressWarnings("unchecked")
    private void deliver(final Object r, final RpcException e) {
        final RpcCallback<Object> cb = callback;
        final RpcClient c = client;
        callback = null;
        method = null;
        client = null;
        c.freeCalls.offer(this);   // full: left to the collector
        try {
            cb.onComplete(r, e);
        } catch (final Throwable t) {
            final Thread me = Thread.currentThread();
            try {
                me.getUncaughtExceptionHandler().uncaughtException(me, t);
            } catch (final Throwable lost) {
                // the handler failed too: nothing more to tell it with; the receiving thread goes on
            }
        }
    }
}
