package org.softclan.vmmc.rpc;

import java.util.function.Function;

/**
 * An {@link RpcServer}'s handlers by method id: open addressing with linear probing, at most half full,
 * immutable (a registration makes a new table), so the dispatching thread reads it without a lock and
 * without boxing the id.
 */
final class HandlerTable {
    /** A method and the function that serves it. */
    record Handler<Q, R>(RpcMethod<Q, R> method, Function<Q, R> body) {
    }

    static final HandlerTable EMPTY = new HandlerTable(new Handler<?, ?>[2]);

    private final Handler<?, ?>[] table;

    private HandlerTable(final Handler<?, ?>[] table) {
        this.table = table;
    }

    private static int slotOf(final int methodId, final int mask) {
        return (methodId * 0x9E3779B9) >>> 16 & mask;
    }

    /** @return the handler of a method id, or {@code null} */
    Handler<?, ?> get(final int methodId) {
        final int mask = table.length - 1;
        for (int i = slotOf(methodId, mask); ; i = (i + 1) & mask) {
            final Handler<?, ?> h = table[i];
            if (h == null || h.method().id() == methodId) {
                return h;
            }
        }
    }

    /** @return a table with these handlers and one more (the caller checks the id is new) */
    <Q, R> HandlerTable with(final RpcMethod<Q, R> method, final Function<Q, R> body) {
        int count = 1;
        for (final Handler<?, ?> h : table) {
            count += h == null ? 0 : 1;
        }
        final Handler<?, ?>[] bigger = new Handler<?, ?>[Integer.highestOneBit(count * 2 + 1) << 1];
        for (final Handler<?, ?> h : table) {
            if (h != null) {
                place(bigger, h);
            }
        }
        place(bigger, new Handler<>(method, body));
        return new HandlerTable(bigger);
    }

    private static void place(final Handler<?, ?>[] into, final Handler<?, ?> h) {
        final int mask = into.length - 1;
        int i = slotOf(h.method().id(), mask);
        while (into[i] != null) {
            i = (i + 1) & mask;
        }
        into[i] = h;
    }
}
