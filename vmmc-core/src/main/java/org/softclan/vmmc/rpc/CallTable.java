package org.softclan.vmmc.rpc;

import java.util.List;
import java.util.function.Consumer;

/**
 * The calls a client has sent and not yet seen answered, keyed by call id: {@link PendingCalls}, for any
 * number of threads, or {@link PlainCallTable}, for an exclusive client's one thread
 * ({@link RpcClient.Context#exclusive}).
 *
 * @param <P> the pending-call record
 */
abstract class CallTable<P> {
    /** Adds a call; its id must not be in flight already. */
    abstract void add(long id, P call);

    /** @return the call with this id, removed, or {@code null} if it is not in flight (answered or expired) */
    abstract P remove(long id);

    /** @return calls in flight */
    abstract int size();

    /**
     * Visits every call in flight, without removing any (the visitor may remove the one it is given). No
     * allocation while no call has overflowed.
     */
    abstract void forEach(Consumer<P> visit);

    /** Removes every call in flight and returns them, each exactly once. */
    abstract List<P> drain();
}
