package org.softclan.net;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;

/**
 * One "host" of a two-host test: a program with its own fabric (under {@code args[0]}, a directory only
 * this host sees) and a NIC agent, driven by one command per line on stdin, one reply per command.
 *
 * <pre>
 * agent HOST LISTEN PEER=ADDR TIMEOUT_MS [invoker] [loss=RATE] [idle=SPINS:YIELDS:MIN_PARK_NS:MAX_PARK_NS]
 *                                            launches the agent (with "invoker": no duty thread; the echo and
 *                                            ping loops drive it): OK
 * export NAME SIZE KEY                       exports a region with room for tripwires: OK generation
 * arm NAME OFFSET N                          an EVENT tripwire on the word at OFFSET; a thread polls its
 *                                            events and checks each against the N slots (see send): OK
 * armOnce NAME OFFSET                        a one-shot EVENT tripwire on the word at OFFSET: OK
 * events                                     once every event posted is handled: OK count=C bad=B once=O
 *                                            disorder=D (count: the pointer's; bad: a slot older than its
 *                                            pointer; disorder: a pointer value not the last plus one)
 * awaitEvents N MS                           waits until the pointer's N events came or MS passed, then as
 *                                            events
 * unexport NAME                              removes the region (importers then hold a stale generation): OK
 * import NAME@HOST KEY                       imports a region of the peer: OK size generation
 * send NAME@HOST COUNT N                     for i = 1..COUNT: 64 bytes into slot i % N (at 64 + 64 * slot;
 *                                            its first and last longs are i), then a release store of i at
 *                                            offset 0: OK
 * store NAME@HOST OFFSET VALUE               a remote release store: OK
 * read NAME@HOST OFFSET                      a remote acquire load: OK value
 * mimport NAME@HOST KEY                      the same through the fabric: app.importRegion, an OutboundMapping
 *                                            on the agent's network link: OK size generation
 * msend NAME@HOST COUNT N [dma]              as send, through the mapping (put, putLongRelease); with "dma",
 *                                            each slot by the endpoint's DMA engine, the pointer by PIO at once
 * mstore NAME@HOST OFFSET VALUE              putLongRelease through the mapping: OK
 * mread NAME@HOST OFFSET                     getLongAcquire through the mapping: OK value
 * mcas NAME@HOST OFFSET EXPECTED UPDATE      compareAndSetLong: OK true|false
 * madd NAME@HOST OFFSET DELTA                getAndAddLong: OK previous
 * mbytes NAME@HOST OFFSET LENGTH SEED        put LENGTH bytes (byte i = SEED + i) through the mapping, then
 *                                            get them back (a remote read) and compare: OK same|differs
 * mstate NAME@HOST                           OK valid=B ownerAlive=B
 * maddress NAME@HOST                         the mapping's address(0, 8): OK address, or ERR
 * listen SVC [DRIVE_NS]                      a listener on SVC; a thread accepts connections, one at a time,
 *                                            and echoes every message back: OK (with DRIVE_NS, its connections
 *                                            wait with the agent's waitStrategy(DRIVE_NS))
 * connect SVC@HOST [DRIVE_NS]                Vmmc.connect to a service of the peer host: OK name
 * cecho N SIZE                               N round trips through the connection, each a SIZE-byte message
 *                                            (its bytes a function of its number) echoed back and compared:
 *                                            OK rtts=N bad=B p50us=P maxus=M
 * csend N SIZE                               N messages one way, not waited for (the echoes are received and
 *                                            dropped by cecho's next call or cclose): OK
 * cclose                                     closes the connection: OK
 * slisten SVC RECEIVE [DRIVE_NS]             a byte-stream listener; a thread accepts streams one at a time
 *                                            (receive technique RECEIVE), reads each to its end and prints
 *                                            "STREAM bytes=N crc=C" (CRC32C), or "STREAM failed: ..."
 * ssend SVC@HOST BYTES SEND [DRIVE_NS]       a stream to the peer's SVC: BYTES generated bytes in 256 KiB
 *                                            writes by technique SEND, then end of output and close:
 *                                            OK bytes=N crc=C ms=T
 * sopen SVC@HOST SEND [DRIVE_NS] / swrite MB a stream kept open, and MB MiB more written into it: OK
 * rserve SVC [DRIVE_NS]                      an RPC server: echo (a string back), hold (prints "HELD", then
 *                                            answers after 60 s): OK
 * rcall SVC@HOST N SIZE [DRIVE_NS]           an RPC client (kept): N echo calls of SIZE characters, each answer
 *                                            compared: OK calls=N bad=B p50us=P
 * rhold                                      one hold call on the kept client (60-s timeout): OK, or ERR
 * list HOST                                  the regions HOST serves: OK NAME:SIZE:GENERATION ...
 * agentclose                                 closes the agent (its imports are forgotten): OK
 * counters                                   the agent's counters: OK k=v ...
 * echo LOCAL REMOTE@HOST / ping LOCAL REMOTE@HOST N WARM, aeronEcho LISTEN PEER / aeronPing LISTEN PEER N
 *   WARM, tcpEcho PORT / tcpPing ADDR PORT N WARM: round trips for {@link TwoHostPingMain} ({@link LinkPing})
 * forge HOST WHAT                            a hostile host: sends HOST's agent one forged message (see
 *                                            forge below): OK
 * </pre>
 */
public final class HostMain {
    private static Fabric fabric;
    private static Endpoint app;
    private static TripwireUnit unit;
    private static NicAgent agent;
    /** The agent has no duty thread: the program's waiting threads drive it. */
    private static boolean driven;
    /** Set once an echo or ping loop drives the agent (the driver thread then stops). */
    private static volatile boolean loopDrives;
    private static final Map<String, InboundMapping> EXPORTS = new ConcurrentHashMap<>();
    private static final Map<String, RemoteRegion> IMPORTS = new ConcurrentHashMap<>();
    private static final Map<String, org.softclan.dsm.OutboundMapping> MAPPINGS = new ConcurrentHashMap<>();
    private static org.softclan.vmmc.Connection connection;
    private static org.softclan.vmmc.rpc.RpcClient rpc;
    private static final org.softclan.vmmc.rpc.RpcMethod<String, String> ECHO = org.softclan.vmmc.rpc.RpcMethod.of(1,
        "echo", org.softclan.vmmc.rpc.Codecs.STRING, org.softclan.vmmc.rpc.Codecs.STRING);
    private static final org.softclan.vmmc.rpc.RpcMethod<String, String> HOLD = org.softclan.vmmc.rpc.RpcMethod.of(2,
        "hold", org.softclan.vmmc.rpc.Codecs.STRING, org.softclan.vmmc.rpc.Codecs.STRING);
    private static org.softclan.vmmc.stream.ByteStream stream;
    private static org.softclan.vmmc.stream.SendTechnique streamTechnique;
    /** Where the generated stream is: byte i of a stream is (byte) (i * 7 + i / 4096). */
    private static long streamPosition;
    private static final AtomicLong EVENTS = new AtomicLong();
    private static final AtomicLong BAD = new AtomicLong();
    /** Pointer values that were not the previous one plus one (or 1, a new run). */
    private static final AtomicLong DISORDER = new AtomicLong();
    private static final AtomicLong LAST = new AtomicLong();
    private static final AtomicLong ONCE = new AtomicLong();
    private static volatile long onceId = -1;
    /** Poll calls the poller made: a reply waits for two more after the queue is empty (all handled). */
    private static final AtomicLong ROUNDS = new AtomicLong();

    private HostMain() {
    }

    public static void main(final String[] args) throws Exception {
        final Path root = Path.of(args[0]).resolve("fabric");
        Files.createDirectories(root);
        fabric = Fabric.open(root);
        app = fabric.openEndpoint("app");
        unit = TripwireUnit.open(app);
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("READY");
        String line;
        while ((line = in.readLine()) != null) {
            final String[] c = line.trim().split(" ");
            String out;
            try {
                out = run(c, root);
            } catch (final Exception | Error e) {
                out = "ERR " + e.getClass().getName() + " " + e.getMessage();
            }
            System.out.println(out.replace('\n', ' '));
        }
    }

    private static String run(final String[] c, final Path root) throws Exception {
        switch (c[0]) {
            case "agent" -> {
                final String[] peer = c[3].split("=", 2);
                driven = java.util.Arrays.asList(c).contains("invoker");
                final NicAgent.Context ctx = new NicAgent.Context().fabric(root).host(c[1]).listen(c[2])
                    .peer(peer[0], peer[1]).timeout(Long.parseLong(c[4]), TimeUnit.MILLISECONDS).dutyThread(!driven);
                for (final String option : c) {
                    if (option.startsWith("idle=")) {
                        final String[] v = option.substring(5).split(":");
                        ctx.dutyIdleStrategy(new org.agrona.concurrent.BackoffIdleStrategy(Long.parseLong(v[0]),
                            Long.parseLong(v[1]), Long.parseLong(v[2]), Long.parseLong(v[3])));
                    }
                    if (option.startsWith("loss=")) {
                        final double rate = Double.parseDouble(option.substring(5));
                        ctx.injectLoss(rate, rate, 42);
                    }
                }
                agent = NicAgent.launch(ctx);
                if (driven) {
                    // between commands nobody waits on the link: this thread drives it until echo or ping does
                    final Thread t = new Thread(() -> {
                        final org.agrona.concurrent.IdleStrategy idle = new org.agrona.concurrent.BackoffIdleStrategy(
                            100, 10, 1_000, 100_000);
                        while (!loopDrives) {
                            idle.idle(agent.doWork());
                        }
                    }, "driver");
                    t.setDaemon(true);
                    t.start();
                }
                return "OK";
            }
            case "export" -> {
                final long size = Long.parseLong(c[2]);
                final InboundMapping m = app.export(c[1], size, Long.parseLong(c[3]), TripwireUnit.sidecarBytes(size, 16));
                EXPORTS.put(c[1], m);
                return "OK " + m.generation();
            }
            case "arm" -> {
                final InboundMapping m = EXPORTS.get(c[1]);
                final int slots = Integer.parseInt(c[3]);
                unit.arm(m, Tripwire.Options.word(Long.parseLong(c[2])));
                final Thread t = new Thread(() -> poll(m, slots), "poller");
                t.setDaemon(true);
                t.start();
                return "OK";
            }
            case "armOnce" -> {
                final Tripwire t = unit.arm(EXPORTS.get(c[1]), Tripwire.Options.word(Long.parseLong(c[2])).oneShot());
                onceId = t.id();
                return "OK";
            }
            case "events" -> {
                return "OK " + quiesced();
            }
            case "awaitEvents" -> {
                final long want = Long.parseLong(c[1]);
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Long.parseLong(c[2]));
                while (EVENTS.get() < want && System.nanoTime() - deadline < 0) {
                    LockSupport.parkNanos(1_000_000);
                }
                return "OK " + quiesced();
            }
            case "store" -> {
                IMPORTS.get(c[1]).putLongRelease(Long.parseLong(c[2]), Long.parseLong(c[3]));
                return "OK";
            }
            case "unexport" -> {
                EXPORTS.remove(c[1]).close();
                return "OK";
            }
            case "import" -> {
                final RemoteRegion r = agent.importRegion(c[1], Long.parseLong(c[2]));
                IMPORTS.put(c[1], r);
                return "OK " + r.size() + " " + r.generation();
            }
            case "send" -> {
                final RemoteRegion r = IMPORTS.get(c[1]);
                final int count = Integer.parseInt(c[2]);
                final int slots = Integer.parseInt(c[3]);
                final byte[] slot = new byte[64];
                final java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(slot).order(java.nio.ByteOrder.nativeOrder());
                for (int i = 1; i <= count; i++) {
                    b.putLong(0, i);
                    for (int k = 8; k < 56; k++) {
                        slot[k] = (byte) (i + k);
                    }
                    b.putLong(56, i);
                    r.put(64 + 64L * (i % slots), slot, 0, slot.length);
                    r.putLongRelease(0, i);
                }
                return "OK";
            }
            case "read" -> {
                return "OK " + IMPORTS.get(c[1]).getLongVolatile(Long.parseLong(c[2]));
            }
            case "mimport" -> {
                final org.softclan.dsm.OutboundMapping m = app.importRegion(c[1], Long.parseLong(c[2]));
                MAPPINGS.put(c[1], m);
                return "OK " + m.size() + " " + m.generation();
            }
            case "msend" -> {
                final org.softclan.dsm.OutboundMapping m = MAPPINGS.get(c[1]);
                final int count = Integer.parseInt(c[2]);
                final int slots = Integer.parseInt(c[3]);
                final boolean dma = c.length > 4 && c[4].equals("dma");
                final org.softclan.dsm.RegisteredMemory src = dma ? app.allocate(64L * count) : null;
                final byte[] slot = new byte[64];
                final java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(slot).order(java.nio.ByteOrder.nativeOrder());
                try {
                    for (int i = 1; i <= count; i++) {
                        b.putLong(0, i);
                        for (int k = 8; k < 56; k++) {
                            slot[k] = (byte) (i + k);
                        }
                        b.putLong(56, i);
                        if (dma) {
                            src.put(64L * (i - 1), slot, 0, slot.length);
                            app.dma().write(src, 64L * (i - 1), m, 64 + 64L * (i % slots), 64);
                        } else {
                            m.put(64 + 64L * (i % slots), slot, 0, slot.length);
                        }
                        m.putLongRelease(0, i);
                    }
                } finally {
                    if (src != null) {
                        src.close();
                    }
                }
                return "OK";
            }
            case "mstore" -> {
                MAPPINGS.get(c[1]).putLongRelease(Long.parseLong(c[2]), Long.parseLong(c[3]));
                return "OK";
            }
            case "mread" -> {
                return "OK " + MAPPINGS.get(c[1]).getLongAcquire(Long.parseLong(c[2]));
            }
            case "mcas" -> {
                return "OK " + MAPPINGS.get(c[1]).compareAndSetLong(Long.parseLong(c[2]), Long.parseLong(c[3]),
                    Long.parseLong(c[4]));
            }
            case "madd" -> {
                return "OK " + MAPPINGS.get(c[1]).getAndAddLong(Long.parseLong(c[2]), Long.parseLong(c[3]));
            }
            case "mbytes" -> {
                final org.softclan.dsm.OutboundMapping m = MAPPINGS.get(c[1]);
                final long offset = Long.parseLong(c[2]);
                final byte[] out = new byte[Integer.parseInt(c[3])];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (byte) (Integer.parseInt(c[4]) + i);
                }
                m.put(offset, out);
                final byte[] in = new byte[out.length];
                m.get(offset, in, 0, in.length);
                // the plain loads of a network link decode the bytes of a remote read in native order
                final java.nio.ByteBuffer w = java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.nativeOrder());
                final boolean loads = m.getByte(offset + 1) == out[1] && m.getInt(offset + 1) == w.getInt(1)
                    && m.getLong(offset + 3) == w.getLong(3);
                return "OK " + (java.util.Arrays.equals(out, in) && loads ? "same" : "differs");
            }
            case "mstate" -> {
                final org.softclan.dsm.OutboundMapping m = MAPPINGS.get(c[1]);
                return "OK valid=" + m.isValid() + " ownerAlive=" + m.ownerAlive();
            }
            case "maddress" -> {
                return "OK " + MAPPINGS.get(c[1]).address(0, 8);
            }
            case "listen" -> {
                final org.softclan.vmmc.Listener l = org.softclan.vmmc.Vmmc.listen(app, c[1], context(c, 2));
                final Thread t = new Thread(() -> serve(l), "echo-server");
                t.setDaemon(true);
                t.start();
                return "OK";
            }
            case "connect" -> {
                loopDrives = driven && c.length > 2;
                connection = org.softclan.vmmc.Vmmc.connect(app, c[1], context(c, 2), 20, TimeUnit.SECONDS);
                return "OK " + connection.name();
            }
            case "cecho" -> {
                return "OK " + echoRounds(Integer.parseInt(c[1]), Integer.parseInt(c[2]));
            }
            case "slisten" -> {
                final org.softclan.vmmc.stream.StreamListener l = org.softclan.vmmc.stream.ByteStreams.listen(app, c[1],
                    context(c, 3));
                final org.softclan.vmmc.stream.ReceiveTechnique technique = receiveTechnique(c[2]);
                final Thread t = new Thread(() -> readStreams(l, technique), "stream-reader");
                t.setDaemon(true);
                t.start();
                return "OK";
            }
            case "ssend" -> {
                final org.softclan.vmmc.stream.SendTechnique technique = sendTechnique(c[3]);
                final long t0 = System.nanoTime();
                try (org.softclan.vmmc.stream.ByteStream s = org.softclan.vmmc.stream.ByteStreams.connect(app, c[1],
                    context(c, 4), 20, TimeUnit.SECONDS)) {
                    stream = s;
                    final long crc = writeStream(s, technique, Long.parseLong(c[2]));
                    s.shutdownOutput();
                    return "OK bytes=" + c[2] + " crc=" + crc + " ms=" + (System.nanoTime() - t0) / 1_000_000;
                }
            }
            case "sopen" -> {
                streamTechnique = sendTechnique(c[2]);
                stream = org.softclan.vmmc.stream.ByteStreams.connect(app, c[1], context(c, 3), 20, TimeUnit.SECONDS);
                return "OK";
            }
            case "swrite" -> {
                writeStream(stream, streamTechnique, Long.parseLong(c[1]) << 20);
                return "OK";
            }
            case "rserve" -> {
                final org.softclan.vmmc.rpc.RpcServer.Context ctx = new org.softclan.vmmc.rpc.RpcServer.Context();
                if (c.length > 2) {
                    ctx.waitStrategy(agent.waitStrategy(Long.parseLong(c[2])));
                }
                org.softclan.vmmc.rpc.RpcServer.create(app, c[1], ctx).handle(ECHO, x -> x).handle(HOLD, x -> {
                    System.out.println("HELD");
                    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(60));
                    return x;
                }).start();
                return "OK";
            }
            case "rcall" -> {
                final org.softclan.vmmc.rpc.RpcClient.Context ctx = new org.softclan.vmmc.rpc.RpcClient.Context();
                if (c.length > 4) {
                    ctx.waitStrategy(agent.waitStrategy(Long.parseLong(c[4])));
                }
                rpc = org.softclan.vmmc.rpc.RpcClient.connect(app, c[1], ctx, 20, TimeUnit.SECONDS);
                final int n = Integer.parseInt(c[2]);
                final long[] t = new long[n];
                int bad = 0;
                for (int i = 0; i < n; i++) {
                    final String q = (i + "-" + "x".repeat(Integer.parseInt(c[3]))).substring(0, Integer.parseInt(c[3]));
                    final long t0 = System.nanoTime();
                    final String r = rpc.call(ECHO, q, 20, TimeUnit.SECONDS);
                    t[i] = System.nanoTime() - t0;
                    if (!q.equals(r)) {
                        bad++;
                    }
                }
                java.util.Arrays.sort(t);
                return "OK calls=" + n + " bad=" + bad + " p50us=" + t[n / 2] / 1_000;
            }
            case "rhold" -> {
                rpc.call(HOLD, "h", 60, TimeUnit.SECONDS);
                return "OK";
            }
            case "list" -> {
                final StringBuilder out = new StringBuilder("OK");
                for (final NicAgent.RemoteRegionInfo r : agent.regionsOf(c[1])) {
                    out.append(' ').append(r.name()).append(':').append(r.size()).append(':').append(r.generation());
                }
                return out.toString();
            }
            case "agentclose" -> {
                agent.close();
                IMPORTS.clear();
                MAPPINGS.clear();
                return "OK";
            }
            case "nodriver" -> {
                loopDrives = true;   // the driver thread stops: the program's waits drive the agent from now on
                return "OK";
            }
            case "cclose" -> {
                connection.close();
                return "OK";
            }
            case "counters" -> {
                final StringBuilder s = new StringBuilder("OK");
                agent.counters().forEach((k, v) -> s.append(' ').append(k).append('=').append(v));
                return s.toString();
            }
            case "echo" -> {
                loopDrives = driven;
                LinkPing.echo(agent, driven, unit, EXPORTS.get(c[1]), IMPORTS.get(c[2]));
                return "OK";
            }
            case "ping" -> {
                loopDrives = driven;
                return "OK " + LinkPing.ping(agent, driven, unit, EXPORTS.get(c[1]), IMPORTS.get(c[2]), Integer.parseInt(c[3]),
                    Integer.parseInt(c[4]));
            }
            case "aeronEcho" -> {
                LinkPing.aeronEcho(new LinkPing.AeronPeer(root.resolve("aeron-raw"), c[1], c[2], c.length > 3));
                return "OK";
            }
            case "aeronPing" -> {
                return "OK " + LinkPing.aeronPing(new LinkPing.AeronPeer(root.resolve("aeron-raw"), c[1], c[2], c.length > 5),
                    Integer.parseInt(c[3]), Integer.parseInt(c[4]));
            }
            case "tcpEcho" -> {
                LinkPing.tcpEcho(Integer.parseInt(c[1]));
                return "OK";
            }
            case "tcpPing" -> {
                return "OK " + LinkPing.tcpPing(c[1], Integer.parseInt(c[2]), Integer.parseInt(c[3]), Integer.parseInt(c[4]));
            }
            case "forge" -> {
                forge(c[1], c[2]);
                return "OK";
            }
            default -> throw new IllegalArgumentException("unknown command " + c[0]);
        }
    }

    /** {@return a connection context, waiting with the agent's strategy if {@code c[i]} gives its drive time} */
    private static org.softclan.vmmc.ConnectionContext context(final String[] c, final int i) {
        final org.softclan.vmmc.ConnectionContext ctx = new org.softclan.vmmc.ConnectionContext();
        return c.length > i ? ctx.waitStrategy(agent.waitStrategy(Long.parseLong(c[i]))) : ctx;
    }

    private static org.softclan.vmmc.stream.SendTechnique sendTechnique(final String name) {
        for (final org.softclan.vmmc.stream.SendTechnique t : org.softclan.vmmc.stream.SendTechnique.values()) {
            if (t.cliName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("send technique " + name);
    }

    private static org.softclan.vmmc.stream.ReceiveTechnique receiveTechnique(final String name) {
        for (final org.softclan.vmmc.stream.ReceiveTechnique t : org.softclan.vmmc.stream.ReceiveTechnique.values()) {
            if (t.cliName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("receive technique " + name);
    }

    /** Writes {@code bytes} more of the generated stream; {@return the CRC32C of what this call wrote} */
    private static long writeStream(final org.softclan.vmmc.stream.ByteStream s,
                                    final org.softclan.vmmc.stream.SendTechnique technique, final long bytes)
        throws java.io.IOException {
        final int chunk = 256 * 1024;
        final java.nio.ByteBuffer buf = technique == org.softclan.vmmc.stream.SendTechnique.DIRECT_DMA
            ? s.allocateSendBuffer(chunk) : java.nio.ByteBuffer.allocateDirect(chunk);
        final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        long left = bytes;
        while (left > 0) {
            buf.clear();
            final int n = (int) Math.min(chunk, left);
            for (int i = 0; i < n; i++) {
                final long at = streamPosition + i;
                buf.put(i, (byte) (at * 7 + at / 4096));
            }
            buf.limit(n);
            crc.update(buf);
            buf.rewind();
            if (technique.classicalSemantics()) {
                s.write(buf, technique);
            } else {
                while (buf.hasRemaining()) {
                    s.send(buf, technique).awaitReady(20, TimeUnit.SECONDS);
                }
            }
            streamPosition += n;
            left -= n;
        }
        return crc.getValue();
    }

    /** Accepts streams one at a time and reads each to its end: prints its length and CRC32C. */
    private static void readStreams(final org.softclan.vmmc.stream.StreamListener l,
                                    final org.softclan.vmmc.stream.ReceiveTechnique technique) {
        while (true) {
            try (org.softclan.vmmc.stream.ByteStream s = l.accept(1, TimeUnit.HOURS,
                new org.softclan.vmmc.stream.ByteStreamContext().receiveTechnique(technique)
                    .readTimeout(30, TimeUnit.SECONDS))) {
                final java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(1 << 20);
                final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                long bytes = 0;
                try {
                    while (true) {
                        buf.clear();
                        final int n = s.read(buf);
                        if (n < 0) {
                            break;
                        }
                        buf.flip();
                        crc.update(buf);
                        bytes += n;
                    }
                    System.out.println("STREAM bytes=" + bytes + " crc=" + crc.getValue());
                } catch (final java.io.IOException | RuntimeException e) {
                    System.out.println("STREAM failed after " + bytes + " bytes: " + e);
                }
            } catch (final RuntimeException e) {
                System.out.println("STREAM accept failed: " + e);
            }
        }
    }

    /** The echo server: accepts connections one at a time and sends every message back as it came. */
    private static void serve(final org.softclan.vmmc.Listener l) {
        while (true) {
            final org.softclan.vmmc.Connection conn;
            try {
                conn = l.accept(1, TimeUnit.HOURS);
            } catch (final RuntimeException e) {
                System.out.println("accept failed: " + e);
                continue;
            }
            final byte[][] in = {new byte[256]};
            final int[] length = new int[1];
            try {
                while (true) {
                    final int n = conn.receive((buffer, offset, len) -> {
                        if (in[0].length < len) {
                            in[0] = new byte[len];
                        }
                        buffer.read(offset, in[0], 0, len);
                        length[0] = len;
                    }, 1, 1, TimeUnit.HOURS);
                    if (n == 1) {
                        conn.send(in[0], 0, length[0], 20, TimeUnit.SECONDS);
                    }
                }
            } catch (final RuntimeException e) {
                System.out.println("echo connection ended: " + e);
                conn.close();
            }
        }
    }

    /** {@return the outcome of {@code rounds} echo round trips of {@code size}-byte messages} */
    private static String echoRounds(final int rounds, final int size) {
        final byte[] out = new byte[size];
        final byte[] back = new byte[size];
        final int[] got = new int[1];
        final long[] rtt = new long[rounds];
        int bad = 0;
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < size; k++) {
                out[k] = (byte) (i * 31 + k);
            }
            final long t0 = System.nanoTime();
            connection.send(out, 0, size, 20, TimeUnit.SECONDS);
            got[0] = -1;
            final int n = connection.receive((buffer, offset, len) -> {
                got[0] = len;
                buffer.read(offset, back, 0, Math.min(len, size));
            }, 1, 20, TimeUnit.SECONDS);
            rtt[i] = System.nanoTime() - t0;
            if (n != 1 || got[0] != size || !java.util.Arrays.equals(out, back)) {
                bad++;
            }
        }
        java.util.Arrays.sort(rtt);
        return "rtts=" + rounds + " bad=" + bad + " p50us=" + rtt[rounds / 2] / 1_000 + " maxus=" + rtt[rounds - 1] / 1_000;
    }

    /**
     * Sends {@code host}'s agent one forged message, as a hostile host would: {@code short} (shorter than
     * the header), {@code version} (another version), {@code type} (an unknown type), {@code nameLength}
     * (a WRITE whose name length points past the message), {@code negative} (a negative data length),
     * {@code badName} (a name with a control byte), {@code bounds} (a WRITE of region r past its end, with
     * its right key and generation 1), {@code lookupStranger} (a LOOKUP from a host that is not a peer),
     * {@code readHuge} (a READ of 2^31-1 bytes), {@code lookupInvalid} (a LOOKUP of "r!", printable but no
     * region name), {@code lookupInternal} (a LOOKUP of "evq-x", a name reserved for a host's own layers),
     * {@code replyForged} (a LOOKUP_REPLY nobody asked for).
     */
    private static void forge(final String host, final String what) {
        final org.agrona.ExpandableArrayBuffer b = new org.agrona.ExpandableArrayBuffer(256);
        final byte[] r = {'r'};
        int length = LinkMessageDescriptor.WRITE_NAME_OFFSET + 1 + 8;
        NicAgent.header(b, LinkMessageDescriptor.WRITE_TYPE, 0);
        b.putLong(LinkMessageDescriptor.WRITE_GENERATION_OFFSET, 1);
        b.putLong(LinkMessageDescriptor.WRITE_KEY_OFFSET, 7);
        b.putLong(LinkMessageDescriptor.WRITE_OFFSET_OFFSET, 0);
        b.putInt(LinkMessageDescriptor.WRITE_KIND_OFFSET, LinkMessageDescriptor.KIND_BYTES);
        b.putInt(LinkMessageDescriptor.WRITE_NAME_LENGTH_OFFSET, 1);
        b.putInt(LinkMessageDescriptor.WRITE_DATA_LENGTH_OFFSET, 8);
        b.putBytes(LinkMessageDescriptor.WRITE_NAME_OFFSET, r);
        switch (what) {
            case "short" -> length = 7;
            case "version" -> b.putInt(LinkMessageDescriptor.VERSION_OFFSET, 99);
            case "type" -> b.putInt(LinkMessageDescriptor.TYPE_OFFSET, 42);
            case "nameLength" -> b.putInt(LinkMessageDescriptor.WRITE_NAME_LENGTH_OFFSET, 1 << 20);
            case "negative" -> b.putInt(LinkMessageDescriptor.WRITE_DATA_LENGTH_OFFSET, -8);
            case "badName" -> b.putByte(LinkMessageDescriptor.WRITE_NAME_OFFSET, (byte) 7);
            case "bounds" -> b.putLong(LinkMessageDescriptor.WRITE_OFFSET_OFFSET, 4096 - 4);
            case "lookupInvalid", "lookupInternal" -> {
                final byte[] me = agent.host().getBytes(StandardCharsets.US_ASCII);
                final byte[] n = (what.equals("lookupInvalid") ? "r!" : "evq-x").getBytes(StandardCharsets.US_ASCII);
                NicAgent.header(b, LinkMessageDescriptor.LOOKUP_TYPE, 97);
                b.putLong(LinkMessageDescriptor.LOOKUP_KEY_OFFSET, 0);
                b.putInt(LinkMessageDescriptor.LOOKUP_HOST_LENGTH_OFFSET, me.length);
                b.putInt(LinkMessageDescriptor.LOOKUP_NAME_LENGTH_OFFSET, n.length);
                b.putBytes(LinkMessageDescriptor.LOOKUP_NAMES_OFFSET, me);
                b.putBytes(LinkMessageDescriptor.LOOKUP_NAMES_OFFSET + me.length, n);
                length = LinkMessageDescriptor.LOOKUP_NAMES_OFFSET + me.length + n.length;
            }
            case "replyForged" -> {
                NicAgent.header(b, LinkMessageDescriptor.LOOKUP_REPLY_TYPE, 12345);
                b.putInt(LinkMessageDescriptor.REPLY_STATUS_OFFSET, LinkMessageDescriptor.STATUS_OK);
                b.putInt(LinkMessageDescriptor.REPLY_TEXT_LENGTH_OFFSET, 0);
                b.putLong(LinkMessageDescriptor.LOOKUP_REPLY_SIZE_OFFSET, 1L << 40);
                b.putLong(LinkMessageDescriptor.LOOKUP_REPLY_GENERATION_OFFSET, 1);
                length = LinkMessageDescriptor.LOOKUP_REPLY_TEXT_OFFSET;
            }
            case "lookupStranger" -> {
                final byte[] stranger = "mallory".getBytes(StandardCharsets.US_ASCII);
                NicAgent.header(b, LinkMessageDescriptor.LOOKUP_TYPE, 99);
                b.putLong(LinkMessageDescriptor.LOOKUP_KEY_OFFSET, 7);
                b.putInt(LinkMessageDescriptor.LOOKUP_HOST_LENGTH_OFFSET, stranger.length);
                b.putInt(LinkMessageDescriptor.LOOKUP_NAME_LENGTH_OFFSET, 1);
                b.putBytes(LinkMessageDescriptor.LOOKUP_NAMES_OFFSET, stranger);
                b.putBytes(LinkMessageDescriptor.LOOKUP_NAMES_OFFSET + stranger.length, r);
                length = LinkMessageDescriptor.LOOKUP_NAMES_OFFSET + stranger.length + 1;
            }
            case "readHuge" -> {
                final byte[] me = agent.host().getBytes(StandardCharsets.US_ASCII);
                NicAgent.header(b, LinkMessageDescriptor.READ_TYPE, 98);
                b.putLong(LinkMessageDescriptor.READ_GENERATION_OFFSET, 1);
                b.putLong(LinkMessageDescriptor.READ_KEY_OFFSET, 7);
                b.putLong(LinkMessageDescriptor.READ_OFFSET_OFFSET, 0);
                b.putInt(LinkMessageDescriptor.READ_LENGTH_OFFSET, Integer.MAX_VALUE);
                b.putInt(LinkMessageDescriptor.READ_HOST_LENGTH_OFFSET, me.length);
                b.putInt(LinkMessageDescriptor.READ_NAME_LENGTH_OFFSET, 1);
                b.putBytes(LinkMessageDescriptor.READ_NAMES_OFFSET, me);
                b.putBytes(LinkMessageDescriptor.READ_NAMES_OFFSET + me.length, r);
                length = LinkMessageDescriptor.READ_NAMES_OFFSET + me.length + 1;
            }
            default -> throw new IllegalArgumentException("forge " + what);
        }
        agent.offer(agent.publication(host), host, b, length, "a forged message");
    }

    /**
     * {@return the counts once every event posted so far is handled}: the queue empty, then two more polls
     * of the poller (the one that took the last event has returned)
     */
    private static String quiesced() {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (unit.events().size() > 0 && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(100_000);
        }
        final long r = ROUNDS.get();
        while (ROUNDS.get() < r + 2 && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(100_000);
        }
        return "count=" + EVENTS.get() + " bad=" + BAD.get() + " once=" + ONCE.get() + " disorder=" + DISORDER.get();
    }

    /**
     * Polls the unit's events; for each firing of the pointer word, checks that the slot the pointer names
     * holds that message or a later one of the same slot (never an older one: data before the pointer).
     */
    private static void poll(final InboundMapping m, final int slots) {
        while (true) {
            final int n = unit.events().poll((seq, id, cookie, region, offset, length, value) -> {
                if (id == onceId) {
                    ONCE.incrementAndGet();
                    return;
                }
                EVENTS.incrementAndGet();
                if (value != 1 && value != LAST.get() + 1) {
                    DISORDER.incrementAndGet();   // a pointer store lost, repeated or out of order (a run starts at 1)
                }
                LAST.set(value);
                final long at = 64 + 64L * (value % slots);
                final long first = m.getLong(at);
                final long last = m.getLong(at + 56);
                if (first < value || last < value || (first - value) % slots != 0) {
                    BAD.incrementAndGet();
                }
            }, 256);
            ROUNDS.incrementAndGet();
            if (n == 0) {
                LockSupport.parkNanos(50_000);
            }
        }
    }
}
