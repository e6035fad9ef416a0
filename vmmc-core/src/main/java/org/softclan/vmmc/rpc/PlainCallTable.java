package org.softclan.vmmc.rpc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * The table of calls in flight of an exclusive client ({@link RpcClient.Context#exclusive}): as
 * {@link PendingCalls}, a call in the slot {@code id & mask} of a fixed array (an older call still holding
 * the slot sends it to an overflow map), but with plain loads and stores, no atomic operation. Used by the
 * client's one owner thread only; another thread may read {@link #size()} racily (the statistics).
 *
 * @param <P> the pending-call record
 */
final class PlainCallTable<P> extends CallTable<P> {
    private final Object[] slots;
    private final int mask;
    private final ToLongFunction<P> idOf;
    private final Map<Long, P> overflow = new HashMap<>();
    /** Calls in the slots: kept so that {@link #size()} does not walk the array. */
    private int inSlots;

    /**
     * @param slots a power of two: how many calls in flight take the fast path
     * @param idOf  the call id of a record
     */
    PlainCallTable(final int slots, final ToLongFunction<P> idOf) {
        if (slots < 1 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("pending-call slots " + slots + " must be a power of two");
        }
        this.slots = new Object[slots];
        this.mask = slots - 1;
        this.idOf = idOf;
    }

    @Override
    void add(final long id, final P call) {
        final int i = (int) (id & mask);
        if (slots[i] == null) {
            slots[i] = call;
            inSlots++;
        } else {
            overflow.put(id, call);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    P remove(final long id) {
        final int i = (int) (id & mask);
        final P p = (P) slots[i];
        if (p != null && idOf.applyAsLong(p) == id) {
            slots[i] = null;
            inSlots--;
            return p;
        }
        return overflow.isEmpty() ? null : overflow.remove(id);
    }

    @Override
    int size() {
        return inSlots + overflow.size();
    }

    @Override
    @SuppressWarnings("unchecked")
    void forEach(final Consumer<P> visit) {
        for (int i = 0; i < slots.length; i++) {
            final P p = (P) slots[i];
            if (p != null) {
                visit.accept(p);
            }
        }
        if (!overflow.isEmpty()) {
            new ArrayList<>(overflow.values()).forEach(visit);   // the visitor may remove the call it is given
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    List<P> drain() {
        final List<P> all = new ArrayList<>();
        for (int i = 0; i < slots.length; i++) {
            final P p = (P) slots[i];
            if (p != null) {
                slots[i] = null;
                all.add(p);
            }
        }
        inSlots = 0;
        all.addAll(overflow.values());
        overflow.clear();
        return all;
    }
}
