package org.softclan.bench.peers;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import net.openhft.chronicle.bytes.BytesStore;
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
final class QueueTransport implements PeerTransport {
    static final String SERVICE = "peers-echo";
    private static final int RING = 1 << 20;

    @Override
    public String name() {
        return "queue";
    }

    @Override
    public String description() {
        return "vmmc Connection message queue, send + receive, WaitStrategy.busySpin()";
    }

    @Override
    public boolean slow() {
        return false;
    }

    static ConnectionContext context() {
        return new ConnectionContext().ringCapacity(RING).waitStrategy(WaitStrategy.busySpin());
    }

    @Override
    public Client client(final int size) {
        return new QueueClient(size);
    }

    @Override
    public Echo echo(final int size) {
        return new QueueEcho(size);
    }

    /** Copies a received message into an array and remembers its length. */
    static final class Copy implements MessageHandler {
        final byte[] bytes;
        int length;

        Copy(final int size) {
            this.bytes = new byte[size];
        }

        @Override
        public void onMessage(final BytesStore<?, ?> buffer, final long offset, final int len) {
            if (len != bytes.length) {
                throw new IllegalStateException("message of " + len + " bytes, expected " + bytes.length);
            }
            buffer.read(offset, bytes, 0, len);
            this.length = len;
        }
    }

    static final class QueueClient extends FabricClient {
        private final int size;
        private final byte[] request;
        private final Copy response;
        private Connection connection;

        QueueClient(final int size) {
            this.size = size;
            this.request = Payload.filled(size);
            this.response = new Copy(size);
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            connection = Vmmc.connect(endpoint, SERVICE, context(), 30, TimeUnit.SECONDS);
        }

        @Override
        public void roundTrip(final long seq, final long timeoutNanos) {
            Payload.stamp(request, size, seq);
            connection.send(request, 0, size, timeoutNanos, TimeUnit.NANOSECONDS);
            if (connection.receive(response, 1, timeoutNanos, TimeUnit.NANOSECONDS) != 1) {
                throw new IllegalStateException("queue: round trip " + seq + " got no answer within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            }
            Payload.expect(response.bytes, size, seq);
        }

        @Override
        public void disconnect() {
            if (connection != null) {
                connection.close();
                connection = null;
            }
        }
    }

    static final class QueueEcho extends FabricEcho {
        private final int size;
        private final Copy request;
        private Listener listener;
        private Connection connection;

        QueueEcho(final int size) {
            this.size = size;
            this.request = new Copy(size);
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            attach(clientParams);
            listener = Vmmc.listen(endpoint, SERVICE, context());
            return Map.of();
        }

        @Override
        public long run(final BooleanSupplier stop) {
            while (connection == null) {
                if (stop.getAsBoolean()) {
                    return 0;
                }
                connection = listener.accept(100, TimeUnit.MILLISECONDS);
            }
            final Payload.Sequence sequence = new Payload.Sequence();
            try {
                while (!stop.getAsBoolean()) {
                    if (connection.receive(request, 1, 100, TimeUnit.MILLISECONDS) == 0) {
                        continue;
                    }
                    sequence.next(Payload.check(request.bytes, size));
                    connection.send(request.bytes, 0, size, 10, TimeUnit.SECONDS);
                }
            } catch (final PeerGoneException clientClosed) {
                // the client closed its end: the run is over
            }
            return sequence.count();
        }

        @Override
        public void close() {
            if (connection != null) {
                connection.close();
            }
            if (listener != null) {
                listener.close();
            }
            detach();
        }
    }
}
