package org.softclan.vmmc.rpc;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import net.openhft.chronicle.bytes.Bytes;
import org.softclan.dsm.Endpoint;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
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
 *
 * <p><b>Exclusive clients</b> ({@link Context#exclusive}): a client used by one thread only, which sends,
 * receives and completes every call, as Aeron's {@code ExclusivePublication} is to its {@code Publication}: no
 * send lock, and a plain (non-atomic) table of calls in flight, count and pool of call records, so that a
 * pipelined call costs no atomic operation of the client's own. The first thread that calls, polls, receives or
 * flushes owns it; any other thread's use is refused with an {@link IllegalStateException} naming the owner.
 */
public final class RpcClient implements AutoCloseable {
    /** Fluent settings; defaults work out of the box. */
    public static final class Context {
        int ringCapacity = 4 << 20;
        WaitStrategy strategy = WaitStrategy.competitive();
        WaitStrategy receiverStrategy = WaitStrategy.competitive();
        boolean backgroundReceiver = true;
        int batchLimit = 16;
        boolean exclusive;

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

        /**
         * Sets whether the client is used by one thread only: its owner, the first thread that calls
         * ({@link RpcClient#call}, {@link RpcClient#callAsync}, {@link RpcClient#callAsyncBatched}), polls,
         * receives or flushes, which then sends, receives and completes every call (its callbacks and futures'
         * dependent actions run on it). The client then takes no send lock and keeps its calls in flight, their
         * count and its pool of call records in plain fields (no atomic operation per call). Any other thread's
         * use fails with an {@link IllegalStateException} naming the owner; {@link RpcClient#close} too, unless
         * the owner thread has ended or none has used the client yet. Reads that are documented as racy
         * ({@link RpcClient#inFlight}) and {@link RpcClient#maxRequest} may come from any thread. Needs
         * {@link #backgroundReceiver backgroundReceiver(false)}: the owner receives its answers itself. A batched
         * call's timeout counts from when its batch's first request was encoded (one clock read per batch). While
         * the owner waits for room in the server's ring it receives nothing: keep the answers in flight within
         * this client's ring ({@link #ringCapacity}), or the server, which stops reading requests of a client whose
         * ring is full, and the owner wait for each other until the send times out.
         *
         * @param on {@code true}: one owner thread; {@code false} (the default): any number of threads
         * @return this
         */
        public Context exclusive(final boolean on) {
            this.exclusive = on;
            return this;
        }
    }

    /** A receiving thread checks deadlines at most this often (microseconds): {@link CallDeadlines}. */
    static final long SWEEP_MICROS = 500;
    /** How long the background receiver leaves batched requests unpublished, at most (microseconds). */
    static final long UNPUBLISHED_MICROS = 1000;
    /** Call records kept for reuse at most (beyond, a completed record is left to the collector). */
    private static final int FREE_CALLS = 4096;
    /** Calls in flight that take the pending table's fast path (more go to its overflow map). */
    private static final int PENDING_SLOTS = 256;

    final String service;
    final Connection connection;
    /**
     * The calls in flight but a synchronous caller's own ({@link #ownCalls}), by id: {@link #track}, {@link #take}.
     * An exclusive client's is plain.
     */
    final CallTable<PendingCall> pending;
    /** Asynchronous calls in flight: the background receiver completes them while no caller waits. Unused if exclusive. */
    final AtomicInteger asyncInFlight = new AtomicInteger();
    /** Whether one thread only uses this client ({@link Context#exclusive}). */
    final boolean exclusive;
    /** An exclusive client's owner thread (bound by its first use) and its plain count of asynchronous calls in flight. */
    private volatile Thread owner;
    private int plainInFlight;

    /**
     * Held by the one thread that receives answers ({@link ResponseReceiver}): a caller in {@link #call}, a thread
     * in {@link #poll} or {@link #receive}, or the background receiver. Only ever tried, never waited for.
     */
    final ReentrantLock receiveLock = new ReentrantLock();
    /** Threads in {@link #call} and {@link #receive}: the background receiver idles while one of them receives. */
    final AtomicInteger callers = new AtomicInteger();
    /** The background receiver idles on this, and is notified when it may have to receive, or the client closes. */
    final Object idle = new Object();
    /** 1 while a synchronous call outside the table ({@link ResponseReceiver#awaitOwn}) is in flight; for {@link #inFlight()}. */
    final AtomicInteger ownCalls = new AtomicInteger();
    volatile boolean closed;
    volatile RpcException failure;
    /** Records of asynchronous calls with a callback, free for reuse ({@link CallPool}). */
    final CallPool freeCalls;
    final CallDeadlines deadlines;
    final RequestSender sender;
    final ResponseReceiver responses;
    private final ClientCounters counters;
    /** The background receiver, or {@code null} if the context says none. */
    private final BackgroundReceiver receiver;

    private RpcClient(final String service, final Connection connection, final Context ctx) {
        this.service = service;
        this.connection = connection;
        this.exclusive = ctx.exclusive;
        this.pending = exclusive ? new PlainCallTable<>(PENDING_SLOTS, p -> p.id) : new PendingCalls<>(PENDING_SLOTS, p -> p.id);
        this.freeCalls = new CallPool(FREE_CALLS, exclusive);
        // each role takes what it needs of the client's, and of those made before it
        this.deadlines = new CallDeadlines(this);
        this.sender = new RequestSender(this, ctx.batchLimit, ctx.backgroundReceiver);
        this.responses = new ResponseReceiver(this, ctx.strategy);
        try {
            this.counters = new ClientCounters(service, connection, sender::lastCallId, this::inFlight);
        } catch (final RuntimeException | Error noCounters) {
            sender.release();   // connect closes the connection
            throw noCounters;
        }
        // a failure from here on: connect closes the connection; only counters and encode buffer exist yet
        BackgroundReceiver r = null;
        try {
            r = ctx.backgroundReceiver ? new BackgroundReceiver(this, ctx.receiverStrategy) : null;
        } catch (final RuntimeException | Error noReceiver) {
            startFailed();
            throw noReceiver;
        }
        this.receiver = r;   // before the thread starts, as every field
        try {
            if (receiver != null) {
                receiver.start();
            }
        } catch (final RuntimeException | Error noThread) {
            startFailed();
            throw noThread;
        }
    }

    /** Frees the counters and the encode buffer of a client that failed to start. */
    private void startFailed() {
        counters.close();
        sender.release();
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
     *                                            least 4096, or it asks for an exclusive client with a background
     *                                            receiver
     * @throws org.softclan.dsm.DsmException      for the other failures {@link Vmmc#connect} reports
     */
    public static RpcClient connect(final Endpoint endpoint, final String service, final Context ctx,
                                    final long timeout, final TimeUnit unit) {
        if (ctx.exclusive && ctx.backgroundReceiver) {
            throw new IllegalArgumentException("service '" + service + "': an exclusive client has no background"
                + " receiver (its owner thread receives): set backgroundReceiver(false)");
        }
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
        checkOwner();
        callers.incrementAndGet();
        boolean locked = false;
        PendingCall used = null;
        PendingCall p = null;
        try {
            if (receiveLock.isHeldByCurrentThread()) {
                throw responses.nestedReceive("a synchronous call");
            }
            // holding the receive lock from before the send, this thread is the one that receives the
            // answer: the call needs no entry in the table of pending calls (see awaitOwn)
            locked = receiveLock.tryLock();
            final PendingCall record = PendingCall.SYNC_CALLS.get();
            used = record.busy ? PendingCall.syncRecord() : record;
            used.reuse(this, method).own = locked;
            p = sender.send(used, argument, timeout, unit, false, locked);
            if (!p.done) {
                if (p.own) {
                    responses.awaitOwn(p, unit.toNanos(timeout));
                } else {
                    responses.awaitAnswer(p, unit.toNanos(timeout));
                }
            }
            final RpcException e = p.error;
            final Object r = p.result;
            p.result = null;   // the record outlives the call: keep no result alive
            if (e != null) {
                if (!p.own && p == PendingCall.SYNC_CALLS.get()) {
                    // the record was in the table, and this thread (expiring it) or a failed send took it out:
                    // a receiving thread may still hold it from a look-up, so it is not reused for a later call
                    // (whose id could take the same slot and be completed with this call's answer)
                    PendingCall.SYNC_CALLS.set(PendingCall.syncRecord());
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
            callerLeft();
        }
    }

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
        checkOwner();
        return sender.flush();
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
        checkOwner();
        final PendingCall p = freeCalls.take();
        if (exclusive) {
            p.setIdPlain(0);   // no fence: only the owner reads it
        } else {
            p.id = 0;
        }
        p.method = method;
        p.client = this;
        p.callback = (RpcCallback<Object>) callback;
        p.batched = batched;
        p.own = false;
        p.timeoutNanos = 0;
        sender.send(p, argument, timeout, unit, true, false);   // p may be completed, and reused, by now
    }

    private <Q, R> CompletableFuture<R> callAsync(final RpcMethod<Q, R> method, final Q argument, final long timeout,
                                                  final TimeUnit unit, final boolean batched) {
        checkOwner();
        final PendingCall call = new PendingCall(0, method, new CompletableFuture<>(), null);
        call.batched = batched;
        @SuppressWarnings("unchecked")
        final CompletableFuture<R> f = (CompletableFuture<R>) (CompletableFuture<?>) sender.send(call, argument,
            timeout, unit, true, false).future;
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
        checkOwner();
        return responses.poll(limit);
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
        checkOwner();
        return responses.receive(limit, timeout, unit);
    }

    /** An exclusive client's first use binds its owner; another thread's use: {@link IllegalStateException}. */
    private void checkOwner() {
        if (exclusive && owner != Thread.currentThread()) {
            bindOwner(false);
        }
    }

    /** The first use binds the owner; a use from another thread is refused (or, closing, allowed if the owner ended). */
    private void bindOwner(final boolean closing) {
        final Thread me = Thread.currentThread();
        synchronized (idle) {
            final Thread o = owner;
            if (o == null || closing && !o.isAlive()) {
                owner = me;   // the first use, or a close after the owner ended: the closer owns what is left
            } else if (o != me) {
                throw new IllegalStateException("the exclusive client of '" + service + "' is owned by thread '"
                    + o.getName() + "' (id " + o.getId() + ", its first user); thread '" + me.getName() + "' may not "
                    + (closing ? "close it while that thread lives" : "use it") + " (RpcClient.Context.exclusive)");
            }
        }
    }

    /** Marks the client closed once, under the owner lock, and wakes its idle receiver: {@return false if done already} */
    private boolean markClosing() {
        synchronized (idle) {
            if (closed) {
                return false;
            }
            if (exclusive && owner != Thread.currentThread()) {
                bindOwner(true);
            }
            closed = true;
            idle.notifyAll();
            return true;
        }
    }

    /** {@return the asynchronous calls in flight} */
    int asyncInFlight() {
        return exclusive ? plainInFlight : asyncInFlight.get();
    }

    /** Records a call as in flight. */
    void track(final PendingCall p) {
        if (exclusive) {
            plainInFlight += p.caller == null ? 1 : 0;
            pending.add(p.id, p);
            return;
        }
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
    PendingCall take(final long id) {
        final PendingCall p = pending.remove(id);
        if (p != null && p.caller == null) {
            if (exclusive) {
                plainInFlight--;
            } else {
                asyncInFlight.decrementAndGet();
            }
        }
        return p;
    }

    /**
     * Notes that a thread in {@link #call} or {@link #receive} left: the last one wakes the background receiver
     * if asynchronous calls are in flight (it idles while a thread receives).
     */
    void callerLeft() {
        if (callers.decrementAndGet() == 0 && !exclusive && asyncInFlight.get() > 0) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    /** @return {@code b}, usable by whichever thread holds the lock that guards it */
    static Bytes<?> unchecked(final Bytes<?> b) {
        b.singleThreadedCheckDisabled(true);
        return b;
    }

    /**
     * A fault on a region of this client cut from outside (the JVM reports it late, as an
     * {@link InternalError}): every call in flight fails, and so does this one, as the server being gone.
     * Any other error is rethrown.
     */
    RpcException regionCut(final Throwable e) {
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
    void failCall(final PendingCall p, final RpcException e) {
        counters.failed(e.kind());
        p.fail(e);
    }

    void failAll(final RpcException e) {
        failure = e;
        for (final PendingCall p : pending.drain()) {
            if (p.caller == null) {
                if (exclusive) {
                    plainInFlight--;
                } else {
                    asyncInFlight.decrementAndGet();
                }
            }
            failCall(p, e);
        }
    }

    /**
     * {@return the number of calls in flight: sent (or being sent) and not yet answered, failed or expired; for an
     * exclusive client a racy read from threads other than its owner}
     */
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
     * waits that long for its own thread). Idempotent; a close during another returns at once. An exclusive client
     * is closed by its owner thread, or by any thread once the owner has ended (or if none used it).
     *
     * @throws IllegalStateException if an exclusive client is closed by another thread while its owner lives
     */
    @Override
    public void close() {
        if (closed || !markClosing()) {
            return;   // closed already, or another thread closes it
        }
        if (receiver != null) {
            receiver.join(CLOSE_WAIT_MS);
        }
        failAll(new RpcException(RpcException.Kind.SERVER_GONE, "client of '" + service + "' closed"));
        awaitCallersGone();
        counters.close();   // once, also when closes race
        connection.close();
        sender.release();
    }
}
