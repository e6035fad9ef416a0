package org.softclan.vmmc;

import org.agrona.concurrent.status.AtomicCounter;
import org.softclan.dsm.stat.CounterGroup;
import org.softclan.dsm.stat.EndpointStats;
import org.softclan.dsm.stat.StatTypes;

/**
 * A connection's counters in its endpoint's statistics file ({@code vmmc stat}): set by the publisher from
 * the connection's own positions and counts, so sending and receiving pay nothing beyond a plain add per
 * poll that handed messages and per wait. The fields are read racily (plain loads of the roles' threads'
 * fields): a figure may be one publication behind, never torn on a 64-bit JVM.
 */
final class ConnectionGauges {
    private final CounterGroup group;

    ConnectionGauges(final Connection connection, final RingSender sender, final RingReceiver receiver,
        final EndpointStats stats, final String name) {
        final String of = ", connection " + name;
        group = new CounterGroup(stats);
        final AtomicCounter sent = group.counter("ring bytes sent (records and padding)" + of, StatTypes.CONNECTION_BYTES_SENT);
        final AtomicCounter received = group.counter("ring bytes received (records and padding)" + of,
            StatTypes.CONNECTION_BYTES_RECEIVED);
        final AtomicCounter messagesIn = group.counter("messages received" + of, StatTypes.CONNECTION_MESSAGES_RECEIVED);
        final AtomicCounter inFlight = group.counter("bytes sent, not yet seen read by the peer (at most)" + of,
            StatTypes.CONNECTION_IN_FLIGHT);
        final AtomicCounter roomWaits = group.counter("sends that waited for room" + of, StatTypes.CONNECTION_ROOM_WAITS);
        final AtomicCounter dataWaits = group.counter("receives that waited for data" + of, StatTypes.CONNECTION_DATA_WAITS);
        final AtomicCounter state = group.counter("state (0 open, 1 closed, 2 broken by the peer)" + of,
            StatTypes.CONNECTION_STATE);
        group.beforePublish(() -> {
            sent.setRelease(sender.position());
            received.setRelease(receiver.readPos);
            messagesIn.setRelease(receiver.received);
            inFlight.setRelease(sender.inFlight());
            roomWaits.setRelease(sender.roomWaits);
            dataWaits.setRelease(receiver.dataWaits);
            state.setRelease(connection.violation != null ? 2 : connection.isClosed() ? 1 : 0);
        });
    }

    /** Removes the counters (the connection's memory is released). Idempotent. */
    void close() {
        group.close();
    }
}
