package org.softclan.vmmc.rpc;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import net.openhft.chronicle.bytes.Bytes;
import org.softclan.dsm.DsmException;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.PeerGoneException;
import org.softclan.vmmc.SendTimeoutException;

/**
 * The send side of an {@link RpcClient}: encodes each request into one buffer and writes it into the server's
 * ring, published at once or left unpublished to join a batch ({@link RpcClient#callAsyncBatched}) that one
 * store of the server's write pointer publishes ({@link #flush}).
 *
 * <p>Locking: {@link #sendLock} guards the call ids, the encode buffer and the batch. The receiving side only
 * ever tries it ({@link #tryFlush}), and never waits for a sender. The client's receive lock may be held when it
 * is taken (a synchronous caller that receives its own answer, or a callback that sends): the caller gives it up
 * before it waits for room, a callback does not wait, and the receive lock is only ever tried, never waited for.
 * An exclusive client ({@link RpcClient.Context#exclusive}) takes no send lock: its owner is the only sender.
 */
final class RequestSender {
    private final RpcClient client;
    private final Connection connection;
    private final CallDeadlines deadlines;
    /** The client's receive lock ({@link RpcClient#receiveLock}): a caller that must wait for room gives it up. */
    private final ReentrantLock receiveLock;
    /** Whether the client has a background receiver, to be woken when a batch begins. */
    private final boolean backgroundReceiver;
    private final int batchLimit;
    /** Whether one thread only sends ({@link RpcClient.Context#exclusive}): then no {@link #sendLock} is taken. */
    private final boolean exclusive;
    /**
     * Held while a request is encoded and sent (which may wait for room in the server's ring) or a batch is
     * published; the receiving side only ever tries it, and never waits for a sender.
     */
    private final ReentrantLock sendLock = new ReentrantLock();
    /**
     * The id of the last call sent: guarded by {@link #sendLock}. A call refused before it is sent (the client
     * closed, its argument failed to encode, its request too long) takes no id: this is the count of calls made.
     */
    private long lastCallId;
    /** Encode buffer of requests: used under {@link #sendLock} only, by whichever thread holds it. */
    private final Bytes<?> out = RpcClient.unchecked(Bytes.allocateElasticDirect());
    /**
     * When the oldest request sent by {@link RpcClient#callAsyncBatched} and not yet published was written
     * (nanoTime, never 0), or 0 while none waits: written under {@link #sendLock}, read by any thread as a hint.
     */
    volatile long unpublishedSince;
    private static final java.lang.invoke.VarHandle UNPUBLISHED_SINCE;

    static {
        try {
            UNPUBLISHED_SINCE = java.lang.invoke.MethodHandles.lookup().findVarHandle(RequestSender.class,
                "unpublishedSince", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * An exclusive client's clock for its batch ({@link RpcClient.Context#exclusive}): when the open batch's first
     * request was encoded (nanoTime), the time its later requests' deadlines count from, so that a batched call
     * reads no clock; valid while {@link #unpublishedCount} is above 0.
     */
    private long batchStart;
    /** Requests written and not yet published: guarded by {@link #sendLock}. */
    private int unpublishedCount;

    /**
     * @param client             the client whose requests these are (its receive lock and deadlines made already)
     * @param batchLimit         requests per published batch ({@link RpcClient.Context#batchLimit})
     * @param backgroundReceiver whether the client has a background receiver
     */
    RequestSender(final RpcClient client, final int batchLimit, final boolean backgroundReceiver) {
        this.client = client;
        this.connection = client.connection;
        this.deadlines = client.deadlines;
        this.receiveLock = client.receiveLock;
        this.batchLimit = batchLimit;
        this.backgroundReceiver = backgroundReceiver;
        this.exclusive = client.exclusive;
    }

    /** {@return the id of the last call sent: a racy read (plain), for the statistics} */
    long lastCallId() {
        return lastCallId;
    }

    /**
     * Publishes the requests sent by {@link RpcClient#callAsyncBatched} and not yet published
     * ({@link RpcClient#flush()}): it waits for a thread that is sending meanwhile.
     *
     * @return whether requests were published
     */
    boolean flush() {
        if (unpublishedSince == 0) {
            return false;
        }
        if (exclusive) {
            return flushLocked();   // the owner thread: nobody else sends
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
    void tryFlush() {
        if (exclusive) {
            if (unpublishedSince != 0) {
                flushLocked();   // the owner thread: nobody else sends
            }
        } else if (unpublishedSince != 0 && sendLock.tryLock()) {
            try {
                flushLocked();
            } finally {
                sendLock.unlock();
            }
        }
    }

    private boolean flushLocked() {
        if (unpublishedSince == 0 || client.closed) {
            return false;
        }
        setUnpublishedSince(0);
        unpublishedCount = 0;
        try {
            return connection.flush();
        } catch (final PeerGoneException e) {
            client.failAll(new RpcException(RpcException.Kind.SERVER_GONE, "server of '" + client.service + "' is gone: "
                + e.getMessage()));
        } catch (final DsmException e) {
            client.failAll(new RpcException(RpcException.Kind.SERVER_GONE, "client of '" + client.service + "': the requests"
                + " could not be published: " + e.getMessage()));
        }
        return false;
    }

    /**
     * Encodes and sends a call. {@code timed}: the call carries its deadline, and a receiving thread fails
     * it once that passed (for asynchronous calls; a synchronous caller watches its own deadline). {@code own}: the caller holds
     * the receive lock and will receive the answer itself, so the call is not entered in the table of
     * pending calls, where whichever thread receives an answer finds its call; if the request cannot be
     * placed in the ring at once, the call is entered after all and the lock given up before waiting
     * for room (a thread waiting for room must not keep others from receiving: the server may be
     * waiting for room in this end's ring). {@link PendingCall#own} says which happened.
     *
     * @param p the call's record (an asynchronous call's new one, or the synchronous caller's, reset): its
     *          method set, its id given here
     * @return {@code p}; completed already if the call could not be sent
     */
    @SuppressWarnings("unchecked")
    <Q> PendingCall send(final PendingCall p, final Q argument, final long timeout, final TimeUnit unit,
                         final boolean timed, final boolean own) {
        final RpcMethod<Q, ?> method = (RpcMethod<Q, ?>) p.method;
        p.own = own;
        final RpcException down = client.failure;
        if (client.closed || down != null) {
            client.failCall(p, down != null ? down : new RpcException(RpcException.Kind.NOT_SENT,
                "client of '" + client.service + "' is closed"));
            return p;
        }
        if (!exclusive) {
            sendLock.lock();
        }
        try {
            final long id = lastCallId + 1;   // taken (counted as made) once the request is encoded and fits
            if (client.closed) {   // close() releases the buffer under this lock
                client.failCall(p, new RpcException(RpcException.Kind.NOT_SENT, "client of '" + client.service + "' is closed"));
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
                    client.freeCalls.offer(p);
                }
                throw e;
            }
            if (b.readRemaining() > connection.maxMessage()) {
                client.failCall(p, new RpcException(RpcException.Kind.NOT_SENT, "call of " + method.name()
                    + ": the request is " + b.readRemaining() + " bytes; at most " + connection.maxMessage() + " fit"));
                return p;
            }
            lastCallId = id;
            if (timed) {   // before the call is in the table, where a sweeping thread reads them
                if (exclusive && p.batched) {
                    // an exclusive client's batched call counts its timeout from its batch's first request: one
                    // clock read per batch (this thread is the only sweeper; no other reads the deadline)
                    if (unpublishedCount == 0) {
                        batchStart = System.nanoTime();
                    }
                    CallDeadlines.arm(p, timeout, unit, batchStart);
                } else {
                    CallDeadlines.arm(p, timeout, unit, System.nanoTime());
                }
            }
            // the id after the deadline (a volatile store): a sweeper that reads a reused record's new id reads
            // its new deadline too, never the last call's with the new id (an exclusive client's only sweeper is
            // this thread: a plain store)
            if (exclusive) {
                p.setIdPlain(id);
            } else {
                p.id = id;
            }
            if (!own) {
                client.track(p);
            }
            if (timed) {   // after: a sweeper that reads this deadline finds the call in the table
                deadlines.added(p);
            }
            sendLocked(p, b, timeout, unit);
            return p;
        } finally {
            if (!exclusive) {
                sendLock.unlock();
            }
        }
    }

    /** Sends an encoded request; on failure completes the call (or every call, if the server is gone). */
    private void sendLocked(final PendingCall p, final Bytes<?> b, final long timeout, final TimeUnit unit) {
        final long id = p.id;
        final RpcMethod<?, ?> method = p.method;
        boolean tracked = !p.own;
        try {
            if (p.batched && unpublishedCount + 1 < batchLimit
                && connection.offerBatched(b, b.readPosition(), (int) b.readRemaining())) {
                if (unpublishedCount++ == 0) {
                    setUnpublishedSince((exclusive ? batchStart : System.nanoTime()) | 1);
                    if (backgroundReceiver) {
                        // a background receiver blocked in a long wait takes this batch's age into its next one
                        // (a load when nobody is blocked on this client's unit)
                        connection.unit().events().wakeBlockedWaiters();
                    }
                }
                return;   // published by flush, the next receive or send, a full batch, or a full ring
            }
            // whatever happens next publishes the batch: this request's commit, or a claim that found no room
            setUnpublishedSince(0);
            unpublishedCount = 0;
            if (p.own) {
                if (connection.offer(b, b.readPosition(), (int) b.readRemaining())) {
                    return;
                }
                // the ring is full: enter the call and let other threads receive while this one waits
                client.track(p);
                tracked = true;
                p.own = false;
                receiveLock.unlock();
            }
            if (receiveLock.isHeldByCurrentThread()) {
                // sent from code that runs while this thread receives (a callback, a future's dependent action):
                // waiting for room would keep this thread from draining the answers the server may be waiting
                // to write before it reads further requests
                if (!connection.offer(b, b.readPosition(), (int) b.readRemaining()) && client.take(id) != null) {
                    client.failCall(p, new RpcException(RpcException.Kind.NOT_SENT, "call of " + method.name()
                        + ": the server's ring is full, and this thread receives answers (the call was made from a"
                        + " callback or a future's dependent action), so it cannot wait for room; not sent"));
                }
                return;
            }
            connection.send(b, b.readPosition(), (int) b.readRemaining(), timeout, unit);
        } catch (final SendTimeoutException e) {
            if (!tracked || client.take(id) != null) {
                client.failCall(p, new RpcException(RpcException.Kind.TIMEOUT, "call of " + method.name()
                    + ": the server did not take requests for " + unit.toMillis(timeout) + " ms; not sent"));
            }
        } catch (final PeerGoneException e) {
            client.failAll(new RpcException(RpcException.Kind.SERVER_GONE, "server of '" + client.service + "' is gone: "
                + e.getMessage()));
        } catch (final DsmException e) {
            if (!tracked || client.take(id) != null) {
                client.failCall(p, new RpcException(RpcException.Kind.NOT_SENT, "call of " + method.name()
                    + ": " + e.getMessage()));
            }
        }
    }

    /**
     * Sets {@link #unpublishedSince}: a volatile store, or for an exclusive client, whose owner is its only reader,
     * a plain one (no fence per batch).
     */
    private void setUnpublishedSince(final long nanos) {
        if (exclusive) {
            UNPUBLISHED_SINCE.set(this, nanos);
        } else {
            unpublishedSince = nanos;
        }
    }

    /** Releases the encode buffer, once no thread is sending (the client is closed: none sends after). */
    void release() {
        sendLock.lock();   // an exclusive client: closed by its owner, or once it ended (nobody sends)
        try {
            out.releaseLast();
        } finally {
            sendLock.unlock();
        }
    }
}
