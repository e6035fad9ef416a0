package org.softclan.bench.hosts;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.softclan.bench.peers.Config;
import org.softclan.bench.peers.MessageCheck;
import org.softclan.bench.peers.Payload;
import org.softclan.bench.peers.PeerProcess;
import org.softclan.bench.peers.PeerTransport;
import org.softclan.bench.peers.PingPongResult;
import org.softclan.bench.peers.PingPongRunner;
import org.softclan.bench.peers.Rig;
import org.softclan.bench.peers.ThroughputBench;
import org.softclan.bench.peers.Transports;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.net.NicAgent;
import org.softclan.tripwire.EventHandler;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Listener;
import org.softclan.vmmc.MessageHandler;
import org.softclan.vmmc.Vmmc;
import org.softclan.vmmc.rpc.Codecs;
import org.softclan.vmmc.rpc.RpcClient;
import org.softclan.vmmc.rpc.RpcMethod;
import org.softclan.vmmc.rpc.RpcServer;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.ByteStreams;
import org.softclan.vmmc.stream.StreamListener;

/**
 * One host of {@link HostsComparison}: a JVM with its own fabric (under {@code args[0]}) that runs one side of
 * one measurement per command line on stdin, on the rig's command loop ({@link PeerProcess#serveCommands}).
 * Every side of the softclan measurements runs an agent with no duty thread, driven by the thread that waits
 * (the threading that measured fastest on two CPUs: no hand-off between threads); raw Aeron gets the same (its
 * INVOKER driver and client driven by the polling thread). Each measurement is a {@link PeerTransport} of the
 * rig: {@code tcp} is the rig's own, across the veth; the others are {@code HostTransport}s. Round trips carry
 * the rig's {@link Payload}, checked on both sides, and are timed by {@link PingPongRunner#measure}; a one-way
 * stream is sent by {@link ThroughputBench#send} and read through {@link MessageCheck} (each message's sequence
 * number and two of its body bytes; no checksum of the whole body, as the rig's one-way runs without
 * {@code --checksum}).
 *
 * <pre>
 * agent HOST LISTEN PEER=ADDR MTU   the NIC agent (no duty thread; a thread drives it until a loop does)
 * echo KIND KEY=VALUE ...           opens KIND's echo side, says open KEY=VALUE ... (what the client needs),
 *                                   echoes until stop (or the client goes); answers the requests echoed
 * stop                              (a stop after the echo ended as the client went) nothing to stop: OK
 * ping KIND KEY=VALUE ...           connects KIND's client to it, makes warmup then iterations round trips;
 *                                   answers p50 p90 p99 max in microseconds and the round trips made
 * recv KIND KEY=VALUE ...           opens KIND's receiver ({@link Config#toMap()}'s pairs), says open KEY=VALUE ...,
 *                                   reads to the end of the stream; answers the bytes after the warm-up, their
 *                                   nanoseconds and all the bytes read
 * send KIND KEY=VALUE ...           sends to that receiver for warm-up + seconds; answers the bytes sent
 * </pre>
 * The pairs also carry {@code host} (host a's address, where tcp listens), {@code listen} and {@code peer} (this
 * host's and the other's raw Aeron address) and {@code mtu}. Kinds: {@code tripwire-write} (regions "ping" on b,
 * "pong" on a; the echo side exports first), {@code remote-read} (of a's "pong", which tripwire-write's echo
 * side exports), {@code queue} (service "q"), {@code rpc} (service "rpc"), {@code aeron-udp}, {@code tcp} and,
 * one way only, {@code stream} (service "s").
 */
public final class HostBenchPeer {
    /** No time cap on a run in practice: its counts end it, as they always did here. */
    private static final double NO_CAP_SECONDS = 86_400;
    private static final RpcMethod<byte[], byte[]> ECHO = RpcMethod.of(1, "echo", Codecs.BYTES, Codecs.BYTES);
    private static Path root;
    private static Endpoint app;
    private static TripwireUnit unit;
    private static NicAgent agent;
    private static volatile boolean driverThreadRuns = true;

    private HostBenchPeer() {
    }

    /**
     * @param args the host's directory
     * @throws IOException if the fabric's directory cannot be made
     */
    public static void main(final String[] args) throws IOException {
        root = Files.createDirectories(Path.of(args[0]).resolve("fabric"));
        app = Fabric.open(root).openEndpoint("bench");
        unit = TripwireUnit.open(app);
        PeerProcess.serveCommands(HostBenchPeer::run);
        System.exit(0);
    }

    private static String run(final String[] c) throws Exception {
        final Map<String, String> p = PeerProcess.pairs(String.join(" ", c));
        final PeerTransport t = c.length < 2 || c[0].equals("agent") ? null
            : c[1].equals("tcp") ? Transports.byName("tcp") : new HostTransport(c[1], p);
        switch (c[0]) {
            case "agent" -> {
                final String[] peer = c[3].split("=", 2);
                agent = NicAgent.launch(new NicAgent.Context().fabric(root).host(c[1]).listen(c[2])
                    .peer(peer[0], peer[1]).dutyThread(false).mtu(Integer.parseInt(c[4])));
                final Thread driver = new Thread(() -> {
                    final IdleStrategy idle = backoff();
                    while (driverThreadRuns) {
                        idle.idle(agent.doWork());
                    }
                }, "driver");
                driver.setDaemon(true);
                driver.start();
                return "";
            }
            case "echo" -> {
                try (PeerTransport.Echo echo = t.echo(Integer.parseInt(p.get("size")))) {
                    PeerProcess.say("open" + PeerProcess.tokens(echo.open(p)));
                    return Long.toString(echo.run(PeerProcess::stopRequested));
                }
            }
            case "ping" -> {
                final int size = Integer.parseInt(p.get("size"));
                try (PeerTransport.Client client = t.client(size)) {
                    client.connect(p);
                    final PingPongResult r = PingPongRunner.measure(client, new PingPongRunner.Settings(t, size,
                        Integer.parseInt(p.get("warmup")), 0, Integer.parseInt(p.get("iterations")), 0, NO_CAP_SECONDS),
                        null);
                    return String.format(Locale.ROOT, "%.1f %.1f %.1f %.1f %d", r.micros(50), r.micros(90), r.micros(99),
                        r.maxMicros(), r.warmup() + r.roundTrips());
                }
            }
            case "recv" -> {
                final Config config = Config.fromMap(p).transport(t);
                final Map<String, String> toSender = new HashMap<>(Map.of("host", p.get("host")));
                final PeerTransport.Receiver end = t.receiver(config, null, toSender);
                try {
                    PeerProcess.say("open" + PeerProcess.tokens(toSender));
                    return receive(end, config);
                } finally {
                    end.close();
                }
            }
            case "send" -> {
                final Config config = Config.fromMap(p).transport(t);
                final PeerTransport.Sender end = t.sender(config, null, p, ThroughputBench.SLOTS);
                try {
                    return Long.toString(ThroughputBench.send(end, config, ThroughputBench.SLOTS)[0]);
                } finally {
                    end.close();
                }
            }
            case "stop" -> {
                // the echo run ended before the stop came (tcp's and queue's end with the client's connection): it
                // answered already, and there is nothing left to stop
                return "";
            }
            default -> throw new IllegalArgumentException("unknown command " + c[0]);
        }
    }

    private static IdleStrategy backoff() {
        return new BackoffIdleStrategy(100, 10, 1_000, 100_000);
    }

    /** {@return a connection's settings whose waits drive the agent} */
    private static ConnectionContext driving() {
        return new ConnectionContext().waitStrategy(agent.waitStrategy(Long.MAX_VALUE));
    }

    /**
     * Reads a one-way stream to its end through {@link MessageCheck} (sequence numbers and two body bytes of each
     * message, no checksum), and measures what arrived from
     * the first read at least the warm-up after the first byte (the JIT compiles the path meanwhile, on the CPUs
     * the measurement needs) to the end of the stream.
     *
     * @return the bytes measured, their nanoseconds and all the bytes read
     */
    private static String receive(final PeerTransport.Receiver end, final Config c) throws IOException {
        final MessageCheck check = new MessageCheck(c.size(), ThroughputBench.SLOTS, false, null, 0);
        final ByteBuffer dst = Rig.pageAligned(end.readSize(c));
        final long warmNanos = (long) (c.warmupSeconds() * 1e9);
        long first = 0;
        long markAt = 0;
        long markBytes = -1;
        end.start(() -> { });
        for (int n = 0; n >= 0; n = end.read(dst.clear())) {
            if (n > 0) {
                final long now = System.nanoTime();
                check.accept(dst, 0, n, now);
                first = first == 0 ? now : first;
                if (markBytes < 0 && now - first >= warmNanos) {
                    markBytes = check.bytes();   // these bytes arrived before now: the measurement starts after them
                    markAt = now;
                }
            }
        }
        final long nanos = System.nanoTime() - markAt;
        if (check.failure() != null) {
            throw new IOException("content check: " + check.failure());
        }
        if (markBytes < 0 || markBytes == check.bytes()) {
            throw new IOException(check.bytes() + " bytes, all within the warm-up of " + warmNanos / 1_000_000 + " ms");
        }
        return (check.bytes() - markBytes) + " " + nanos + " " + check.bytes();
    }

    /** The systems under test of this host but tcp, by their kind, with the pairs of the command. */
    private static final class HostTransport extends PeerTransport {
        private final Map<String, String> pairs;

        HostTransport(final String kind, final Map<String, String> pairs) {
            super(kind, kind, false, true);
            this.pairs = pairs;
        }

        @Override
        public Client client(final int size) {
            return echo(size);
        }

        @Override
        public Link echo(final int size) {
            return switch (name()) {
                case "tripwire-write", "remote-read" -> new WriteLink(size, name().equals("remote-read"));
                case "queue" -> new QueueLink(size);
                case "rpc" -> new RpcLink(size);
                case "aeron-udp" -> new AeronUdp(size, pairs);
                default -> throw new IllegalArgumentException("'" + name() + "' has no round trip across hosts");
            };
        }

        @Override
        public Receiver receiver(final Config c, final Rig rig, final Map<String, String> toSender) {
            if (name().equals("aeron-udp")) {
                return new AeronUdp(c.size(), pairs);
            }
            final StreamListener listener = ByteStreams.listen(app, "s", driving());
            return new Receiver() {
                private ByteStream stream;

                @Override
                public void start(final Liveness peer) {
                    stream = listener.accept(1, TimeUnit.HOURS);
                    driverThreadRuns = false;
                }

                @Override
                public int read(final ByteBuffer dst) throws IOException {
                    return stream.read(dst);
                }

                @Override
                public void close() {
                    if (stream != null) {
                        stream.close();
                    }
                }
            };
        }

        @Override
        public Sender sender(final Config c, final Rig rig, final Map<String, String> fromReceiver, final int slots) {
            if (name().equals("aeron-udp")) {
                final AeronUdp udp = new AeronUdp(c.size(), pairs);
                udp.connect(fromReceiver);
                return udp;
            }
            final ByteStream stream = ByteStreams.connect(app, "s@a", driving(), 20, TimeUnit.SECONDS);
            driverThreadRuns = false;
            return new SlotSender(slots, c.size()) {
                @Override
                public void send(final int slot, final int size) throws IOException {
                    stream.write(buffers[slot].limit(size).position(0));
                }

                @Override
                public void finish() throws IOException {
                    stream.shutdownOutput();
                    agent.flush("a");
                }

                @Override
                public void close() {
                    stream.close();
                }
            };
        }
    }

    /**
     * {@code tripwire-write}: a write of the payload and a release store of its number into the other host's region
     * (from offset {@value #DATA}; the number, the tripwire's word, at 0), whose tripwire fires there; the waiting
     * thread drives the agent and polls the unit's events. {@code remote-read}'s client: an acquire load of the
     * word of a's region "pong" (a request and its reply), with tripwire-write's echo side on host a.
     */
    private static final class WriteLink extends PeerTransport.Link {
        private static final int DATA = 64;
        private final boolean read;
        private final IdleStrategy idle = backoff();
        private boolean fired;
        private final EventHandler onEvent = (s, id, cookie, region, offset, length, value) -> fired = true;
        private InboundMapping local;
        private OutboundMapping remote;

        WriteLink(final int size, final boolean read) {
            super("tripwire-write", size, false);
            this.read = read;
        }

        private void export(final String region) {
            local = app.export(region, DATA + size, 0, TripwireUnit.sidecarBytes(DATA + size, 16));
            unit.arm(local, Tripwire.Options.word(0));
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            export("pong");
            return Map.of();
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            if (!read) {
                export("ping");
            }
            remote = app.importRegion("pong@a");
            driverThreadRuns = false;
        }

        /** Imports b's "ping" once b exported it (never, for remote-read); this loop drives the agent from then on. */
        @Override
        protected boolean accept(final BooleanSupplier stop) {
            while (remote == null) {
                if (stop.getAsBoolean()) {
                    return false;
                }
                try {
                    remote = app.importRegion("ping@b");
                } catch (final RuntimeException notYet) {
                    idle.idle(0);
                }
            }
            driverThreadRuns = false;
            return true;
        }

        @Override
        public void roundTrip(final long seq, final long timeoutNanos) throws Exception {
            if (read) {
                remote.getLongAcquire(0);
            } else {
                super.roundTrip(seq, timeoutNanos);
            }
        }

        @Override
        protected void send(final long seq) {
            remote.put(DATA, message.array());
            remote.putLongRelease(0, seq);
        }

        @Override
        protected boolean receive(final long timeoutNanos) {
            final long deadline = System.nanoTime() + timeoutNanos;
            fired = false;
            while (!fired) {
                final int work = agent.doWork() + unit.events().poll(onEvent, 64);
                if (work == 0 && System.nanoTime() - deadline > 0) {
                    return false;
                }
                idle.idle(work);
            }
            idle.reset();
            local.get(DATA, message.array(), 0, size);
            return true;
        }
    }

    /** {@code queue}: a {@link Connection} (service "q") whose waits drive the agent. */
    private static final class QueueLink extends PeerTransport.Link {
        private final MessageHandler copy = (buffer, offset, length) -> buffer.read(offset, message.array(), 0,
            Math.min(length, size));
        private Listener listener;
        private Connection connection;

        QueueLink(final int size) {
            super("queue", size, false);
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            listener = Vmmc.listen(app, "q", driving());
            return Map.of();
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            connection = Vmmc.connect(app, "q@a", driving(), 20, TimeUnit.SECONDS);
            driverThreadRuns = false;
        }

        @Override
        protected boolean accept(final BooleanSupplier stop) {
            while (connection == null && !stop.getAsBoolean()) {
                connection = listener.accept(100, TimeUnit.MILLISECONDS);
            }
            if (connection == null) {
                return false;
            }
            driverThreadRuns = false;   // this side's waits drive the agent from now on
            return true;
        }

        @Override
        protected void send(final long seq) {
            connection.send(message.array(), 0, size, 10, TimeUnit.SECONDS);
        }

        @Override
        protected boolean receive(final long timeoutNanos) {
            return connection.receive(copy, 1, timeoutNanos, TimeUnit.NANOSECONDS) == 1;
        }

        /** The client closed its end: the run is over (it closes once its round trips are done). */
        @Override
        protected boolean peerGone(final Exception e) {
            return e instanceof org.softclan.vmmc.PeerGoneException;
        }

        @Override
        public void disconnect() {
            CloseHelper.closeAll(connection, listener);
            connection = null;
            listener = null;
        }
    }

    /**
     * {@code rpc}: an RPC echo of the payload (service "rpc"), checked by the server's handler ({@link RpcEcho}: stamps
     * and order); the server's polling thread and the caller's waits (and the client's receiver's) drive the agent.
     */
    private static final class RpcLink extends PeerTransport.Link {
        private RpcServer server;
        private RpcClient client;
        private RpcEcho echo;

        RpcLink(final int size) {
            super("rpc", size, false);
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            echo = new RpcEcho(size);
            server = RpcServer.create(app, "rpc", new RpcServer.Context().workers(0)
                .waitStrategy(agent.waitStrategy(Long.MAX_VALUE))).handle(ECHO, echo).start();
            return Map.of();
        }

        /** The server's polling thread answers; this waits for {@code stop}. */
        @Override
        public long run(final BooleanSupplier stop) {
            while (!stop.getAsBoolean()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            server.close();   // joins the polling thread, which counted
            return echo.echoed();
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            client = RpcClient.connect(app, "rpc@a", new RpcClient.Context().waitStrategy(agent.waitStrategy(
                Long.MAX_VALUE)).receiverStrategy(agent.waitStrategy(Long.MAX_VALUE)), 20, TimeUnit.SECONDS);
            driverThreadRuns = false;
        }

        @Override
        public void roundTrip(final long seq, final long timeoutNanos) {
            Payload.stamp(message, size, seq);
            final byte[] back = client.call(ECHO, message.array(), timeoutNanos, TimeUnit.NANOSECONDS);
            Payload.expect(ByteBuffer.wrap(back).order(ByteOrder.LITTLE_ENDIAN), size, seq);
        }

        @Override
        public void disconnect() {
            CloseHelper.closeAll(client, server);   // the server is closed already on the echo side: idempotent
            client = null;
        }
    }

    /**
     * The {@code rpc} echo side's handler (on the server's polling thread alone: no workers): checks each request's
     * stamps and that requests come in order 1, 2, 3, ... (as the rig's echo sides do: one lost, repeated or out
     * of order fails the call, and so the run), answers with the request itself, and counts.
     */
    static final class RpcEcho implements java.util.function.Function<byte[], byte[]> {
        private final int size;
        private final Payload.Sequence sequence = new Payload.Sequence();

        RpcEcho(final int size) {
            this.size = size;
        }

        @Override
        public byte[] apply(final byte[] request) {
            sequence.next(Payload.check(ByteBuffer.wrap(request).order(ByteOrder.LITTLE_ENDIAN), size));
            return request;
        }

        /** {@return the requests echoed} */
        long echoed() {
            return sequence.count();
        }
    }

    /**
     * {@code aeron-udp}: raw Aeron UDP from this host's {@code listen} address to the other's {@code peer} address,
     * with an INVOKER driver and client driven by the thread that polls: a side of a round trip, or an end of a
     * one-way stream (which a 1-byte message ends), the sender's messages in {@link ThroughputBench#SLOTS} buffers.
     */
    private static final class AeronUdp extends PeerTransport.Link implements PeerTransport.Receiver,
        PeerTransport.Sender {
        private final ByteBuffer[] slots = new ByteBuffer[ThroughputBench.SLOTS];
        private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        private final Publication pub;
        private final Subscription sub;
        private final MediaDriver mediaDriver;
        private final Aeron aeron;
        private final AgentInvoker driver;
        private final AgentInvoker client;
        private final UnsafeBuffer out = new UnsafeBuffer(message);
        private final IdleStrategy idle = backoff();
        private final FragmentAssembler assembler = new FragmentAssembler(this::onMessage);
        private ByteBuffer target;
        private boolean ended;

        AeronUdp(final int size, final Map<String, String> p) {
            super("aeron-udp", size, true);
            final String dir = root.resolve("aeron-raw").toString();
            final MediaDriver d = MediaDriver.launch(new MediaDriver.Context().aeronDirectoryName(dir)
                .dirDeleteOnStart(true).dirDeleteOnShutdown(true).threadingMode(ThreadingMode.INVOKER)
                .publicationTermBufferLength(4 << 20).socketRcvbufLength(NicAgent.SOCKET_BUFFER_LENGTH)
                .socketSndbufLength(NicAgent.SOCKET_BUFFER_LENGTH).initialWindowLength(NicAgent.SOCKET_BUFFER_LENGTH));
            this.mediaDriver = d;
            this.driver = d.sharedAgentInvoker();
            Aeron a = null;
            try {
                a = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir).driverAgentInvoker(driver)
                    .useConductorAgentInvoker(true));
                this.client = a.conductorAgentInvoker();
                final int mtu = Integer.parseInt(p.get("mtu"));
                this.sub = a.addSubscription("aeron:udp?endpoint=" + p.get("listen"), 77);
                this.pub = a.addPublication("aeron:udp?endpoint=" + p.get("peer") + (mtu > 0 ? "|mtu=" + mtu : ""), 77);
            } catch (final RuntimeException e) {
                CloseHelper.quietCloseAll(a, d);
                throw e;
            }
            this.aeron = a;
        }

        private int invoke() {
            return driver.invoke() + client.invoke();
        }

        private void onMessage(final DirectBuffer b, final int offset, final int length, final io.aeron.logbuffer.Header h) {
            if (length == 1) {
                ended = true;
            } else {
                b.getBytes(offset, target, target.position(), length);
                target.position(target.position() + length);
            }
        }

        /** Offers until the publication takes the message, driving the driver. */
        private void offer(final DirectBuffer b, final int length) throws IOException {
            long r;
            while ((r = pub.offer(b, 0, length)) < 0) {
                if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED) {
                    throw new IOException("aeron: offer failed: " + Publication.errorString(r));
                }
                invoke();
                Thread.onSpinWait();
            }
            invoke();
        }

        @Override
        public ByteBuffer buffer(final int slot) {
            if (slots[slot] == null) {
                slots[slot] = Rig.pageAligned(size);
            }
            return slots[slot];
        }

        @Override
        public void send(final int slot, final int length) throws IOException {
            view.wrap(slots[slot], 0, length);
            offer(view, length);
        }

        /** Ends a one-way stream, then drives the driver 5 s more: it sends what is left (and retransmits). */
        @Override
        public void finish() throws IOException {
            offer(new UnsafeBuffer(new byte[1]), 1);
            final long linger = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() - linger < 0) {
                invoke();
                Thread.onSpinWait();
            }
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            return Map.of();
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            while (!pub.isConnected()) {
                invoke();
                Thread.onSpinWait();
            }
        }

        @Override
        protected void send(final long seq) throws IOException {
            offer(out, size);
        }

        @Override
        protected boolean receive(final long timeoutNanos) {
            final long deadline = System.nanoTime() + timeoutNanos;
            target = message.clear();
            while (message.position() == 0) {
                final int work = invoke() + sub.poll(assembler, 16);
                if (work == 0 && System.nanoTime() - deadline > 0) {
                    return false;
                }
                idle.idle(work);
            }
            idle.reset();
            message.clear();
            return true;
        }

        /** Reads whole messages (at least one, unless the stream ended): {@code dst} needs room for 64 fragments'. */
        @Override
        public int read(final ByteBuffer dst) {
            final int from = dst.position();
            target = dst;
            while (dst.position() == from && !ended) {
                idle.idle(invoke() + sub.poll(assembler, 64));
            }
            return dst.position() == from ? -1 : dst.position() - from;
        }

        /** Closes the client (its publication and subscription with it), then the driver, which deletes its directory. */
        @Override
        public void close() {
            CloseHelper.closeAll(aeron, mediaDriver);
        }
    }
}
