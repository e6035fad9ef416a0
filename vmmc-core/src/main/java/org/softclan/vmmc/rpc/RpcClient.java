package org.softclan.vmmc.rpc;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.MessageHandler;
import org.softclan.vmmc.PeerGoneException;
import org.softclan.vmmc.SendTimeoutException;
import org.softclan.vmmc.Vmmc;

/**
 * Calls {@link RpcMethod}s of the server on a name, from any number of threads: synchronously
 * ({@link #call}) or asynchronously ({@link #callAsync}), each call with its own timeout. A thread in
 * {@link #call} receives responses itself while it waits (one such thread at a time leads, and hands
 * others their responses), so a synchronous round trip involves no thread hand-off; a background
 * receiver thread completes asynchronous calls when no caller is waiting. A thread with many asynchronous
 * calls in flight can receive their answers itself, as Aeron's client conductor is driven by the thread that
 * awaits a response ({@link #poll}, {@link #receive}): their futures then complete on it, with no hand-off to
 * the background receiver (which stays off the connection while a thread receives). If the server closes or
 * dies, every call in flight fails with {@link RpcException.Kind#SERVER_GONE} at once. A call is
 * reported as succeeded only when the server's response to it arrived.
 *
 * <p><b>Batches</b>: {@link #callAsyncBatched} leaves a request unpublished, so that many are published with
 * one store of the server's write pointer (one tripwire, one wake-up); see there for when a batch goes out.
 * <b>Allocation</b>: none per call once warmed up for {@link #call} (a record per thread) and for the
 * asynchronous calls with an {@link RpcCallback} (pooled records); a call with a future allocates the future
 * and its record.
 *
 * <p>Timeouts need no timer thread: an asynchronous call's deadline is kept with the call, and whichever
 * thread receives (a caller, a thread in {@code poll}/{@code receive}, or the background receiver, which
 * wakes by the earliest deadline) fails the calls whose deadline passed, at most about
 * {@value #SWEEP_MICROS} us late while a thread receives.
 */
public final class RpcClient implements AutoCloseable {
    /** Fluent settings; defaults work out of the box. */
    public static final class Context {
        int ringCapacity = 4 << 20;
        WaitStrategy strategy = WaitStrategy.competitive();
        WaitStrategy receiverStrategy = WaitStrategy.competitive();
        boolean backgroundReceiver = true;
        int batchLimit = 16;

        /**
         * Settings with the defaults: a 4 MiB receive ring, and calling threads and the background
         * receiver that wait with {@link WaitStrategy#competitive()}.
         */
        public Context() {
        }

        /**
         * Sets the capacity of this client's receive ring, where the server writes its responses; checked
         * by {@link RpcClient#connect}.
         *
         * @param bytes this client's receive ring, a power of two of at least 4096 (default 4 MiB: responses
         *              up to 2 MiB)
         * @return this
         */
        public Context ringCapacity(final int bytes) {
            this.ringCapacity = bytes;
            return this;
        }

        /**
         * Sets how a calling thread waits; the connection's blocking sends use it too.
         *
         * @param strategy how a thread in {@link RpcClient#call} waits for its response (default competitive)
         * @return this
         */
        public Context waitStrategy(final WaitStrategy strategy) {
            this.strategy = strategy;
            return this;
        }

        /**
         * Sets how the background receiver waits.
         *
         * @param strategy how the background receiver waits for responses to asynchronous calls while
         *                 no caller is waiting (default competitive)
         * @return this
         */
        public Context receiverStrategy(final WaitStrategy strategy) {
            this.receiverStrategy = strategy;
            return this;
        }

        /**
         * Sets whether a background thread completes asynchronous calls while no thread receives.
         *
         * @param on {@code true} (the default): a background receiver thread; {@code false}: none, and the
         *           answers to asynchronous calls are received (and their deadlines checked) only by threads in
         *           {@link RpcClient#call}, {@link RpcClient#poll} and {@link RpcClient#receive}: the driven
         *           shape, for a program whose threads receive for themselves (no thread hand-off, no thread)
         * @return this
         */
        public Context backgroundReceiver(final boolean on) {
            this.backgroundReceiver = on;
            return this;
        }

        /**
         * Sets how many requests sent by {@link RpcClient#callAsyncBatched} wait unpublished at most: the one
         * that makes the batch this long publishes it. Small batches keep both ends busy at once (the server
         * serves one batch while the client writes the next); one batch per window leaves each end idle while
         * the other works.
         *
         * @param requests requests per published batch, at least 1 (default 16: with 64 calls in flight on two
         *                 CPUs, batches of 16 and 32 gave about 1.4 times the calls per second of batches of 64, and
         *                 more than batches of 4 or 8; {@code vmmc bench rpc --batch-limit}, three runs of each)
         * @return this
         * @throws IllegalArgumentException if {@code requests < 1}
         */
        public Context batchLimit(final int requests) {
            if (requests < 1) {
                throw new IllegalArgumentException("batch limit " + requests + ": at least 1 request");
            }
            this.batchLimit = requests;
            return this;
        }
    }

    private final String service;
    private final Connection connection;
    private final WaitStrategy strategy;
    private final WaitStrategy receiverStrategy;
    private final PendingCalls<Pending> pending = new PendingCalls<>(PENDING_SLOTS, p -> p.id);
    /** Asynchronous calls in flight: the background receiver completes them while no caller waits. */
    private final AtomicInteger asyncInFlight = new AtomicInteger();
    /** The id of the last call sent: guarded by {@link #sendLock}. */
    private long lastCallId;
    /** The earliest deadline of an asynchronous call in flight (nanoTime), or Long.MAX_VALUE: a hint, never late. */
    private final AtomicLong nextDeadline = new AtomicLong(NO_DEADLINE);
    /** When calls were last checked for their deadlines (nanoTime); racy, a hint. */
    private volatile long lastSweep = System.nanoTime() - SWEEP_NANOS;
    /** Answers handed to their calls so far; written by the holder of {@link #receiveLock} only. */
    private volatile long answered;
    private final ReentrantLock receiveLock = new ReentrantLock();
    private final AtomicInteger callers = new AtomicInteger();
    private final Object idle = new Object();
    private final Thread receiver;
    /** Encode buffer of requests: used under {@link #sendLock} only, by whichever thread holds it. */
    private final Bytes<?> out = unchecked(Bytes.allocateElasticDirect());
    /**
     * A view of this client's receive ring, through which answers are decoded in place (no copy out of the
     * ring), positioned on each answer's body: made on the first answer, used under {@link #receiveLock}
     * only. It reads the ring's memory through a pointer store that owns none of it, so nothing is to be
     * released when the client closes.
     */
    private Bytes<?> in;
    /** The store {@link #in} views. */
    private BytesStore<?, ?> inStore;
    /**
     * Held while a request is encoded and sent (which may wait for room in the server's ring) or a batch is
     * published; the receiving side only ever tries it, and never waits for a sender.
     */
    private final ReentrantLock sendLock = new ReentrantLock();
    /**
     * When the oldest request sent by {@link #callAsyncBatched} and not yet published was written (nanoTime,
     * never 0), or 0 while none waits: written under {@link #sendLock}, read by any thread as a hint.
     */
    private volatile long unpublishedSince;
    /** Requests written and not yet published: guarded by {@link #sendLock}. */
    private int unpublishedCount;
    private final int batchLimit;
    private final MessageHandler anyResponse = (buf, off, len) -> onResponse(buf, off, len, null);
    /** 1 while a synchronous call outside the table ({@link #awaitOwn}) is in flight; for {@link #inFlight()}. */
    private final AtomicInteger ownCalls = new AtomicInteger();
    private volatile boolean closed;
    private volatile RpcException failure;

    /**
     * Records of asynchronous calls with a callback, free for reuse: taken by senders, given back as each call
     * completes (a bounded array queue: neither allocates).
     */
    final java.util.concurrent.ArrayBlockingQueue<Pending> freeCalls = new java.util.concurrent.ArrayBlockingQueue<>(FREE_CALLS);
    /** Call records kept for reuse at most (beyond, a completed record is left to the collector). */
    private static final int FREE_CALLS = 4096;

    /** Calls in flight that take the pending table's fast path (more go to its overflow map). */
    private static final int PENDING_SLOTS = 256;
    /** {@link #nextDeadline} when no asynchronous call has a deadline. */
    private static final long NO_DEADLINE = Long.MAX_VALUE;
    /** The longest timeout kept (ns, about 73 years): deadlines stay comparable by subtraction. */
    private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE >> 2;
    /** The earlier of two deadlines, by subtraction (nanoTime wraps), {@link #NO_DEADLINE} counting as none. */
    private static final java.util.function.LongBinaryOperator EARLIER = (a, b) ->
        a == NO_DEADLINE ? b : b == NO_DEADLINE ? a : b - a < 0 ? b : a;
    /** A receiving thread checks deadlines at most this often (microseconds). */
    private static final long SWEEP_MICROS = 500;
    private static final long SWEEP_NANOS = TimeUnit.MICROSECONDS.toNanos(SWEEP_MICROS);

    /**
     * A call in flight: an asynchronous call's own record with its future, or a synchronous caller's record,
     * reused by that thread for each of its calls on this client (no allocation per call: the outcome is kept
     * in the record, not in a future). Whoever removes a call from the table of pending calls (or, for a call
     * kept out of it, its own thread) completes it, exactly once.
     */
    private static final class Pending {
        /** Written before the record enters the table, read by any thread looking a call up there. */
        volatile long id;
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
         * A pooled asynchronous call's callback ({@link RpcClient#callAsync(RpcMethod, Object, long, TimeUnit,
         * RpcCallback)}), or {@code null}. Cleared as the call completes; the record then goes back to its
         * client's pool.
         */
        RpcCallback<Object> callback;

        Pending(final long id, final RpcMethod<?, ?> method, final CompletableFuture<Object> future,
                final Thread caller) {
            this.id = id;
            this.method = method;
            this.future = future;
            this.caller = caller;
        }

        /** Makes a synchronous caller's record ready for its next call, on {@code c}. */
        Pending reuse(final RpcClient c, final RpcMethod<?, ?> m) {
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

        boolean isDone() {
            return future != null ? future.isDone() : done;
        }
    }

    /**
     * Each thread's record of its synchronous calls, whichever client it calls (none kept alive between calls:
     * {@link Pending#client} is cleared). A call made while the thread's record is in use (from a callback run
     * during a call) gets a record of its own.
     */
    private static final ThreadLocal<Pending> SYNC_CALLS = ThreadLocal.withInitial(RpcClient::syncRecord);

    private static Pending syncRecord() {
        final Pending p = new Pending(0, null, null, Thread.currentThread());
        p.ownHandler = (buf, off, len) -> p.client.onResponse(buf, off, len, p);
        p.answeredOrArrived = () -> p.done || p.client.connection.hasMessage();
        return p;
    }

    /** Counters in the endpoint's statistics file (vmmc stat): calls made and in flight are set by the publisher. */
    private final org.softclan.dsm.stat.CounterGroup statistics;
    /**
     * Calls failed, by {@link RpcException.Kind} (ordinal): counted on the failure paths only, here (not in
     * the statistics' counters, which are freed when the client closes while calls on it still fail), and
     * copied into the counters by the publisher.
     */
    private final java.util.concurrent.atomic.AtomicLongArray failures =
        new java.util.concurrent.atomic.AtomicLongArray(RpcException.Kind.values().length);

    private RpcClient(final String service, final Connection connection, final Context ctx) {
        this.service = service;
        this.connection = connection;
        this.strategy = ctx.strategy;
        this.receiverStrategy = ctx.receiverStrategy;
        this.batchLimit = ctx.batchLimit;
        this.arrived = () -> connection.hasMessage() || failure != null || closed;
        this.messageOrFailure = () -> connection.hasMessage() || failure != null;
        this.receiverWake = () -> connection.hasMessage() || callers.get() > 0 && receiveLock.isLocked() || closed
            || unpublishedSince != receiverSawUnpublished;

        final String of = ", RPC client of '" + service + "', " + connection.name();
        this.statistics = new org.softclan.dsm.stat.CounterGroup(connection.inbound().endpoint().stats());
        final org.agrona.concurrent.status.AtomicCounter callsGauge = statistics.counter("calls made" + of,
            org.softclan.dsm.stat.StatTypes.RPC_CALLS);
        final org.agrona.concurrent.status.AtomicCounter inFlightGauge = statistics.counter("calls in flight" + of,
            org.softclan.dsm.stat.StatTypes.RPC_IN_FLIGHT);
        final org.agrona.concurrent.status.AtomicCounter[] failed =
            new org.agrona.concurrent.status.AtomicCounter[RpcException.Kind.values().length];
        for (final RpcException.Kind k : RpcException.Kind.values()) {
            failed[k.ordinal()] = k == RpcException.Kind.TIMEOUT
                ? statistics.counter("calls that got no answer in time" + of, org.softclan.dsm.stat.StatTypes.RPC_TIMEOUTS)
                : statistics.counter("calls failed: " + k.name() + of, org.softclan.dsm.stat.StatTypes.RPC_FAILURES);
        }
        statistics.beforePublish(() -> {
            callsGauge.setRelease(lastCallId);   // racy read of the senders' count: a publication behind at worst
            inFlightGauge.setRelease(inFlight());
            for (int k = 0; k < failed.length; k++) {
                failed[k].setRelease(failures.get(k));
            }
        });
        if (ctx.backgroundReceiver) {
            this.receiver = new Thread(this::receiveLoop, "rpc-" + service + "-receive");
            receiver.setDaemon(true);
            try {
                receiver.start();
            } catch (final RuntimeException | Error noThread) {
                statistics.close();   // connect closes the connection; nothing else of this client exists yet
                throw noThread;
            }
        } else {
            this.receiver = null;
        }
    }

    /**
     * Connects to the server on {@code service} and starts this client's background receiver thread (unless
     * the context says none).
     *
     * @param endpoint the client's endpoint
     * @param service  the server's name ({@link RpcServer#create})
     * @param ctx      this client's settings
     * @param timeout  the longest wait for the server to accept, in {@code unit}s (as {@link Vmmc#connect})
     * @param unit     the unit of {@code timeout}
     * @return the client, connected
     * @throws org.softclan.vmmc.ConnectException if nobody serves it, it refuses, or it does not accept in time
     * @throws IllegalArgumentException           if the context's ring capacity is not a power of two of at
     *                                            least 4096
     * @throws org.softclan.dsm.DsmException      for the other failures {@link Vmmc#connect} reports
     */
    public static RpcClient connect(final Endpoint endpoint, final String service, final Context ctx,
                                    final long timeout, final TimeUnit unit) {
        final Connection c = Vmmc.connect(endpoint, service, new ConnectionContext().ringCapacity(ctx.ringCapacity)
            .waitStrategy(ctx.strategy), timeout, unit);
        try {
            return new RpcClient(service, c, ctx);
        } catch (final RuntimeException | Error e) {
            c.close();   // no client holds it (its receiver thread could not start)
            throw e;
        }
    }

    /** {@return the largest argument this client can send, in encoded bytes (the frame header excluded)} */
    public int maxRequest() {
        return connection.maxMessage() - RpcFrameDescriptor.HEADER_LENGTH;
    }

    /**
     * Calls {@code method} and waits for its result. The request is encoded on this thread (an exception
     * the request codec throws reaches the caller as it is, and nothing is sent); while the server's ring
     * has no room for it, the send waits. Then this thread receives for itself, or is handed its response
     * by the thread that does.
     *
     * @param method   the method to call
     * @param argument the argument, encoded with the method's request codec
     * @param timeout  the longest wait for room to send the request, and again for the answer, in
     *                 {@code unit}s
     * @param unit     the unit of {@code timeout}
     * @param <Q>      the argument type
     * @param <R>      the result type
     * @return the result, decoded with the method's response codec
     * @throws RpcException if the server answered with an error (the handler threw), the server went
     *                      away, no answer came in time, or the request could not be sent;
     *                      {@link RpcException#kind()} says which
     */
    @SuppressWarnings("unchecked")
    public <Q, R> R call(final RpcMethod<Q, R> method, final Q argument, final long timeout, final TimeUnit unit) {
        callers.incrementAndGet();
        boolean locked = false;
        Pending used = null;
        Pending p = null;
        try {
            if (receiveLock.isHeldByCurrentThread()) {
                throw nestedReceive("a synchronous call");
            }
            // holding the receive lock from before the send, this thread is the one that receives the
            // answer: the call needs no entry in the table of pending calls (see awaitOwn)
            locked = receiveLock.tryLock();
            final Pending record = SYNC_CALLS.get();
            used = record.busy ? syncRecord() : record;
            used.reuse(this, method).own = locked;
            p = send(used, argument, timeout, unit, false, locked);
            if (!p.done) {
                if (p.own) {
                    awaitOwn(p, unit.toNanos(timeout));
                } else {
                    awaitAnswer(p, unit.toNanos(timeout));
                }
            }
            final RpcException e = p.error;
            final Object r = p.result;
            p.result = null;   // the record outlives the call: keep no result alive
            if (e != null) {
                if (!p.own && p == SYNC_CALLS.get()) {
                    // the record was in the table, and this thread (expiring it) or a failed send took it out:
                    // a receiving thread may still hold it from a look-up, so it is not reused for a later call
                    // (whose id could take the same slot and be completed with this call's answer)
                    SYNC_CALLS.set(syncRecord());
                }
                // a new exception: its stack is this caller's (the record's may be another thread's)
                throw new RpcException(e.kind(), e.getMessage());
            }
            return (R) r;
        } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
            throw regionCut(e);
        } finally {
            if (locked && (used == null || used.own)) {   // send() gives the lock up itself if it must wait
                ownCalls.lazySet(0);
                receiveLock.unlock();
            }
            if (used != null) {
                used.client = null;
                used.busy = false;
            }
            if (callers.decrementAndGet() == 0 && asyncInFlight.get() > 0) {
                synchronized (idle) {
                    idle.notifyAll();
                }
            }
        }
    }

    /**
     * Receives until this thread's own call is answered, fails or expires; answers to other threads'
     * calls that arrive meanwhile are handed to them. The caller holds the receive lock, so no other
     * thread can take this call's answer; the call is not in the table of pending calls (adding and
     * removing it there would store a new object into a long-lived one on every call, which costs the
     * collector's write barrier and background work). A late answer finds no call and is dropped.
     */
    private void awaitOwn(final Pending p, final long timeoutNanos) {
        ownCalls.lazySet(1);
        final long deadline = System.nanoTime() + timeoutNanos;
        long lastCheck = deadline - timeoutNanos;
        while (!p.done) {
            final long now = System.nanoTime();
            final RpcException down = failure;
            if (down != null) {
                failCall(p, down);
                return;
            }
            if (now - deadline >= 0) {
                failCall(p, timedOut(p, timeoutNanos));
                return;
            }
            strategy.await(messageOrFailure, connection.unit().events(),
                Math.min(deadline - now, Math.min(TimeUnit.MILLISECONDS.toNanos(10), untilNextDeadline(now))));
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
    private void awaitAnswer(final Pending p, final long timeoutNanos) {
        final BooleanSupplier answered = p.answeredOrArrived;
        final long deadline = System.nanoTime() + timeoutNanos;
        int idleSpins = 0;
        long lastCheck = deadline - timeoutNanos;
        while (!p.done) {
            final long now = System.nanoTime();
            if (now - deadline >= 0) {
                expire(p, timeoutNanos);
                continue;
            }
            if (receiveLock.tryLock()) {
                try {
                    // lead: receive until this call is answered, for others too
                    strategy.await(answered, connection.unit().events(),
                        Math.min(deadline - now, Math.min(TimeUnit.MILLISECONDS.toNanos(10), untilNextDeadline(now))));
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

    /** Fails a call whose deadline passed, unless its answer was taken meanwhile. */
    private void expire(final Pending p, final long timeoutNanos) {
        if (take(p.id) != null) {
            failCall(p, timedOut(p, timeoutNanos));
        }
    }

    /**
     * Fails the call {@code id} (its deadline passed), unless it was answered meanwhile. By id, read before
     * its record's deadline: a pooled record may be completed and reused for a later call while a sweeper
     * looks at it, and the later call's id is not this one.
     */
    private void expireId(final long id) {
        final Pending p = take(id);
        if (p != null) {
            failCall(p, timedOut(p, p.timeoutNanos));
        }
    }

    private RpcException timedOut(final Pending p, final long timeoutNanos) {
        return new RpcException(RpcException.Kind.TIMEOUT, "call of " + p.method.name() + " on '" + service
            + "' got no answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
    }

    /** Records a call as in flight. */
    private void track(final Pending p) {
        // the background receiver idles while no asynchronous call is in flight (or a thread receives, which
        // notifies it when leaving): woken by the first call only
        if (p.caller == null && asyncInFlight.incrementAndGet() == 1 && receiver != null && callers.get() == 0) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
        pending.add(p.id, p);
    }

    /** @return the call with this id, no longer in flight, or {@code null} if it was answered or expired */
    private Pending take(final long id) {
        final Pending p = pending.remove(id);
        if (p != null && p.caller == null) {
            asyncInFlight.decrementAndGet();
        }
        return p;
    }

    private static final long LIVENESS_NANOS = TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS);

    /** Fails every call in flight if the server closed or its process died. */
    private void checkServer() {
        try {
            connection.checkPeer();
        } catch (final PeerGoneException e) {
            failAll(new RpcException(RpcException.Kind.SERVER_GONE, "server of '" + service + "' is gone: "
                + e.getMessage()));
        }
    }

    private void receiveNow() {
        receiveNow(anyResponse);
    }

    private int receiveNow(final MessageHandler handler) {
        return receiveNow(handler, 256);
    }

    private int receiveNow(final MessageHandler handler, final int limit) {
        try {
            final int n = connection.poll(handler, limit);
            if (nextDeadline.get() != NO_DEADLINE) {   // no clock read on the call path unless a deadline waits
                sweepExpired(System.nanoTime());
            }
            return n;
        } catch (final PeerGoneException e) {
            failAll(new RpcException(RpcException.Kind.SERVER_GONE, "server of '" + service + "' is gone: "
                + e.getMessage()));
        } catch (final org.softclan.dsm.ClosedException e) {
            // close() on another thread: it has failed the calls in flight before closing the connection
        }
        return 0;
    }

    /**
     * Fails the asynchronous calls whose deadline passed (unless answered meanwhile), at most every
     * {@value #SWEEP_MICROS} us and only when a deadline may have passed. Any thread; no allocation.
     */
    private void sweepExpired(final long now) {
        final long next = nextDeadline.get();
        if (next == NO_DEADLINE || now - next < 0 || now - lastSweep < SWEEP_NANOS) {
            return;
        }
        lastSweep = now;
        // recomputed from the calls left; an add meanwhile lowers it again. getAndSet, not set: reading the
        // adders' last value orders their entries in the table before this sweep's look at it
        nextDeadline.getAndSet(NO_DEADLINE);
        pending.forEach(sweeper);
    }

    /** {@return ns from {@code now} to just past the earliest deadline of an asynchronous call; Long.MAX_VALUE if none} */
    private long untilNextDeadline(final long now) {
        final long next = nextDeadline.get();
        return next == NO_DEADLINE ? Long.MAX_VALUE : Math.max(0, next - now) + 1;
    }

    private final java.util.function.Consumer<Pending> sweeper = p -> {
        final long id = p.id;   // first: see expireId
        if (p.caller != null || p.timeoutNanos == 0) {
            return;   // a synchronous caller keeps its own deadline
        }
        final long deadline = p.deadline;
        if (System.nanoTime() - deadline >= 0) {
            expireId(id);
        } else {
            nextDeadline.accumulateAndGet(deadline, EARLIER);
        }
    };

    /**
     * Sends a call and returns without waiting for the answer: it waits only while the server's ring has
     * no room for the request (up to {@code timeout}). The future completes with the result, or with an
     * {@link RpcException} saying why there is none; a thread in {@link #call}, {@link #poll} or
     * {@link #receive} completes it (its dependent actions run on that thread), or the background receiver
     * while no thread is in one of them; a thread that finds the server gone, or closes the client, fails it.
     * Sent from code that runs while its thread receives (a dependent action, a callback), it does not wait
     * for room: with the ring full, the call fails at once with {@link RpcException.Kind#NOT_SENT} (waiting
     * would keep that thread from draining the answers the server may need room for).
     *
     * @param method   the method to call
     * @param argument the argument, encoded with the method's request codec on this thread (an exception
     *                 the codec throws reaches the caller as it is, and nothing is sent)
     * @param timeout  the call's timeout, in {@code unit}s, counted from when the request is encoded: it
     *                 bounds the wait for room to send it, and the call fails if no answer came
     *                 by then
     * @param unit     the unit of {@code timeout}
     * @param <Q>      the argument type
     * @param <R>      the result type
     * @return the call's future, already completed exceptionally if the request could not be sent
     */
    public <Q, R> CompletableFuture<R> callAsync(final RpcMethod<Q, R> method, final Q argument, final long timeout,
                                                 final TimeUnit unit) {
        return callAsync(method, argument, timeout, unit, false);
    }

    /**
     * Sends a call as {@link #callAsync} does, but leaves its request unpublished: requests sent this way are
     * published together, in order, with one store of the server's write pointer (one tripwire at the server,
     * one wake-up for the batch) by {@link #flush()}, by this client's next {@link #callAsync} or {@link #call}
     * from any thread, by a thread that then receives ({@link #call}, {@link #poll}, {@link #receive}), by the
     * request that makes the batch {@link Context#batchLimit} long, or when the server's ring is full. A request left unpublished otherwise is published by the background receiver
     * within about {@value #UNPUBLISHED_MICROS} us (with no background receiver, only by those calls).
     * The shape for a thread that keeps many calls in flight: send what is due batched, then receive.
     *
     * @param method   the method to call
     * @param argument the argument, encoded on this thread
     * @param timeout  the call's timeout, in {@code unit}s, counted from when the request is encoded
     * @param unit     the unit of {@code timeout}
     * @param <Q>      the argument type
     * @param <R>      the result type
     * @return the call's future, already completed exceptionally if the request could not be sent
     */
    public <Q, R> CompletableFuture<R> callAsyncBatched(final RpcMethod<Q, R> method, final Q argument,
                                                        final long timeout, final TimeUnit unit) {
        return callAsync(method, argument, timeout, unit, true);
    }

    /**
     * Publishes the requests sent by {@link #callAsyncBatched} and not yet published: one release store of the
     * server's write pointer. Costs a volatile read when there are none. Any thread; it waits for a thread that
     * is sending meanwhile (whose request publishes the batch anyway).
     *
     * @return whether requests were published: {@code false} if there were none, or if the client is closed or
     *         the server gone (the calls in flight have failed then, with {@link RpcException.Kind#SERVER_GONE})
     */
    public boolean flush() {
        if (unpublishedSince == 0) {
            return false;
        }
        sendLock.lock();
        try {
            return flushLocked();
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Publishes the batch if no thread is sending: for the receiving side, which must never wait for a sender
     * (one waiting for room in the server's ring waits for this side to drain answers). A sender publishes the
     * batch itself with its own request, or when it finds no room.
     */
    private void tryFlush() {
        if (unpublishedSince != 0 && sendLock.tryLock()) {
            try {
                flushLocked();
            } finally {
                sendLock.unlock();
            }
        }
    }

    private boolean flushLocked() {
        if (unpublishedSince == 0 || closed) {
            return false;
        }
        unpublishedSince = 0;
        unpublishedCount = 0;
        try {
            return connection.flush();
        } catch (final PeerGoneException e) {
            failAll(new RpcException(RpcException.Kind.SERVER_GONE, "server of '" + service + "' is gone: "
                + e.getMessage()));
        } catch (final DsmException e) {
            failAll(new RpcException(RpcException.Kind.SERVER_GONE, "client of '" + service + "': the requests"
                + " could not be published: " + e.getMessage()));
        }
        return false;
    }

    /**
     * Sends a call as {@link #callAsync(RpcMethod, Object, long, TimeUnit)} does, with a callback instead of a
     * future: no allocation per call once warmed up (the call's record comes from a pool of {@value #FREE_CALLS}
     * and goes back to it as the call completes, just before the callback runs).
     * The callback runs exactly once, on the thread that completes the call ({@link RpcCallback}); on this
     * thread, before this returns, if the request could not be sent.
     *
     * @param method   the method to call
     * @param argument the argument, encoded on this thread (an exception the codec throws reaches the caller as
     *                 it is; nothing is sent and the callback does not run)
     * @param timeout  the call's timeout, in {@code unit}s, counted from when the request is encoded
     * @param unit     the unit of {@code timeout}
     * @param callback receives the result or the failure
     * @param <Q>      the argument type
     * @param <R>      the result type
     */
    public <Q, R> void callAsync(final RpcMethod<Q, R> method, final Q argument, final long timeout, final TimeUnit unit,
                                 final RpcCallback<? super R> callback) {
        callPooled(method, argument, timeout, unit, callback, false);
    }

    /**
     * As {@link #callAsyncBatched(RpcMethod, Object, long, TimeUnit)}, with a callback instead of a future (see
     * {@link #callAsync(RpcMethod, Object, long, TimeUnit, RpcCallback)}).
     *
     * @param method   the method to call
     * @param argument the argument, encoded on this thread
     * @param timeout  the call's timeout, in {@code unit}s, counted from when the request is encoded
     * @param unit     the unit of {@code timeout}
     * @param callback receives the result or the failure
     * @param <Q>      the argument type
     * @param <R>      the result type
     */
    public <Q, R> void callAsyncBatched(final RpcMethod<Q, R> method, final Q argument, final long timeout,
                                        final TimeUnit unit, final RpcCallback<? super R> callback) {
        callPooled(method, argument, timeout, unit, callback, true);
    }

    @SuppressWarnings("unchecked")
    private <Q, R> void callPooled(final RpcMethod<Q, R> method, final Q argument, final long timeout,
                                   final TimeUnit unit, final RpcCallback<? super R> callback, final boolean batched) {
        java.util.Objects.requireNonNull(callback, "callback");
        Pending p = freeCalls.poll();
        if (p == null) {
            p = new Pending(0, null, null, null);
        }
        p.id = 0;
        p.method = method;
        p.client = this;
        p.callback = (RpcCallback<Object>) callback;
        p.batched = batched;
        p.own = false;
        p.timeoutNanos = 0;
        send(p, argument, timeout, unit, true, false);   // p may be completed, and reused, by now
    }

    /** How long the background receiver leaves batched requests unpublished, at most (microseconds). */
    static final long UNPUBLISHED_MICROS = 1000;
    private static final long UNPUBLISHED_NANOS = TimeUnit.MICROSECONDS.toNanos(UNPUBLISHED_MICROS);
    /** What wakes the background receiver: an answer, a thread that receives for itself, or a close. */
    private final BooleanSupplier receiverWake;
    /**
     * {@link #unpublishedSince} as the background receiver saw it before its wait (its thread's alone): a batch
     * begun or published meanwhile ends the wait, so the next one is bounded by the batch's age.
     */
    private long receiverSawUnpublished;

    private <Q, R> CompletableFuture<R> callAsync(final RpcMethod<Q, R> method, final Q argument, final long timeout,
                                                  final TimeUnit unit, final boolean batched) {
        final Pending call = new Pending(0, method, new CompletableFuture<>(), null);
        call.batched = batched;
        @SuppressWarnings("unchecked")
        final CompletableFuture<R> f = (CompletableFuture<R>) (CompletableFuture<?>) send(call, argument, timeout,
            unit, true, false).future;
        return f;
    }

    /**
     * Handles the answers that have arrived, up to {@code limit}, on this thread: their calls complete here
     * (a future's dependent actions run on this thread), and asynchronous calls whose deadline passed fail.
     * Never waits: returns 0 at once if another thread is receiving (it completes the calls).
     *
     * @param limit the most answers to handle, at least 1
     * @return answers handled, late ones to calls that had timed out included (0: none had arrived, or another
     *         thread is receiving)
     * @throws IllegalArgumentException if {@code limit < 1}
     * @throws IllegalStateException    if called from code that runs while this thread receives (a future's
     *                                  dependent action)
     */
    public int poll(final int limit) {
        checkLimit(limit);
        if (receiveLock.isHeldByCurrentThread()) {
            throw nestedReceive("poll");
        }
        tryFlush();   // the answers awaited may be to requests not yet published
        if (!receiveLock.tryLock()) {
            return 0;
        }
        try {
            return receiveNow(anyResponse, limit);
        } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
            throw regionCut(e);
        } finally {
            receiveLock.unlock();
        }
    }

    /**
     * Waits, with this client's wait strategy, until answers arrive, then handles up to {@code limit} of
     * them on this thread as {@link #poll} does. While a thread is in here the background receiver stays off
     * the connection, so a thread that keeps many asynchronous calls in flight and receives between sends
     * completes them itself, with no hand-off between threads (the shape of Aeron's
     * {@code ClientConductor.awaitResponse}: the waiting thread drives the receive side). It returns at once
     * when no asynchronous call is in flight, and with 0 when another thread handled the answers that arrived
     * meanwhile (a synchronous caller, or the background receiver between two of this thread's calls).
     *
     * @param limit   the most answers to handle, at least 1
     * @param timeout the longest wait for an answer, in {@code unit}s
     * @param unit    the unit of {@code timeout}
     * @return answers this thread handled (late ones to calls that had timed out included); 0 if none arrived
     *         within the timeout, no asynchronous call was in flight, or another thread handled them
     * @throws RpcException             {@link RpcException.Kind#SERVER_GONE} if the server is gone or this client
     *                                  is closed (every call in flight has failed with it)
     * @throws IllegalArgumentException if {@code limit < 1}
     * @throws IllegalStateException    if called from code that runs while this thread receives (a future's
     *                                  dependent action)
     */
    public int receive(final int limit, final long timeout, final TimeUnit unit) {
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
                final RpcException down = failure;
                if (down != null || closed) {
                    throw down != null ? new RpcException(down.kind(), down.getMessage())
                        : new RpcException(RpcException.Kind.SERVER_GONE, "client of '" + service + "' is closed");
                }
                // the answers awaited may be to requests not yet published (this thread's or another's)
                tryFlush();
                if (receiveLock.tryLock()) {
                    try {
                        final int n = receiveNow(anyResponse, limit);
                        if (n > 0) {
                            return n;
                        }
                        if (answered != before || asyncInFlight.get() == 0) {
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
                            Math.min(TimeUnit.MILLISECONDS.toNanos(10), untilNextDeadline(now))));
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
            throw regionCut(e);
        } finally {
            if (callers.decrementAndGet() == 0 && asyncInFlight.get() > 0) {
                synchronized (idle) {
                    idle.notifyAll();
                }
            }
        }
    }

    /** Whether a synchronous caller receiving its own answer should look: a message arrived, or the client failed. */
    private final BooleanSupplier messageOrFailure;
    /** Whether a thread in {@link #receive} should look: an answer arrived, or the client failed or closed. */
    private final BooleanSupplier arrived;

    /**
     * {@return the error for {@code what} made while this thread receives answers: from a future's dependent
     * action, which runs inside the receive; a nested receive would take the ring's records from under the
     * outer one}
     */
    private IllegalStateException nestedReceive(final String what) {
        return new IllegalStateException("client of '" + service + "': " + what + " from code that runs while this"
            + " thread receives answers (a future's dependent action completed by call, poll or receive); send with"
            + " callAsync there, or complete the work on another thread");
    }

    private static void checkLimit(final int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + ": handle at least 1 answer");
        }
    }

    /**
     * Encodes and sends a call. {@code timed}: the call carries its deadline, and a receiving thread fails
     * it once that passed (for asynchronous calls; a synchronous caller watches its own deadline). {@code own}: the caller holds
     * the receive lock and will receive the answer itself, so the call is not entered in the table of
     * pending calls, where whichever thread receives an answer finds its call; if the request cannot be
     * placed in the ring at once, the call is entered after all and the lock given up before waiting
     * for room (a thread waiting for room must not keep others from receiving: the server may be
     * waiting for room in this end's ring). {@link Pending#own} says which happened.
     *
     * @param p the call's record (an asynchronous call's new one, or the synchronous caller's, reset): its
     *          method set, its id given here
     * @return {@code p}; completed already if the call could not be sent
     */
    @SuppressWarnings("unchecked")
    private <Q> Pending send(final Pending p, final Q argument, final long timeout, final TimeUnit unit,
                             final boolean timed, final boolean own) {
        final RpcMethod<Q, ?> method = (RpcMethod<Q, ?>) p.method;
        p.own = own;
        final RpcException down = failure;
        if (closed || down != null) {
            failCall(p, down != null ? down : new RpcException(RpcException.Kind.NOT_SENT,
                "client of '" + service + "' is closed"));
            return p;
        }
        sendLock.lock();
        try {
            final long id = ++lastCallId;
            if (closed) {   // close() releases the buffer under this lock
                failCall(p, new RpcException(RpcException.Kind.NOT_SENT, "client of '" + service + "' is closed"));
                return p;
            }
            final Bytes<?> b = out;
            b.clear();
            RpcFrameDescriptor.writeRequestHeader(b, id, method.id());
            try {
                method.request().encode(argument, b);
            } catch (final RuntimeException | Error e) {
                if (p.callback != null) {
                    // nothing sent, the call in no table and not completed: a pooled record goes back unused
                    p.callback = null;
                    p.method = null;
                    p.client = null;
                    freeCalls.offer(p);
                }
                throw e;
            }
            if (b.readRemaining() > connection.maxMessage()) {
                failCall(p, new RpcException(RpcException.Kind.NOT_SENT, "call of " + method.name()
                    + ": the request is " + b.readRemaining() + " bytes; at most " + connection.maxMessage() + " fit"));
                return p;
            }
            if (timed) {   // before the call is in the table, where a sweeping thread reads them
                p.timeoutNanos = Math.min(MAX_TIMEOUT_NANOS, Math.max(1, unit.toNanos(timeout)));
                p.deadline = System.nanoTime() + p.timeoutNanos;
            }
            // the id after the deadline (a volatile store): a sweeper that reads a reused record's new id reads
            // its new deadline too, never the last call's with the new id
            p.id = id;
            if (!own) {
                track(p);
            }
            // after: a sweeper that reads this deadline finds the call in the table. Read first: with one timeout
            // for every call, a later call's deadline is later, and no atomic update is needed (a sweeper that
            // resets the hint after this read visits the table after it, and finds this call there)
            final long earliest = timed ? nextDeadline.get() : NO_DEADLINE;
            if (timed && (earliest == NO_DEADLINE || p.deadline - earliest < 0)) {
                nextDeadline.accumulateAndGet(p.deadline, EARLIER);
            }
            sendLocked(p, b, timeout, unit);
            return p;
        } finally {
            sendLock.unlock();
        }
    }

    /** Sends an encoded request; on failure completes the call (or every call, if the server is gone). */
    private void sendLocked(final Pending p, final Bytes<?> b, final long timeout, final TimeUnit unit) {
        final long id = p.id;
        final RpcMethod<?, ?> method = p.method;
        boolean tracked = !p.own;
        try {
            if (p.batched && unpublishedCount + 1 < batchLimit
                && connection.offerBatched(b, b.readPosition(), (int) b.readRemaining())) {
                if (unpublishedCount++ == 0) {
                    unpublishedSince = System.nanoTime() | 1;
                    if (receiver != null) {
                        // a background receiver blocked in a long wait takes this batch's age into its next one
                        // (a load when nobody is blocked on this client's unit)
                        connection.unit().events().wakeBlockedWaiters();
                    }
                }
                return;   // published by flush, the next receive or send, a full batch, or a full ring
            }
            // whatever happens next publishes the batch: this request's commit, or a claim that found no room
            unpublishedSince = 0;
            unpublishedCount = 0;
            if (p.own) {
                if (connection.offer(b, b.readPosition(), (int) b.readRemaining())) {
                    return;
                }
                // the ring is full: enter the call and let other threads receive while this one waits
                track(p);
                tracked = true;
                p.own = false;
                receiveLock.unlock();
            }
            if (receiveLock.isHeldByCurrentThread()) {
                // sent from code that runs while this thread receives (a callback, a future's dependent action):
                // waiting for room would keep this thread from draining the answers the server may be waiting
                // to write before it reads further requests
                if (!connection.offer(b, b.readPosition(), (int) b.readRemaining()) && take(id) != null) {
                    failCall(p, new RpcException(RpcException.Kind.NOT_SENT, "call of " + method.name() + ": the server's"
                        + " ring is full, and this thread receives answers (the call was made from a callback or a"
                        + " future's dependent action), so it cannot wait for room; not sent"));
                }
                return;
            }
            connection.send(b, b.readPosition(), (int) b.readRemaining(), timeout, unit);
        } catch (final SendTimeoutException e) {
            if (!tracked || take(id) != null) {
                failCall(p, new RpcException(RpcException.Kind.TIMEOUT, "call of " + method.name()
                    + ": the server did not take requests for " + unit.toMillis(timeout) + " ms; not sent"));
            }
        } catch (final PeerGoneException e) {
            failAll(new RpcException(RpcException.Kind.SERVER_GONE, "server of '" + service + "' is gone: "
                + e.getMessage()));
        } catch (final DsmException e) {
            if (!tracked || take(id) != null) {
                failCall(p, new RpcException(RpcException.Kind.NOT_SENT, "call of " + method.name()
                    + ": " + e.getMessage()));
            }
        }
    }

    /** @return {@code b}, usable by whichever thread holds the lock that guards it */
    private static Bytes<?> unchecked(final Bytes<?> b) {
        b.singleThreadedCheckDisabled(true);
        return b;
    }

    /**
     * Completes asynchronous calls while no caller is waiting in {@link #call} (a caller receives for
     * itself then; this thread stays off the connection so the server need not wake it).
     */
    private void receiveLoop() {
        try {
            receiveRounds();
        } catch (final InternalError | org.softclan.dsm.DsmException e) {
            // a region of this client cut from outside (or closed under the wait): the calls in flight fail
            if (!closed) {
                failAll(new RpcException(RpcException.Kind.SERVER_GONE, "client of '" + service + "' stopped: " + e));
            }
        }
    }

    private void receiveRounds() {
        while (!closed && failure == null) {
            final long since = unpublishedSince;
            if (since != 0 && System.nanoTime() - since >= UNPUBLISHED_NANOS) {
                tryFlush();   // batched requests nobody published: their answers would never come
            }
            // idle while another thread receives, or nothing is awaited; a caller that waits for room to send
            // (holding no lock) leaves the receiving, and the deadlines, to this thread
            if (callers.get() > 0 && receiveLock.isLocked() || asyncInFlight.get() == 0) {
                synchronized (idle) {
                    try {
                        idle.wait(unpublishedSince != 0 ? 1 : 10);
                    } catch (final InterruptedException e) {
                        return;
                    }
                }
                continue;
            }
            final long now = System.nanoTime();
            final long saw = unpublishedSince;
            receiverSawUnpublished = saw;
            receiverStrategy.await(receiverWake, connection.unit().events(), Math.min(untilNextDeadline(now),
                saw != 0 ? UNPUBLISHED_NANOS : TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS)));
            final boolean batchChanged = unpublishedSince != saw;
            if (receiveLock.tryLock()) {
                try {
                    if (connection.hasMessage()) {
                        receiveNow();
                    } else {
                        sweepExpired(System.nanoTime());
                        if (callers.get() == 0 && !closed && !batchChanged) {
                            connection.checkPeer();   // not on every batch's wake-up: after a wait that ran out
                        }
                    }
                } catch (final PeerGoneException e) {
                    failAll(new RpcException(RpcException.Kind.SERVER_GONE, "server of '" + service + "' is gone: "
                        + e.getMessage()));
                } catch (final RuntimeException e) {
                    if (!closed) {
                        failAll(new RpcException(RpcException.Kind.SERVER_GONE, "client of '" + service + "' stopped: "
                            + e));
                    }
                } finally {
                    receiveLock.unlock();
                }
            }
        }
    }

    /**
     * Completes the call an answer is for.
     *
     * @param own the call of the receiving thread that is not in the table, or {@code null}
     */
    private void onResponse(final BytesStore<?, ?> buf, final long off, final int len, final Pending own) {
        if (len < RpcFrameDescriptor.HEADER_LENGTH) {
            // the server wrote a frame no server writes: every call on this connection is in doubt
            failAll(new RpcException(RpcException.Kind.SERVER_GONE, "service '" + service + "': the server broke the"
                + " protocol: a response of " + len + " bytes is shorter than the " + RpcFrameDescriptor.HEADER_LENGTH
                + "-byte frame header"));
            return;
        }
        final long id = RpcFrameDescriptor.callId(buf, off);
        final int status = RpcFrameDescriptor.status(buf, off);
        // a second answer to the receiving thread's own call (a server that answers twice) finds it done
        final Pending p = own != null && own.id == id ? own.done ? null : own : take(id);
        if (p == null) {
            return;   // timed out meanwhile
        }
        answered++;   // the receiving thread holds the receive lock: the only writer
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
                        + p.method.name() + " on '" + service + "' failed in the handler: " + type + ": " + message);
                    break;
                }
                case RpcFrameDescriptor.NO_METHOD:
                    failed = new RpcException(RpcException.Kind.NO_SUCH_METHOD, in.readUtf8());
                    break;
                default:
                    // a status no server writes: this call's answer is garbage (the others may be fine)
                    failed = new RpcException(RpcException.Kind.REMOTE_ERROR, "call of "
                        + p.method.name() + " on '" + service + "': the server broke the protocol: response status "
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
            failCall(p, new RpcException(RpcException.Kind.SERVER_GONE, "call of " + p.method.name()
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
            failCall(p, failed);
        }
        if (caller != null && caller != Thread.currentThread()) {
            LockSupport.unpark(caller);
        }
    }

    /** {@return the view of {@code ring} answers are decoded through, made once} */
    private Bytes<?> answerView(final BytesStore<?, ?> ring) {
        if (ring != inStore) {
            in = unchecked(ring.bytesForRead());
            inStore = ring;
        }
        return in;
    }

    /**
     * A fault on a region of this client cut from outside (the JVM reports it late, as an
     * {@link InternalError}): every call in flight fails, and so does this one, as the server being gone.
     * Any other error is rethrown.
     */
    private RpcException regionCut(final Throwable e) {
        final org.softclan.dsm.RegionTruncatedException t = e instanceof org.softclan.dsm.RegionTruncatedException r ? r
            : org.softclan.dsm.RegionFaults.explain((InternalError) e);
        if (t == null) {
            throw (InternalError) e;
        }
        final RpcException gone = new RpcException(RpcException.Kind.SERVER_GONE, "service '" + service
            + "': the connection is broken: " + t.getMessage());
        gone.initCause(t);
        failAll(gone);
        return gone;
    }

    /** Fails a call and counts it by the failure's kind (an atomic add: any thread, failure paths only). */
    private void failCall(final Pending p, final RpcException e) {
        failures.incrementAndGet(e.kind().ordinal());
        p.fail(e);
    }

    private void failAll(final RpcException e) {
        failure = e;
        for (final Pending p : pending.drain()) {
            if (p.caller == null) {
                asyncInFlight.decrementAndGet();
            }
            failCall(p, e);
        }
    }

    /** {@return the number of calls in flight: sent (or being sent) and not yet answered, failed or expired} */
    public int inFlight() {
        return pending.size() + ownCalls.get();
    }

    /**
     * Wakes the threads waiting in {@link #call} (their calls have just failed) and gives them up to
     * {@value #CLOSE_WAIT_MS} ms to leave, so that none still waits on the connection's memory when it is
     * unmapped. A caller blocked in sending, with the server not reading, leaves only when its send
     * times out.
     */
    private void awaitCallersGone() {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
        while (callers.get() > 0 && System.nanoTime() - deadline < 0) {
            connection.unit().events().wakeAllWaiters();
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
    }

    private static final long CLOSE_WAIT_MS = 5000;

    /**
     * Closes the connection: calls in flight fail with {@link RpcException.Kind#SERVER_GONE}, those whose
     * requests were batched and not yet published included, and their callbacks and futures' dependent actions
     * run on this thread; later calls fail the same way. Waits up to 5 s for the background receiver to end and
     * up to 5 s more for threads in {@link #call} and {@link #receive} to leave (called from a callback, it
     * waits that long for its own thread). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (idle) {
            idle.notifyAll();
        }
        try {
            if (receiver != null) {
                receiver.join(5000);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failAll(new RpcException(RpcException.Kind.SERVER_GONE, "client of '" + service + "' closed"));
        awaitCallersGone();
        statistics.close();   // once, also when closes race
        connection.close();
        sendLock.lock();
        try {
            out.releaseLast();
        } finally {
            sendLock.unlock();
        }
    }
}
