package org.softclan.bench.peers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.agrona.CloseHelper;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.rpc.Codecs;
import org.softclan.vmmc.rpc.RpcClient;
import org.softclan.vmmc.rpc.RpcMethod;
import org.softclan.vmmc.rpc.RpcServer;

/**
 * {@code rpc}: a synchronous {@link RpcClient#call} of an echo method whose argument and result are the
 * payload ({@link Codecs#BYTES}): the null call of the RPC layer, plus the payload. The echo JVM runs an
 * {@link RpcServer} with the handler on its polling thread ({@code workers(0)}); the server's poller and
 * the calling thread wait with {@link WaitStrategy#busySpin()} (the client's background receiver keeps
 * its default, {@link WaitStrategy#competitive()}, and is idle while a caller waits). The handler checks
 * the payload's stamps and returns the decoded copy.
 *
 * <p>{@code rpc-competitive} is the same with the library's default strategy for the server's poller and
 * the calling thread, {@link WaitStrategy#competitive()} (spin about 10 µs, then block on a futex): what
 * an RPC costs as the library is configured out of the box. {@link Transports#more()}: run only when
 * named.
 */
final class RpcTransport extends PeerTransport {
    static final String SERVICE = "peers-rpc";
    static final RpcMethod<byte[], byte[]> ECHO = RpcMethod.of(1, "echo", Codecs.BYTES, Codecs.BYTES);

    private final boolean competitive;

    RpcTransport(final boolean competitive) {
        super(competitive ? "rpc-competitive" : "rpc", "vmmc RpcClient.call of an echo method (payload in and out), "
            + (competitive ? "WaitStrategy.competitive() waits (the default)" : "busy-spin waits"), competitive, false);
        this.competitive = competitive;
    }

    @Override
    protected Link link(final int size, final boolean client) {
        return new RpcLink(size, strategy());
    }

    private WaitStrategy strategy() {
        return competitive ? WaitStrategy.competitive() : WaitStrategy.busySpin();
    }

    /** One side of a round trip: the client calls, the echo side serves; both override the message loop. */
    static final class RpcLink extends Link {
        private final WaitStrategy strategy;
        private final Payload.Sequence sequence = new Payload.Sequence();
        private RpcClient client;
        private RpcServer server;

        RpcLink(final int size, final WaitStrategy strategy) {
            super("rpc", size, false);
            this.strategy = strategy;
        }

        @Override
        public Map<String, String> prepare() {
            return createFabric();
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            client = RpcClient.connect(endpoint, SERVICE, new RpcClient.Context().waitStrategy(strategy), 30,
                TimeUnit.SECONDS);
        }

        @Override
        public void roundTrip(final long seq, final long timeoutNanos) {
            Payload.stamp(message, size, seq);
            final byte[] response = client.call(ECHO, message.array(), timeoutNanos, TimeUnit.NANOSECONDS);
            if (response == null || response.length != size) {
                throw new IllegalStateException("rpc: response of " + (response == null ? "null" : response.length
                    + " bytes") + ", expected " + size + " bytes");
            }
            Payload.expect(ByteBuffer.wrap(response).order(ByteOrder.LITTLE_ENDIAN), size, seq);
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            attachFabric(clientParams);
            server = RpcServer.create(endpoint, SERVICE, new RpcServer.Context().workers(0)
                .waitStrategy(strategy)).handle(ECHO, this::echo).start();
            return Map.of();
        }

        private byte[] echo(final byte[] request) {
            if (request == null || request.length != size) {
                throw new IllegalStateException("echo: request of " + (request == null ? "null" : request.length
                    + " bytes") + ", expected " + size);
            }
            sequence.next(Payload.check(ByteBuffer.wrap(request).order(ByteOrder.LITTLE_ENDIAN), size));
            return request;
        }

        @Override
        public long run(final BooleanSupplier stop) {
            while (!stop.getAsBoolean()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            server.close();   // joins the polling thread, which ran the handler: its count is visible after
            server = null;
            return sequence.count();
        }

        @Override
        public void disconnect() {
            CloseHelper.closeAll(client, server);
            client = null;
            server = null;
        }
    }
}
