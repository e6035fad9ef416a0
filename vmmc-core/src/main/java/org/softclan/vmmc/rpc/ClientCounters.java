package org.softclan.vmmc.rpc;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import org.agrona.concurrent.status.AtomicCounter;
import org.softclan.dsm.stat.CounterGroup;
import org.softclan.dsm.stat.StatTypes;
import org.softclan.vmmc.Connection;

/**
 * An {@link RpcClient}'s counters in its endpoint's statistics file (vmmc stat): calls made, calls in flight,
 * and calls failed by {@link RpcException.Kind}. Nothing is counted on the call path: the publisher copies the
 * calls made and in flight when it publishes, and a failure costs an atomic add on the failure path only.
 */
final class ClientCounters {
    /** Counters in the endpoint's statistics file (vmmc stat): calls made and in flight are set by the publisher. */
    private final CounterGroup statistics;
    /**
     * Calls failed, by {@link RpcException.Kind} (ordinal): counted on the failure paths only, here (not in
     * the statistics' counters, which are freed when the client closes while calls on it still fail), and
     * copied into the counters by the publisher.
     */
    private final AtomicLongArray failures = new AtomicLongArray(RpcException.Kind.values().length);

    /**
     * Adds the client's counters to its endpoint's statistics.
     *
     * @param service    the service the client calls, for the counters' labels
     * @param connection the client's connection
     * @param callsMade  the id of the last call sent (a racy read of the senders' count)
     * @param inFlight   the calls in flight
     */
    ClientCounters(final String service, final Connection connection, final LongSupplier callsMade,
                   final IntSupplier inFlight) {
        final String of = ", RPC client of '" + service + "', " + connection.name();
        this.statistics = new CounterGroup(connection.inbound().endpoint().stats());
        final AtomicCounter callsGauge = statistics.counter("calls made" + of, StatTypes.RPC_CALLS);
        final AtomicCounter inFlightGauge = statistics.counter("calls in flight" + of, StatTypes.RPC_IN_FLIGHT);
        final AtomicCounter[] failed = new AtomicCounter[RpcException.Kind.values().length];
        for (final RpcException.Kind k : RpcException.Kind.values()) {
            failed[k.ordinal()] = k == RpcException.Kind.TIMEOUT
                ? statistics.counter("calls that got no answer in time" + of, StatTypes.RPC_TIMEOUTS)
                : statistics.counter("calls failed: " + k.name() + of, StatTypes.RPC_FAILURES);
        }
        statistics.beforePublish(() -> {
            callsGauge.setRelease(callsMade.getAsLong());   // racy read of the senders' count: a publication behind at worst
            inFlightGauge.setRelease(inFlight.getAsInt());
            for (int k = 0; k < failed.length; k++) {
                failed[k].setRelease(failures.get(k));
            }
        });
    }

    /** Counts a failed call by its failure's kind (an atomic add: any thread, failure paths only). */
    void failed(final RpcException.Kind kind) {
        failures.incrementAndGet(kind.ordinal());
    }

    /** Removes the publisher's task and frees the counters: idempotent, also when closes race. */
    void close() {
        statistics.close();
    }
}
