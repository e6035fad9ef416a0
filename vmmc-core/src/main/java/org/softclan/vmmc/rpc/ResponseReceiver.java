package org.softclan.vmmc.rpc;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.MessageHandler;
import org.softclan.vmmc.PeerGoneException;

/**
 * The receive side of an {@link RpcClient}: takes the server's answers from the client's ring, decodes each in
 * place (no copy out of the ring) and completes its call ({@link #onResponse}), and drives that from the
 * threads that wait: a synchronous caller that receives its own answer ({@link #awaitOwn}), or leads while
 * others wait ({@link #awaitAnswer}), and a thread in {@link RpcClient#poll} or {@link RpcClient#receive}, as
 * Aeron's client conductor is driven by the thread that awaits a response.
 *
 * <p>Locking: one thread at a time receives, the holder of the client's receive lock
 * ({@link RpcClient#receiveLock}), which is only ever tried, never waited for. Answers are read and
 * {@link #answered} written under it only.
 */
final class ResponseReceiver {
    private static final long LIVENESS_NANOS = TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS);

    private final RpcClient client;
    private final Connection connection;
    private final WaitStrategy strategy;
    private final ReentrantLock receiveLock;
    private final AtomicInteger callers;
    private final AtomicInteger ownCalls;
    private final CallDeadlines deadlines;
    private final RequestSender sender;
    /**
     * Answers handed to their calls so far; written by the holder of the receive lock only, with a release
     * store (no fence per answer), read with a volatile load.
     */
    private volatile long answered;
    private static final java.lang.invoke.VarHandle ANSWERED;

    static {
        try {
            ANSWERED = java.lang.invoke.MethodHandles.lookup().findVarHandle(ResponseReceiver.class, "answered", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /**
     * A view of this client's receive ring, through which answers are decoded in place (no copy out of the
     * ring), positioned on each answer's body: made on the first answer, used under the receive lock
     * only. It reads the ring's memory through a pointer store that owns none of it, so nothing is to be
     * released when the client closes.
     */
    private Bytes<?> in;
    /** The store {@link #in} views. */
    private BytesStore<?, ?> inStore;
    /** Completes the call of each answer, whichever it is. */
    private final MessageHandler anyResponse = (buf, off, len) -> onResponse(buf, off, len, null);
    /** Whether a synchronous caller receiving its own answer should look: a message arrived, or the client failed. */
    private final BooleanSupplier messageOrFailure;
    /** Whether a thread in {@link #receive} should look: an answer arrived, or the client failed or closed. */
    private final BooleanSupplier arrived;

    /**
     * @param client   the client whose answers these are (its receive lock, deadlines and sender made already)
     * @param strategy how a calling thread waits ({@link RpcClient.Context#waitStrategy})
     */
    ResponseReceiver(final RpcClient client, final WaitStrategy strategy) {
        this.client = client;
        this.connection = client.connection;
        this.strategy = strategy;
        this.receiveLock = client.receiveLock;
        this.callers = client.callers;
        this.ownCalls = client.ownCalls;
        this.deadlines = client.deadlines;
        this.sender = client.sender;
        this.arrived = () -> connection.hasMessage() || client.failure != null || client.closed;
        this.messageOrFailure = () -> connection.hasMessage() || client.failure != null;
    }

    /**
     * Receives until this thread's own call is answered, fails or expires; answers to other threads'
     * calls that arrive meanwhile are handed to them. The caller holds the receive lock, so no other
     * thread can take this call's answer; the call is not in the table of pending calls (adding and
     * removing it there would store a new object into a long-lived one on every call, which costs the
     * collector's write barrier and background work). A late answer finds no call and is dropped.
     */
    void awaitOwn(final PendingCall p, final long timeoutNanos) {
        ownCalls.lazySet(1);
        final long deadline = System.nanoTime() + timeoutNanos;
        long lastCheck = deadline - timeoutNanos;
        while (!p.done) {
            final long now = System.nanoTime();
            final RpcException down = client.failure;
            if (down != null) {
                client.failCall(p, down);
                return;
            }
            if (now - deadline >= 0) {
                client.failCall(p, deadlines.timedOut(p, timeoutNanos));
                return;
            }
            strategy.await(messageOrFailure, connection.unit().events(),
                Math.min(deadline - now, Math.min(TimeUnit.MILLISECONDS.toNanos(10), deadlines.untilNext(now))));
            receiveNow(p.ownHandler);
            if (!p.done && System.nanoTime() - lastCheck > LIVENESS_NANOS) {
                lastCheck = System.nanoTime();
                checkServer();
            }
        }
    }

    /**
     * Waits until the call is answered or expires. A synchronous caller keeps its own deadline (no
     * deadline in the table), counted from when its request was sent: the clock is first read while the
     * request is on its way, not before.
     */
    void awaitAnswer(final PendingCall p, final long timeoutNanos) {
        final BooleanSupplier answered = p.answeredOrArrived;
        final long deadline = System.nanoTime() + timeoutNanos;
        int idleSpins = 0;
        long lastCheck = deadline - timeoutNanos;
        while (!p.done) {
            final long now = System.nanoTime();
            if (now - deadline >= 0) {
                deadlines.expire(p, timeoutNanos);
                continue;
            }
            if (receiveLock.tryLock()) {
                try {
                    // lead: receive until this call is answered, for others too
                    strategy.await(answered, connection.unit().events(),
                        Math.min(deadline - now, Math.min(TimeUnit.MILLISECONDS.toNanos(10), deadlines.untilNext(now))));
                    receiveNow();
                    if (!p.done && System.nanoTime() - lastCheck > LIVENESS_NANOS) {
                        lastCheck = System.nanoTime();
                        checkServer();
                    }
                } finally {
                    receiveLock.unlock();
                }
                idleSpins = 0;
            } else if (++idleSpins < 1000) {
                Thread.onSpinWait();
            } else {
                // the leader unparks this thread with its response
                LockSupport.parkNanos(Math.min(deadline - now, 50_000));
            }
        }
    }

    /** {@link RpcClient#poll}: handles the answers that have arrived, up to {@code limit}, unless a thread receives. */
    int poll(final int limit) {
        checkLimit(limit);
        if (receiveLock.isHeldByCurrentThread()) {
            throw nestedReceive("poll");
        }
        sender.tryFlush();   // the answers awaited may be to requests not yet published
        if (!receiveLock.tryLock()) {
            return 0;
        }
        try {
            return receiveNow(anyResponse, limit);
        } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
            throw client.regionCut(e);
        } finally {
            receiveLock.unlock();
        }
    }

    /** {@link RpcClient#receive}: waits until answers arrive, then handles up to {@code limit} of them. */
    int receive(final int limit, final long timeout, final TimeUnit unit) {
        checkLimit(limit);
        if (receiveLock.isHeldByCurrentThread()) {
            throw nestedReceive("receive");
        }
        callers.incrementAndGet();
        try {
            final long before = answered;
            final long deadline = System.nanoTime() + unit.toNanos(timeout);
            long lastCheck = System.nanoTime();
            int idleSpins = 0;
            while (true) {
                final RpcException down = client.failure;
                if (down != null || client.closed) {
                    throw down != null ? new RpcException(down.kind(), down.getMessage())
                        : new RpcException(RpcException.Kind.SERVER_GONE, "client of '" + client.service + "' is closed");
                }
                // the answers awaited may be to requests not yet published (this thread's or another's)
                sender.tryFlush();
                if (receiveLock.tryLock()) {
                    try {
                        final int n = receiveNow(anyResponse, limit);
                        if (n > 0) {
                            return n;
                        }
                        if (answered != before || client.asyncInFlight() == 0) {
                            return 0;   // another thread took the answers, or nothing is awaited: look again
                        }
                        final long now = System.nanoTime();
                        if (now - deadline >= 0) {
                            return 0;
                        }
                        if (now - lastCheck > LIVENESS_NANOS) {
                            lastCheck = now;
                            checkServer();
                            continue;
                        }
                        // woken by an answer, or by the earliest deadline of an asynchronous call (to fail it)
                        strategy.await(arrived, connection.unit().events(), Math.min(deadline - now,
                            Math.min(TimeUnit.MILLISECONDS.toNanos(10), deadlines.untilNext(now))));
                    } finally {
                        receiveLock.unlock();
                    }
                    idleSpins = 0;
                } else if (System.nanoTime() - deadline >= 0) {
                    return 0;
                } else if (++idleSpins < 1000) {
                    Thread.onSpinWait();   // another thread receives, and completes the calls
                } else {
                    LockSupport.parkNanos(50_000);
                }
            }
        } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
            throw client.regionCut(e);
        } finally {
            client.callerLeft();
        }
    }

    /**
     * {@return the error for {@code what} made while this thread receives answers: from a future's dependent
     * action, which runs inside the receive; a nested receive would take the ring's records from under the
     * outer one}
     */
    IllegalStateException nestedReceive(final String what) {
        return new IllegalStateException("client of '" + client.service + "': " + what + " from code that runs while this"
            + " thread receives answers (a future's dependent action completed by call, poll or receive); send with"
            + " callAsync there, or complete the work on another thread");
    }

    private static void checkLimit(final int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + ": handle at least 1 answer");
        }
    }

    /** Fails every call in flight if the server closed or its process died. */
    private void checkServer() {
        try {
            connection.checkPeer();
        } catch (final PeerGoneException e) {
            client.failAll(new RpcException(RpcException.Kind.SERVER_GONE, "server of '" + client.service + "' is gone: "
                + e.getMessage()));
        }
    }

    /** Handles the answers that have arrived, for any call (the receive lock held). */
    void receiveNow() {
        receiveNow(anyResponse);
    }

    private int receiveNow(final MessageHandler handler) {
        return receiveNow(handler, 256);
    }

    private int receiveNow(final MessageHandler handler, final int limit) {
        try {
            final int n = connection.poll(handler, limit);
            deadlines.sweep();   // no clock read on the call path unless a deadline waits
            return n;
        } catch (final PeerGoneException e) {
            client.failAll(new RpcException(RpcException.Kind.SERVER_GONE, "server of '" + client.service + "' is gone: "
                + e.getMessage()));
        } catch (final org.softclan.dsm.ClosedException e) {
            // close() on another thread: it has failed the calls in flight before closing the connection
        }
        return 0;
    }

    /**
     * Completes the call an answer is for.
     *
     * @param own the call of the receiving thread that is not in the table, or {@code null}
     */
    void onResponse(final BytesStore<?, ?> buf, final long off, final int len, final PendingCall own) {
        if (len < RpcFrameDescriptor.HEADER_LENGTH) {
            // the server wrote a frame no server writes: every call on this connection is in doubt
            client.failAll(new RpcException(RpcException.Kind.SERVER_GONE, "service '" + client.service + "': the server"
                + " broke the protocol: a response of " + len + " bytes is shorter than the "
                + RpcFrameDescriptor.HEADER_LENGTH + "-byte frame header"));
            return;
        }
        final long id = RpcFrameDescriptor.callId(buf, off);
        final int status = RpcFrameDescriptor.status(buf, off);
        // a second answer to the receiving thread's own call (a server that answers twice) finds it done
        final PendingCall p = own != null && own.id == id ? own.done ? null : own : client.take(id);
        if (p == null) {
            return;   // timed out meanwhile
        }
        ANSWERED.setRelease(this, answered + 1);   // the receiving thread holds the receive lock: the only writer
        final Thread caller = p.caller;   // read before the call completes (a pooled record is reused after)
        Object result = null;
        RpcException failed;
        try {
            // decoded in place: the ring's bytes, bounded by this answer (a codec reading past it fails the call)
            final Bytes<?> in = answerView(buf);
            in.readPositionRemaining(RpcFrameDescriptor.body(off), len - RpcFrameDescriptor.HEADER_LENGTH);
            switch (status) {
                case RpcFrameDescriptor.OK:
                    result = p.method.response().decode(in);
                    failed = null;
                    break;
                case RpcFrameDescriptor.ERROR: {
                    final String type = in.readUtf8();
                    final String message = in.readUtf8();
                    failed = new RpcException(RpcException.Kind.REMOTE_ERROR, "call of "
                        + p.method.name() + " on '" + client.service + "' failed in the handler: " + type + ": " + message);
                    break;
                }
                case RpcFrameDescriptor.NO_METHOD:
                    failed = new RpcException(RpcException.Kind.NO_SUCH_METHOD, in.readUtf8());
                    break;
                default:
                    // a status no server writes: this call's answer is garbage (the others may be fine)
                    failed = new RpcException(RpcException.Kind.REMOTE_ERROR, "call of "
                        + p.method.name() + " on '" + client.service + "': the server broke the protocol: response status "
                        + status + " is none of OK (" + RpcFrameDescriptor.OK + "), ERROR (" + RpcFrameDescriptor.ERROR
                        + ") and NO_METHOD (" + RpcFrameDescriptor.NO_METHOD + ")");
            }
        } catch (final RuntimeException | OutOfMemoryError | StackOverflowError e) {
            // a response no codec could decode (garbage from the server, or a codec's fault) fails its call,
            // never the receiving thread, and never leaves the caller waiting
            failed = new RpcException(RpcException.Kind.REMOTE_ERROR, "call of "
                + p.method.name() + ": the response could not be decoded: " + e);
        } catch (final Error e) {
            // any other error (a fault of the ring cut from outside, reported as an InternalError) goes on up,
            // and fails the client there; the call taken from the table fails now, or its caller would wait
            // for an answer nobody will hand it
            client.failCall(p, new RpcException(RpcException.Kind.SERVER_GONE, "call of " + p.method.name()
                + ": the response could not be read: " + e));
            if (caller != null && caller != Thread.currentThread()) {
                LockSupport.unpark(caller);
            }
            throw e;
        }
        // completed outside the decoding's handlers: a completion (a callback, a future's dependent action) that
        // fails is never taken for a decoding failure, and the call is completed exactly once
        if (failed == null) {
            p.complete(result);
        } else {
            client.failCall(p, failed);
        }
        if (caller != null && caller != Thread.currentThread()) {
            LockSupport.unpark(caller);
        }
    }

    /** {@return the view of {@code ring} answers are decoded through, made once} */
    private Bytes<?> answerView(final BytesStore<?, ?> ring) {
        if (ring != inStore) {
            in = RpcClient.unchecked(ring.bytesForRead());
            inStore = ring;
        }
        return in;
    }
}
