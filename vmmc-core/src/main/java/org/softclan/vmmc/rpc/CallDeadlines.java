package org.softclan.vmmc.rpc;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongBinaryOperator;

/**
 * The deadlines of an {@link RpcClient}'s calls, kept with no timer thread: an asynchronous call's deadline
 * is kept in its record, and whichever thread receives (a caller, a thread in {@code poll}/{@code receive},
 * or the background receiver, which wakes by the earliest deadline, {@link #untilNext}) fails the calls
 * whose deadline passed ({@link #sweepExpired}), at most about {@value RpcClient#SWEEP_MICROS} us late while
 * a thread receives. A synchronous caller keeps its own deadline, and fails its call itself
 * ({@link #expire}, {@link #timedOut}).
 *
 * <p>Memory order: {@link #nextDeadline} is a hint that is never late, lowered by an atomic update and reset
 * by a sweep with {@code getAndSet}; a call's deadline is written before its id (a volatile store), so a
 * sweeper that reads a reused record's new id reads its new deadline too.
 */
final class CallDeadlines {
    /** {@link #nextDeadline} when no asynchronous call has a deadline. */
    private static final long NO_DEADLINE = Long.MAX_VALUE;
    /** The longest timeout kept (ns, about 73 years): deadlines stay comparable by subtraction. */
    private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE >> 2;
    /** The earlier of two deadlines, by subtraction (nanoTime wraps), {@link #NO_DEADLINE} counting as none. */
    private static final LongBinaryOperator EARLIER = (a, b) ->
        a == NO_DEADLINE ? b : b == NO_DEADLINE ? a : b - a < 0 ? b : a;
    /** A receiving thread checks deadlines at most this often ({@link RpcClient#SWEEP_MICROS}). */
    private static final long SWEEP_NANOS = TimeUnit.MICROSECONDS.toNanos(RpcClient.SWEEP_MICROS);

    private final RpcClient client;
    private final CallTable<PendingCall> pending;
    /** The earliest deadline of an asynchronous call in flight (nanoTime), or Long.MAX_VALUE: a hint, never late. */
    private final AtomicLong nextDeadline = new AtomicLong(NO_DEADLINE);
    /** When calls were last checked for their deadlines (nanoTime); racy, a hint. */
    private volatile long lastSweep = System.nanoTime() - SWEEP_NANOS;

    private final Consumer<PendingCall> sweeper = p -> {
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

    /** @param client the client whose calls' deadlines these are (its table of pending calls is made already) */
    CallDeadlines(final RpcClient client) {
        this.client = client;
        this.pending = client.pending;
    }

    /**
     * Gives a call its timeout and deadline, counted from {@code now}: before the call is in the table, where a
     * sweeping thread reads them, and before its id is written (see {@link #added}).
     *
     * @param now when the timeout starts (nanoTime): now, or an exclusive client's batch's start
     */
    static void arm(final PendingCall p, final long timeout, final TimeUnit unit, final long now) {
        p.timeoutNanos = Math.min(MAX_TIMEOUT_NANOS, Math.max(1, unit.toNanos(timeout)));
        p.deadline = now + p.timeoutNanos;
    }

    /**
     * Lowers the hint of the earliest deadline to a call's, if it is earlier: after the call is in the table, so
     * that a sweeper that reads this deadline finds the call there. Read first: with one timeout for every call, a
     * later call's deadline is later, and no atomic update is needed (a sweeper that resets the hint after this
     * read visits the table after it, and finds this call there).
     */
    void added(final PendingCall p) {
        final long earliest = nextDeadline.get();
        if (earliest == NO_DEADLINE || p.deadline - earliest < 0) {
            nextDeadline.accumulateAndGet(p.deadline, EARLIER);
        }
    }

    /**
     * Fails the asynchronous calls whose deadline passed, if any call has a deadline: no clock read on the call
     * path unless a deadline waits.
     */
    void sweep() {
        if (nextDeadline.get() != NO_DEADLINE) {
            sweepExpired(System.nanoTime());
        }
    }

    /**
     * Fails the asynchronous calls whose deadline passed (unless answered meanwhile), at most every
     * {@value RpcClient#SWEEP_MICROS} us and only when a deadline may have passed. Any thread; no allocation.
     */
    void sweepExpired(final long now) {
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
    long untilNext(final long now) {
        final long next = nextDeadline.get();
        return next == NO_DEADLINE ? Long.MAX_VALUE : Math.max(0, next - now) + 1;
    }

    /** Fails a call whose deadline passed, unless its answer was taken meanwhile. */
    void expire(final PendingCall p, final long timeoutNanos) {
        if (client.take(p.id) != null) {
            client.failCall(p, timedOut(p, timeoutNanos));
        }
    }

    /**
     * Fails the call {@code id} (its deadline passed), unless it was answered meanwhile. By id, read before
     * its record's deadline: a pooled record may be completed and reused for a later call while a sweeper
     * looks at it, and the later call's id is not this one.
     */
    private void expireId(final long id) {
        final PendingCall p = client.take(id);
        if (p != null) {
            client.failCall(p, timedOut(p, p.timeoutNanos));
        }
    }

    /** {@return the failure of a call that got no answer within {@code timeoutNanos}} */
    RpcException timedOut(final PendingCall p, final long timeoutNanos) {
        return new RpcException(RpcException.Kind.TIMEOUT, "call of " + p.method.name() + " on '" + client.service
            + "' got no answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
    }
}
