package org.softclan.jmh;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.BytesStore;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Listener;
import org.softclan.vmmc.MessageHandler;
import org.softclan.vmmc.Vmmc;

/**
 * The message queue of a {@link Connection} in one process: two endpoints of a temporary fabric, a
 * connection between them (1 MiB rings, busy-spin waits), messages of {@code size} bytes.
 *
 * <ul>
 *   <li>{@code offerPoll} (average time): one thread {@link Connection#offer}s a message at the client
 *       end and {@link Connection#poll}s it at the server end: the cost of one message through the
 *       queue with no waiting and a warm cache (both ends' state in one core's cache).</li>
 *   <li>{@code pipe} (throughput, a group of two threads): one thread offers (one attempt per call,
 *       failing while the ring is full), the other polls up to 64 messages at a time; {@code pipe:sent}
 *       is messages sent and {@code pipe:messages} messages received per microsecond ({@code pipe:offer}
 *       and {@code pipe:poll} count calls, failed and empty ones included, and {@code pipe} adds them:
 *       ignore those three). On two busy CPUs expect noise.</li>
 * </ul>
 *
 * <pre>
 * java -jar jmh/target/jmh.jar QueueBenchmark -rf json -rff target/jmh-queue.json
 * </pre>
 */
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(1)
public class QueueBenchmark {
    /** A connected pair of ends in one process. */
    @State(Scope.Benchmark)
    public static class Pair {
        @Param({"16", "256", "4096"})
        int size;

        Fabric fabric;
        Endpoint serverEp;
        Endpoint clientEp;
        Listener listener;
        Connection server;
        Connection client;
        byte[] message;
        long received;
        long receivedBytes;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            fabric = Fabric.createTemporary();
            serverEp = fabric.openEndpoint("queue-server");
            clientEp = fabric.openEndpoint("queue-client");
            final ConnectionContext ctx = new ConnectionContext().ringCapacity(1 << 20)
                .waitStrategy(WaitStrategy.busySpin());
            listener = Vmmc.listen(serverEp, "queue", ctx);
            final CompletableFuture<Connection> accepted = CompletableFuture.supplyAsync(
                () -> listener.accept(10, TimeUnit.SECONDS));
            client = Vmmc.connect(clientEp, "queue", ctx, 10, TimeUnit.SECONDS);
            server = accepted.get(10, TimeUnit.SECONDS);
            if (server == null) {
                throw new IllegalStateException("the server end was not accepted");
            }
            message = new byte[size];
            for (int i = 0; i < size; i++) {
                message[i] = (byte) i;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            client.close();
            server.close();
            listener.close();
            clientEp.close();
            serverEp.close();
            fabric.close();
        }
    }

    /** The consumer's handler, per thread: reads the message's last byte so the read is not dead. */
    @State(Scope.Thread)
    public static class Sink {
        Blackhole hole;
        final MessageHandler handler = this::onMessage;

        @Setup(Level.Iteration)
        public void setUp(final Blackhole bh) {
            this.hole = bh;
        }

        private void onMessage(final BytesStore<?, ?> buffer, final long offset, final int length) {
            hole.consume(buffer.readByte(offset + length - 1));
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public int offerPoll(final Pair p, final Sink sink) {
        if (!p.client.offer(p.message, 0, p.size)) {
            throw new IllegalStateException("the ring is full in a one-thread offer/poll");
        }
        return p.server.poll(sink.handler, 1);
    }

    @Benchmark
    @Group("pipe")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void offer(final Pair p, final Sent sent) {
        // one attempt per call: a loop until success would never end once the poller stopped at the
        // end of an iteration with the ring full
        if (p.client.offer(p.message, 0, p.size)) {
            sent.sent++;
        }
    }

    /** Messages the offering thread sent (JMH reports it per time unit as {@code pipe:sent}). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Sent {
        public long sent;

        @Setup(Level.Iteration)
        public void reset() {
            sent = 0;
        }
    }

    /** Messages the polling thread received (JMH reports it per time unit as {@code pipe:messages}). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Received {
        public long messages;

        @Setup(Level.Iteration)
        public void reset() {
            messages = 0;
        }
    }

    @Benchmark
    @Group("pipe")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void poll(final Pair p, final Sink sink, final Received r) {
        r.messages += p.server.poll(sink.handler, 64);
    }
}
