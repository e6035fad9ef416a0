package org.softclan.bench.peers;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

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
final class RpcTransport implements PeerTransport {
    static final String SERVICE = "peers-rpc";
    static final RpcMethod<byte[], byte[]> ECHO = RpcMethod.of(1, "echo", Codecs.BYTES, Codecs.BYTES);

    private final boolean competitive;

    RpcTransport(final boolean competitive) {
        this.competitive = competitive;
    }

    @Override
    public String name() {
        return competitive ? "rpc-competitive" : "rpc";
    }

    @Override
    public String description() {
        return "vmmc RpcClient.call of an echo method (payload in and out), "
            + (competitive ? "WaitStrategy.competitive() waits (the default)" : "busy-spin waits");
    }

    private WaitStrategy strategy() {
        return competitive ? WaitStrategy.competitive() : WaitStrategy.busySpin();
    }

    @Override
    public boolean slow() {
        return competitive;
    }

    @Override
    public Client client(final int size) {
        return new RpcEchoClient(size, strategy());
    }

    @Override
    public Echo echo(final int size) {
        return new RpcEcho(size, strategy());
    }

    static final class RpcEchoClient extends FabricClient {
        private final int size;
        private final WaitStrategy strategy;
        private final byte[] request;
        private RpcClient client;

        RpcEchoClient(final int size, final WaitStrategy strategy) {
            this.size = size;
            this.strategy = strategy;
            this.request = Payload.filled(size);
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            client = RpcClient.connect(endpoint, SERVICE, new RpcClient.Context().waitStrategy(strategy), 30,
                TimeUnit.SECONDS);
        }

        @Override
        public void roundTrip(final long seq, final long timeoutNanos) {
            Payload.stamp(request, size, seq);
            final byte[] response = client.call(ECHO, request, timeoutNanos, TimeUnit.NANOSECONDS);
            if (response == null || response.length != size) {
                throw new IllegalStateException("rpc: response of " + (response == null ? "null" : response.length
                    + " bytes") + ", expected " + size + " bytes");
            }
            Payload.expect(response, size, seq);
        }

        @Override
        public void disconnect() {
            if (client != null) {
                client.close();
                client = null;
            }
        }
    }

    static final class RpcEcho extends FabricEcho {
        private final int size;
        private final WaitStrategy strategy;
        private final Payload.Sequence sequence = new Payload.Sequence();
        private RpcServer server;

        RpcEcho(final int size, final WaitStrategy strategy) {
            this.size = size;
            this.strategy = strategy;
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            attach(clientParams);
            server = RpcServer.create(endpoint, SERVICE, new RpcServer.Context().workers(0)
                .waitStrategy(strategy)).handle(ECHO, this::echo).start();
            return Map.of();
        }

        private byte[] echo(final byte[] request) {
            if (request == null || request.length != size) {
                throw new IllegalStateException("echo: request of " + (request == null ? "null" : request.length
                    + " bytes") + ", expected " + size);
            }
            sequence.next(Payload.check(request, size));
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
        public void close() {
            if (server != null) {
                server.close();
            }
            detach();
        }
    }
}
