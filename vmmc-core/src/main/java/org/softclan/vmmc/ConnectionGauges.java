package org.softclan.vmmc;

import org.agrona.concurrent.status.AtomicCounter;
import org.softclan.dsm.stat.EndpointStats;
import org.softclan.dsm.stat.StatTypes;

/**
 * A connection's counters in its endpoint's statistics file ({@code vmmc stat}): set by the publisher from
 * the connection's own positions and counts, so sending and receiving pay nothing beyond a plain add per
 * poll that handed messages and per wait. The fields are read racily (plain loads of the roles' threads'
 * fields): a figure may be one publication behind, never torn on a 64-bit JVM.
 */
final class ConnectionGauges {
    private final Connection connection;
    private final AtomicCounter sent;
    private final AtomicCounter received;
    private final AtomicCounter messagesIn;
    private final AtomicCounter inFlight;
    private final AtomicCounter roomWaits;
    private final AtomicCounter dataWaits;
    private final AtomicCounter state;
    private final AutoCloseable task;

    ConnectionGauges(final Connection connection, final EndpointStats stats, final String name) {
        this.connection = connection;
        final String of = ", connection " + name;
        sent = stats.counter("ring bytes sent (records and padding)" + of, StatTypes.CONNECTION_BYTES_SENT);
        received = stats.counter("ring bytes received (records and padding)" + of, StatTypes.CONNECTION_BYTES_RECEIVED);
        messagesIn = stats.counter("messages received" + of, StatTypes.CONNECTION_MESSAGES_RECEIVED);
        inFlight = stats.counter("bytes sent and not yet read by the peer" + of, StatTypes.CONNECTION_IN_FLIGHT);
        roomWaits = stats.counter("sends that waited for room" + of, StatTypes.CONNECTION_ROOM_WAITS);
        dataWaits = stats.counter("receives that waited for data" + of, StatTypes.CONNECTION_DATA_WAITS);
        state = stats.counter("state (0 open, 1 closed, 2 broken by the peer)" + of, StatTypes.CONNECTION_STATE);
        task = stats.beforePublish(this::update);
    }

    private void update() {
        sent.setRelease(connection.senderPosition());
        received.setRelease(connection.receiverPosition());
        messagesIn.setRelease(connection.receivedCount());
        inFlight.setRelease(connection.senderInFlight());
        roomWaits.setRelease(connection.roomWaits());
        dataWaits.setRelease(connection.dataWaits);
        state.setRelease(connection.violation != null ? 2 : connection.isClosed() ? 1 : 0);
    }

    /** Removes the counters (the connection's memory is released). Idempotent. */
    void close() {
        try {
            task.close();
        } catch (final Exception e) {
            // a removal from a list: cannot fail
        }
        sent.close();
        received.close();
        messagesIn.close();
        inFlight.close();
        roomWaits.close();
        dataWaits.close();
        state.close();
    }
}
