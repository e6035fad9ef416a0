package org.softclan.bench.hosts;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.softclan.bench.peers.Payload;
import org.softclan.bench.peers.PeerProcess;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.net.NicAgent;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Listener;
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
 * one measurement per command line on stdin and answers {@code OK ...} or {@code error ...}. Every side of the
 * softclan measurements runs an agent with no duty thread, driven by the thread that waits (the threading that
 * measured fastest on two CPUs: no hand-off between threads); raw Aeron gets the same (its INVOKER driver and
 * client driven by the polling thread). Round trips answer {@code OK p50 p90 p99 max} in microseconds; the
 * receiving side of a throughput run prints {@code RECEIVED bytes nanos} when its sender has finished.
 *
 * <pre>
 * agent HOST LISTEN PEER=ADDR MTU            the NIC agent (no duty thread; a thread drives it until a loop does)
 * writeEcho SIZE / writePing SIZE N WARM     a tripwire-signalled write each way through the agents (regions
 *                                            "ping" on b, "pong" on a; the echo side exports first)
 * readPing N WARM                            a remote acquire load of a's region "pong" (a round trip)
 * queueEcho / queuePing SIZE N WARM          a Connection (service "q") echo
 * rpcServe / rpcPing SIZE N WARM             an RPC echo of SIZE bytes (service "rpc")
 * aeronEcho LISTEN PEER MTU / aeronPing LISTEN PEER SIZE N WARM MTU   raw Aeron UDP ping-pong (INVOKER, inline)
 * tcpEcho PORT / tcpPing ADDR PORT SIZE N WARM                   TCP ping-pong (TCP_NODELAY)
 * streamRecv WARM / streamSend MSG SECONDS   a byte stream (service "s"), MSG-byte writes by PIO for SECONDS
 * aeronRecv LISTEN PEER WARM MTU / aeronSend LISTEN PEER MSG SECONDS MTU   raw Aeron UDP one way
 * tcpRecv PORT WARM / tcpSend ADDR PORT MSG SECONDS              TCP one way
 * (a one-way receiver prints RECEIVED BYTES NANOS of what arrived after its first WARM seconds)
 * </pre>
 */
public final class HostBenchPeer {
    private static Fabric fabric;
    private static Endpoint app;
    private static TripwireUnit unit;
    private static NicAgent agent;
    private static volatile boolean driverThreadRuns = true;
    private static final RpcMethod<byte[], byte[]> ECHO = RpcMethod.of(1, "echo", Codecs.BYTES, Codecs.BYTES);

    private HostBenchPeer() {
    }

    /**
     * @param args the host's directory
     * @throws IOException if the fabric's directory cannot be made
     */
    public static void main(final String[] args) throws IOException {
        final Path root = Path.of(args[0]).resolve("fabric");
        Files.createDirectories(root);
        fabric = Fabric.open(root);
        app = fabric.openEndpoint("bench");
        unit = TripwireUnit.open(app);
        PeerProcess.serveCommands(c -> run(c, root));
        System.exit(0);
    }

    private static String run(final String[] c, final Path root) throws Exception {
        return switch (c[0]) {
            case "agent" -> {
                final String[] peer = c[3].split("=", 2);
                agent = NicAgent.launch(new NicAgent.Context().fabric(root).host(c[1]).listen(c[2])
                    .peer(peer[0], peer[1]).dutyThread(false).mtu(Integer.parseInt(c[4])));
                daemon("driver", () -> {
                    final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
                    while (driverThreadRuns) {
                        idle.idle(agent.doWork());
                    }
                });
                yield "";
            }
            case "writeEcho" -> {
                writeEcho(Integer.parseInt(c[1]));
                yield "";
            }
            case "writePing" -> (writePing(Integer.parseInt(c[1]), Integer.parseInt(c[2]), Integer.parseInt(c[3])));
            case "readPing" -> (readPing(Integer.parseInt(c[1]), Integer.parseInt(c[2])));
            case "queueEcho" -> {
                queueEcho();
                yield "";
            }
            case "queuePing" -> (queuePing(Integer.parseInt(c[1]), Integer.parseInt(c[2]), Integer.parseInt(c[3])));
            case "rpcServe" -> {
                RpcServer.create(app, "rpc", new RpcServer.Context().workers(0).waitStrategy(agent.waitStrategy(Long.MAX_VALUE)))
                    .handle(ECHO, x -> x).start();
                yield "";
            }
            case "rpcPing" -> (rpcPing(Integer.parseInt(c[1]), Integer.parseInt(c[2]), Integer.parseInt(c[3])));
            case "aeronEcho" -> {
                aeronEcho(new RawAeron(root.resolve("aeron-raw"), c[1], c[2], Integer.parseInt(c[c.length - 1])));
                yield "";
            }
            case "aeronPing" -> (aeronPing(new RawAeron(root.resolve("aeron-raw"), c[1], c[2],
                Integer.parseInt(c[c.length - 1])), Integer.parseInt(c[3]), Integer.parseInt(c[4]), Integer.parseInt(c[5])));
            case "tcpEcho" -> {
                tcpEcho(Integer.parseInt(c[1]));
                yield "";
            }
            case "tcpPing" -> (tcpPing(c[1], Integer.parseInt(c[2]), Integer.parseInt(c[3]), Integer.parseInt(c[4]),
                Integer.parseInt(c[5])));
            case "streamRecv" -> {
                streamRecv(Double.parseDouble(c[1]));
                yield "";
            }
            case "streamSend" -> streamSend(Integer.parseInt(c[1]), Double.parseDouble(c[2]));
            case "aeronRecv" -> {
                aeronRecv(new RawAeron(root.resolve("aeron-raw"), c[1], c[2], Integer.parseInt(c[c.length - 1])),
                    Double.parseDouble(c[3]));
                yield "";
            }
            case "aeronSend" -> aeronSend(new RawAeron(root.resolve("aeron-raw"), c[1], c[2],
                Integer.parseInt(c[c.length - 1])), Integer.parseInt(c[3]), Double.parseDouble(c[4]));
            case "tcpRecv" -> {
                tcpRecv(Integer.parseInt(c[1]), Double.parseDouble(c[2]));
                yield "";
            }
            case "tcpSend" -> tcpSend(c[1], Integer.parseInt(c[2]), Integer.parseInt(c[3]), Double.parseDouble(c[4]));
            default -> throw new IllegalArgumentException("unknown command " + c[0]);
        };
    }

    private static void daemon(final String name, final Runnable r) {
        final Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** One round trip, number {@code i} (from 1): stamps, sends, waits for the answer and checks it. */
    @FunctionalInterface
    private interface RoundTrip {
        /** {@return its time in nanoseconds, from the send to the answer} */
        long run(int i) throws Exception;
    }

    /**
     * Makes {@code warm} round trips, then {@code n} timed ones.
     *
     * @return the timed ones as "p50 p90 p99 max" in microseconds
     */
    private static String timed(final int n, final int warm, final RoundTrip trip) throws Exception {
        final long[] rtt = new long[n];
        for (int i = 1; i <= n + warm; i++) {
            final long t = trip.run(i);
            if (i > warm) {
                rtt[i - warm - 1] = t;
            }
        }
        Arrays.sort(rtt);
        return String.format(java.util.Locale.ROOT, "%.1f %.1f %.1f %.1f", rtt[rtt.length / 2] / 1e3,
            rtt[(int) (rtt.length * 0.9)] / 1e3, rtt[(int) (rtt.length * 0.99)] / 1e3, rtt[rtt.length - 1] / 1e3);
    }

    /** What a one-way sender does once: {@return the bytes it sent} */
    @FunctionalInterface
    private interface SendOnce {
        long send() throws IOException;
    }

    /** {@return the bytes {@code once} sent, called again and again for {@code seconds}} */
    private static String sendFor(final double seconds, final SendOnce once) throws IOException {
        final long end = System.nanoTime() + (long) (seconds * 1e9);
        long sent = 0;
        while (System.nanoTime() - end < 0) {
            sent += once.send();
        }
        return Long.toString(sent);
    }

    // ------------------------------------------------------------------ a tripwire-signalled write each way

    /** The payload layout in the regions: the sequence number at 0 (the tripwire's word), the bytes from 64. */
    private static final int DATA = 64;

    private static void stamp(final byte[] b, final long seq) {
        Payload.stamp(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN), b.length, seq);
    }

    private static boolean stamped(final byte[] b, final long seq) {
        return Payload.check(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN), b.length) == seq;
    }

    /** Host a: exports "pong", and on each write of b's pointer sends the payload back into b's "ping". */
    private static void writeEcho(final int size) {
        final InboundMapping local = app.export("pong", DATA + Math.max(size, 8), 0, TripwireUnit.sidecarBytes(
            DATA + Math.max(size, 8), 16));
        unit.arm(local, Tripwire.Options.word(0));
        daemon("write-echo", () -> {
            final byte[] payload = new byte[Math.max(size, 8)];
            OutboundMapping remote = null;
            final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
            while (true) {
                if (remote == null) {
                    try {
                        remote = app.importRegion("ping@b");
                        driverThreadRuns = false;   // this loop drives the agent from now on
                    } catch (final RuntimeException notYet) {
                        idle.idle(0);
                        continue;
                    }
                }
                final OutboundMapping r = remote;
                idle.idle(agent.doWork() + unit.events().poll((s, id, cookie, region, offset, length, value) -> {
                    local.get(DATA, payload, 0, payload.length);
                    r.put(DATA, payload);
                    r.putLongRelease(0, value);
                }, 64));
            }
        });
    }

    /** Host b: exports "ping", imports a's "pong", and times the round trips. */
    private static String writePing(final int size, final int n, final int warm) throws Exception {
        final InboundMapping local = app.export("ping", DATA + Math.max(size, 8), 0, TripwireUnit.sidecarBytes(
            DATA + Math.max(size, 8), 16));
        unit.arm(local, Tripwire.Options.word(0));
        final OutboundMapping remote = app.importRegion("pong@a");
        driverThreadRuns = false;
        final byte[] out = new byte[Math.max(size, 8)];
        final byte[] back = new byte[out.length];
        final long[] got = new long[1];
        final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
        return timed(n, warm, i -> {
            stamp(out, i);
            final long t0 = System.nanoTime();
            remote.put(DATA, out);
            remote.putLongRelease(0, i);
            got[0] = 0;
            while (got[0] != i) {
                idle.idle(agent.doWork() + unit.events().poll((s, id, cookie, region, offset, length, value) -> got[0] = value,
                    64));
            }
            idle.reset();
            final long t = System.nanoTime() - t0;
            local.get(DATA, back, 0, back.length);
            if (!stamped(back, i)) {
                throw new IllegalStateException("round trip " + i + ": the payload came back without its stamps");
            }
            return t;
        });
    }

    /** Host b: remote acquire loads of a word of a's "pong" (exported by writeEcho). */
    private static String readPing(final int n, final int warm) throws Exception {
        final OutboundMapping remote = app.importRegion("pong@a");
        driverThreadRuns = false;
        return timed(n, warm, i -> {
            final long t0 = System.nanoTime();
            remote.getLongAcquire(0);
            return System.nanoTime() - t0;
        });
    }

    // ------------------------------------------------------------------ a connection, RPC

    private static ConnectionContext driving() {
        return new ConnectionContext().waitStrategy(agent.waitStrategy(Long.MAX_VALUE));
    }

    private static void queueEcho() {
        final Listener l = Vmmc.listen(app, "q", driving());
        daemon("queue-echo", () -> {
            final Connection conn = l.accept(1, TimeUnit.HOURS);
            driverThreadRuns = false;
            final byte[][] in = {new byte[64]};
            final int[] len = new int[1];
            while (true) {
                if (conn.receive((buffer, offset, length) -> {
                    if (in[0].length < length) {
                        in[0] = new byte[length];
                    }
                    buffer.read(offset, in[0], 0, length);
                    len[0] = length;
                }, 1, 1, TimeUnit.HOURS) == 1) {
                    conn.send(in[0], 0, len[0], 10, TimeUnit.SECONDS);
                }
            }
        });
    }

    private static String queuePing(final int size, final int n, final int warm) throws Exception {
        final Connection conn = Vmmc.connect(app, "q@a", driving(), 20, TimeUnit.SECONDS);
        driverThreadRuns = false;
        final byte[] out = new byte[Math.max(size, 8)];
        final byte[] back = new byte[out.length];
        return timed(n, warm, i -> {
            stamp(out, i);
            final long t0 = System.nanoTime();
            conn.send(out, 10, TimeUnit.SECONDS);
            if (conn.receive((buffer, offset, length) -> buffer.read(offset, back, 0, Math.min(length, back.length)), 1, 10,
                TimeUnit.SECONDS) != 1 || !stamped(back, i)) {
                throw new IllegalStateException("round trip " + i + ": no echo, or not the message sent");
            }
            return System.nanoTime() - t0;
        });
    }

    private static String rpcPing(final int size, final int n, final int warm) throws Exception {
        final RpcClient client = RpcClient.connect(app, "rpc@a", new RpcClient.Context()
            .waitStrategy(agent.waitStrategy(Long.MAX_VALUE)).receiverStrategy(agent.waitStrategy(Long.MAX_VALUE)), 20,
            TimeUnit.SECONDS);
        driverThreadRuns = false;
        final byte[] out = new byte[Math.max(size, 8)];
        return timed(n, warm, i -> {
            stamp(out, i);
            final long t0 = System.nanoTime();
            final byte[] back = client.call(ECHO, out, 10, TimeUnit.SECONDS);
            if (!stamped(back, i)) {
                throw new IllegalStateException("call " + i + ": the answer is not the question");
            }
            return System.nanoTime() - t0;
        });
    }

    // ------------------------------------------------------------------ raw Aeron UDP

    /** A raw Aeron UDP peer: an INVOKER driver and client driven by the thread that polls. */
    private static final class RawAeron {
        final Publication pub;
        final Subscription sub;
        final AgentInvoker driver;
        final AgentInvoker client;

        RawAeron(final Path dir, final String listen, final String peer, final int mtu) {
            final MediaDriver d = MediaDriver.launch(new MediaDriver.Context().aeronDirectoryName(dir.toString())
                .dirDeleteOnStart(true).dirDeleteOnShutdown(true).threadingMode(ThreadingMode.INVOKER)
                .publicationTermBufferLength(4 << 20).socketRcvbufLength(NicAgent.SOCKET_BUFFER_LENGTH)
                .socketSndbufLength(NicAgent.SOCKET_BUFFER_LENGTH).initialWindowLength(NicAgent.SOCKET_BUFFER_LENGTH));
            this.driver = d.sharedAgentInvoker();
            final Aeron a = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir.toString())
                .driverAgentInvoker(driver).useConductorAgentInvoker(true));
            this.client = a.conductorAgentInvoker();
            this.sub = a.addSubscription("aeron:udp?endpoint=" + listen, 77);
            this.pub = a.addPublication("aeron:udp?endpoint=" + peer + (mtu > 0 ? "|mtu=" + mtu : ""), 77);
        }

        int invoke() {
            return driver.invoke() + client.invoke();
        }

        void send(final UnsafeBuffer b, final int length) {
            while (pub.offer(b, 0, length) < 0) {
                invoke();
                Thread.onSpinWait();
            }
            invoke();
        }

        void awaitConnected() {
            while (!pub.isConnected()) {
                invoke();
                Thread.onSpinWait();
            }
        }
    }

    private static void aeronEcho(final RawAeron p) {
        daemon("aeron-echo", () -> {
            final UnsafeBuffer out = new UnsafeBuffer(new byte[1 << 16]);
            final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
            while (true) {
                idle.idle(p.invoke() + p.sub.poll((b, o, l, h) -> {
                    out.putBytes(0, b, o, l);
                    p.send(out, l);
                }, 16));
            }
        });
    }

    private static String aeronPing(final RawAeron p, final int size, final int n, final int warm) throws Exception {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[Math.max(size, 8)]);
        final long[] got = new long[1];
        final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
        p.awaitConnected();
        return timed(n, warm, i -> {
            out.putLong(0, i);
            final long t0 = System.nanoTime();
            p.send(out, out.capacity());
            got[0] = 0;
            while (got[0] != i) {
                idle.idle(p.invoke() + p.sub.poll((b, o, l, h) -> got[0] = b.getLong(o), 16));
            }
            idle.reset();
            return System.nanoTime() - t0;
        });
    }

    private static void aeronRecv(final RawAeron p, final double warmSeconds) {
        daemon("aeron-recv", () -> {
            final OneWayMeter meter = new OneWayMeter(warmSeconds);
            final boolean[] end = {false};
            final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
            while (!end[0]) {
                idle.idle(p.invoke() + p.sub.poll((b, o, l, h) -> {
                    if (l == 8 && b.getLong(o) == -1) {
                        end[0] = true;
                    } else {
                        meter.add(l);
                    }
                }, 64));
            }
            PeerProcess.say(meter.result());
        });
    }

    private static String aeronSend(final RawAeron p, final int msg, final double seconds) throws IOException {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[msg]);
        p.awaitConnected();
        final String sent = sendFor(seconds, () -> {
            final long n = p.pub.offer(out, 0, msg) > 0 ? msg : 0;
            p.invoke();
            return n;
        });
        final UnsafeBuffer stop = new UnsafeBuffer(new byte[8]);
        stop.putLong(0, -1);
        p.send(stop, 8);
        final long linger = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() - linger < 0) {   // the driver sends what is left (and retransmits) while driven
            p.invoke();
            Thread.onSpinWait();
        }
        return sent;
    }

    /**
     * A one-way receiver's count: the bytes that arrived after the first {@code warm} seconds (from the first
     * byte: the JIT compiles the path meanwhile, on the CPUs the measurement needs), and over how long.
     */
    private static final class OneWayMeter {
        private final long warmNanos;
        private long first;
        private long bytes;
        private long startBytes = -1;
        private long startAt;

        OneWayMeter(final double warmSeconds) {
            this.warmNanos = (long) (warmSeconds * 1e9);
        }

        void add(final int n) {
            final long now = System.nanoTime();
            if (bytes == 0) {
                first = now;
            }
            bytes += n;
            if (startBytes < 0 && now - first >= warmNanos) {
                startBytes = bytes;   // these bytes arrived before now: the measurement starts after them
                startAt = now;
            }
        }

        String result() {
            final long now = System.nanoTime();
            if (startBytes < 0 || bytes == startBytes) {
                return "RECEIVED failed " + bytes + " bytes, all within the warm-up of " + warmNanos / 1_000_000 + " ms";
            }
            return "RECEIVED " + (bytes - startBytes) + " " + (now - startAt);
        }
    }

    // ------------------------------------------------------------------ TCP

    private static void tcpEcho(final int port) throws IOException {
        final ServerSocket ss = new ServerSocket();
        ss.bind(new InetSocketAddress(port));
        daemon("tcp-echo", () -> {
            try (Socket s = ss.accept()) {
                s.setTcpNoDelay(true);
                final DataInputStream in = new DataInputStream(s.getInputStream());
                final OutputStream out = s.getOutputStream();
                byte[] b = new byte[64];
                while (true) {
                    final int n = in.readInt();
                    if (b.length < n) {
                        b = new byte[n];
                    }
                    in.readFully(b, 0, n);
                    final byte[] framed = ByteBuffer.allocate(4 + n).putInt(n).put(b, 0, n).array();
                    out.write(framed);
                }
            } catch (final IOException e) {
                // the pinger went away
            }
        });
    }

    private static String tcpPing(final String host, final int port, final int size, final int n, final int warm)
        throws Exception {
        try (Socket s = new Socket(host, port)) {
            s.setTcpNoDelay(true);
            final DataInputStream in = new DataInputStream(s.getInputStream());
            final DataOutputStream out = new DataOutputStream(s.getOutputStream());
            final byte[] payload = new byte[Math.max(size, 8)];
            final byte[] back = new byte[payload.length];
            final byte[] framed = new byte[4 + payload.length];
            return timed(n, warm, i -> {
                stamp(payload, i);
                ByteBuffer.wrap(framed).putInt(payload.length).put(payload);
                final long t0 = System.nanoTime();
                out.write(framed);
                if (in.readInt() != payload.length) {
                    throw new IOException("echo of another length");
                }
                in.readFully(back);
                if (!stamped(back, i)) {
                    throw new IOException("echo " + i + " is not the message sent");
                }
                return System.nanoTime() - t0;
            });
        }
    }

    private static void tcpRecv(final int port, final double warmSeconds) throws IOException {
        final ServerSocket ss = new ServerSocket();
        ss.bind(new InetSocketAddress(port));
        daemon("tcp-recv", () -> {
            try (Socket s = ss.accept(); InputStream in = s.getInputStream()) {
                final byte[] b = new byte[1 << 16];
                final OneWayMeter meter = new OneWayMeter(warmSeconds);
                int n;
                while ((n = in.read(b)) >= 0) {
                    meter.add(n);
                }
                PeerProcess.say(meter.result());
            } catch (final IOException e) {
                PeerProcess.say("RECEIVED failed " + e);
            }
        });
    }

    private static String tcpSend(final String host, final int port, final int msg, final double seconds)
        throws IOException {
        try (Socket s = new Socket(host, port); OutputStream out = s.getOutputStream()) {
            final byte[] b = new byte[msg];
            return sendFor(seconds, () -> {
                out.write(b);
                return msg;
            });
        }
    }

    // ------------------------------------------------------------------ a byte stream

    private static void streamRecv(final double warmSeconds) {
        final StreamListener l = ByteStreams.listen(app, "s", driving());
        daemon("stream-recv", () -> {
            try (ByteStream s = l.accept(1, TimeUnit.HOURS)) {
                driverThreadRuns = false;
                final ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
                final OneWayMeter meter = new OneWayMeter(warmSeconds);
                while (true) {
                    b.clear();
                    final int n = s.read(b);
                    if (n < 0) {
                        break;
                    }
                    meter.add(n);
                }
                PeerProcess.say(meter.result());
            } catch (final IOException | RuntimeException e) {
                PeerProcess.say("RECEIVED failed " + e);
            }
        });
    }

    private static String streamSend(final int msg, final double seconds) throws IOException {
        try (ByteStream s = ByteStreams.connect(app, "s@a", driving(), 20, TimeUnit.SECONDS)) {
            driverThreadRuns = false;
            final ByteBuffer b = ByteBuffer.allocateDirect(msg);
            final String sent = sendFor(seconds, () -> {
                b.clear();
                s.write(b);
                return msg;
            });
            s.shutdownOutput();
            agent.flush("a");
            return sent;
        }
    }
}
