package org.softclan.bench.peers;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import net.openhft.chronicle.bytes.BytesStore;
import org.agrona.CloseHelper;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Listener;
import org.softclan.vmmc.MessageHandler;
import org.softclan.vmmc.PeerGoneException;
import org.softclan.vmmc.Vmmc;

/**
 * {@code queue}: the library's message queue. The echo side {@link Vmmc#listen}s on a service in a
 * temporary fabric the client created; the client {@link Vmmc#connect}s. Both ends use
 * {@link WaitStrategy#busySpin()} ({@link ConnectionContext#waitStrategy}) and the default
 * {@link Connection.Mode#WAKE}. A round trip is {@link Connection#send(byte[], long, TimeUnit)} then
 * {@link Connection#receive} (the handler copies the message out of the ring); the echo side receives
 * the same way and sends its copy back.
 */
final class QueueTransport extends PeerTransport {
    static final String SERVICE = "peers-echo";
    private static final int RING = 1 << 20;

    QueueTransport() {
        super("queue", "vmmc Connection message queue, send + receive, WaitStrategy.busySpin()", false, false);
    }

    static ConnectionContext context() {
        return new ConnectionContext().ringCapacity(RING).waitStrategy(WaitStrategy.busySpin());
    }

    @Override
    protected Link link(final int size, final boolean client) {
        return new QueueLink(size);
    }

    /**
     * One side of a round trip: the client connects, the echo side listens and accepts; a send is
     * {@link Connection#send(byte[], int, int, long, TimeUnit)} of the message, a receive copies the
     * message out of the ring into the message buffer's array.
     */
    static final class QueueLink extends Link implements MessageHandler {
        private Listener listener;
        private Connection connection;

        QueueLink(final int size) {
            super("queue", size, false);
        }

        @Override
        public void onMessage(final BytesStore<?, ?> buffer, final long offset, final int len) {
            if (len != size) {
                throw new IllegalStateException("message of " + len + " bytes, expected " + size);
            }
            buffer.read(offset, message.array(), 0, len);
        }

        @Override
        public Map<String, String> prepare() {
            return createFabric();
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            connection = Vmmc.connect(endpoint, SERVICE, context(), 30, TimeUnit.SECONDS);
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            attachFabric(clientParams);
            listener = Vmmc.listen(endpoint, SERVICE, context());
            return Map.of();
        }

        @Override
        protected boolean accept(final BooleanSupplier stop) {
            while (connection == null) {
                if (stop.getAsBoolean()) {
                    return false;
                }
                connection = listener.accept(100, TimeUnit.MILLISECONDS);
            }
            return true;
        }

        @Override
        protected void send(final long seq) {
            connection.send(message.array(), 0, size, SEND_TIMEOUT_NANOS, TimeUnit.NANOSECONDS);
        }

        @Override
        protected boolean receive(final long timeoutNanos) {
            return connection.receive(this, 1, timeoutNanos, TimeUnit.NANOSECONDS) == 1;
        }

        @Override
        protected boolean peerGone(final Exception e) {
            return e instanceof PeerGoneException;
        }

        @Override
        public void disconnect() {
            CloseHelper.closeAll(connection, listener);
            connection = null;
            listener = null;
        }
    }
}
