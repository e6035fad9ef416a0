package org.softclan.vmmc.rpc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToLongFunction;

/**
 * The calls a client has sent and not yet seen answered, keyed by call id. Call ids are consecutive,
 * so a call normally lives in the slot {@code id & mask} of a fixed array: adding and removing it is
 * one atomic operation on that slot, with no boxing and no allocation. A call whose slot is still held
 * by an older call (more than {@code slots} calls in flight) goes to an overflow map instead.
 *
 * <p>Thread-safe: any thread may add, remove or drain.
 *
 * @param <P> the pending-call record
 */
final class PendingCalls<P> extends CallTable<P> {
    private final AtomicReferenceArray<P> slots;
    private final int mask;
    private final ToLongFunction<P> idOf;
    private final Map<Long, P> overflow = new ConcurrentHashMap<>();
    private final AtomicInteger overflowed = new AtomicInteger();

    /**
     * @param slots a power of two: how many calls in flight take the fast path
     * @param idOf  the call id of a record
     */
    PendingCalls(final int slots, final ToLongFunction<P> idOf) {
        if (slots < 1 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("pending-call slots " + slots + " must be a power of two");
        }
        this.slots = new AtomicReferenceArray<>(slots);
        this.mask = slots - 1;
        this.idOf = idOf;
    }

    /** Adds a call; its id must not be in flight already. */
    @Override
    void add(final long id, final P call) {
        if (!slots.compareAndSet((int) (id & mask), null, call)) {
            overflowed.incrementAndGet();
            overflow.put(id, call);
        }
    }

    /**
     * @return the call with this id, removed, or {@code null} if it is not in flight (answered or expired).
     *         Records may be reused for later calls (a client pools them): one completed and reused for a later
     *         call in the same slot between this method's look and its compare-and-set is not this call, and goes
     *         back (the id is read again after the set).
     */
    @Override
    P remove(final long id) {
        final int i = (int) (id & mask);
        final P p = slots.get(i);
        if (p != null && idOf.applyAsLong(p) == id) {
            if (!slots.compareAndSet(i, p, null)) {
                return null;
            }
            final long now = idOf.applyAsLong(p);
            if (now == id) {
                return p;
            }
            if (!slots.compareAndSet(i, null, p)) {   // another call took the slot meanwhile: the overflow keeps it
                overflowed.incrementAndGet();
                overflow.put(now, p);
            }
            return null;
        }
        if (overflowed.get() == 0) {
            return null;
        }
        final P q = overflow.remove(id);
        if (q != null) {
            overflowed.decrementAndGet();
        }
        return q;
    }

    /** @return calls in flight */
    @Override
    int size() {
        int n = overflowed.get();
        for (int i = 0; i < slots.length(); i++) {
            if (slots.get(i) != null) {
                n++;
            }
        }
        return n;
    }

    /**
     * Visits every call in flight, without removing any (a call added or removed meanwhile may or may not be
     * visited). No allocation while no call has overflowed.
     */
    @Override
    void forEach(final java.util.function.Consumer<P> visit) {
        for (int i = 0; i < slots.length(); i++) {
            final P p = slots.get(i);
            if (p != null) {
                visit.accept(p);
            }
        }
        if (overflowed.get() != 0) {
            overflow.values().forEach(visit);
        }
    }

    /** Removes every call in flight and returns them (each exactly once, even with concurrent removers). */
    @Override
    List<P> drain() {
        final List<P> all = new ArrayList<>();
        for (int i = 0; i < slots.length(); i++) {
            final P p = slots.getAndSet(i, null);
            if (p != null) {
                all.add(p);
            }
        }
        for (final Long id : overflow.keySet()) {
            final P p = overflow.remove(id);
            if (p != null) {
                overflowed.decrementAndGet();
                all.add(p);
            }
        }
        return all;
    }
}
