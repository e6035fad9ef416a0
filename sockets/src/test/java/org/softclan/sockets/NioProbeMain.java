package org.softclan.sockets;

import static org.softclan.sockets.SelectionText.ms;
import static org.softclan.sockets.SelectionText.ops;
import static org.softclan.sockets.SelectionText.selected;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.ByteStreams;
import org.softclan.vmmc.stream.StreamListener;

/**
 * An NIO program driven line by line on stdin for the hostile-peer review of the layer's NIO side
 * ({@link NioHostilePeerTest}). As a <em>victim</em> it is an ordinary NIO program (server and client
 * channels, one selector); as a <em>hostile</em> peer it holds accelerated connections like any program
 * of the layer, then misbehaves through the shared memory they give it (its own connection's
 * {@link Connection}, reached by reflection: what a process of the fabric can write anyway), or through
 * the fabric's files. Each command prints one line, {@code OK ...} or {@code ERR <class> <message>};
 * the commands that start a thread print their later lines with their own prefix.
 *
 * <pre>
 * listen S [BACKLOG]         ServerSocketChannel on 127.0.0.1:0: OK port
 * accept S N                 blocking accept: OK remotePort accelerated=B
 * acceptMany S PREFIX K      a thread accepts K connections named PREFIX0.. by remote port: ACCEPTED PREFIX k=K accelerated=A
 * connect N PORT             blocking SocketChannel.open: OK localPort accelerated=B
 * connectMany PREFIX PORT K  K blocking connects (4 threads), named by local port: OK K accelerated=A
 * nbconnect N PORT           on a thread: open, configureBlocking(false), connect: CONNECTED N returned=B ms=T
 *                            cpu=T accelerated=B | CONNECTED N ERR class message ms=T cpu=T
 *   ... finish              then waits for OP_CONNECT in a selector and calls finishConnect: finished=B fms=T (since the
 *                            connect) selects=K, accelerated= as it then is
 * pipe N                     a Pipe: N is its source (selected, read), writes go to its sink
 * blocking N|PREFIX* B       configureBlocking
 * info N                     OK accelerated=B ring=FILE peerRing=FILE bell=FILE (the layer's view)
 * write N K                  writes K bytes (a non-blocking channel retried up to 10 s): OK K
 * rawWrite N K              writes K bytes through the accelerated channel's stream itself: OK K
 * fill N|PREFIX*             non-blocking writes until one takes nothing (each channel): OK total
 * read1 N                    one read of up to 64 KiB: OK n | ERR
 * read N K                   reads until K bytes (10 s at most): OK K | OK SHORT k
 * finish N                   finishConnect until true (10 s at most): OK
 * poke FILE OFFSET V         maps a fabric file and stores the int V at OFFSET of its data area (after the
 *                            region file's 4-KiB header): OK
 * pokeLoop FILE OFFSET V [MS] the same in a loop, on a thread, until stopFlood; with MS, a futex wake of the
 *                            queue's doorbell (data offset 384) every MS ms too
 * drain N                    non-blocking reads until 0 or -1: OK total last
 * closeAsync N               closes N on a thread: CLOSED N OK ms=T
 * close N|PREFIX*
 * selector                   a new selector (the old one closed): OK class
 * register N|PREFIX* OPS     OPS letters r w a c, or 0
 * selectNow | select MS      OK n=N ms=T keys=name:ops,... (selected keys cleared)
 * selectAsync MS             on a thread: SELECTED n=N ms=T keys=...
 * cpu MS                     CPU over MS ms of selectAsync's thread, the selector's watcher, the process
 * loopStart                  on a thread: select() in a loop, each selected key read (non-blocking,
 *                            64 KiB) until it gives 0; counts selects returning 0, reads returning 0
 *                            on a key selected for reading, bytes and errors per channel
 * loopStop                   OK selects=S zero=Z empty=E bytes=name:n,... errors=name:message,...
 * flood N                    hostile: a thread rings the peer's doorbell of N (nudges) in a loop: OK
 * floodRate                  hostile: OK nudges=K (so far)
 * stopFlood                  hostile: OK nudges=K rate=R/s cpu=T
 * forgeWp N DELTA            hostile: stores its write pointer into the peer's ring + DELTA (and rings): OK old new
 * garbage N TYPE             hostile: one ring record of one byte, frame type TYPE, into the peer's ring: OK
 * cutTcp N|PREFIX*           hostile: closes the TCP connection under an accelerated channel, not its stream: OK
 * truncate FILE SIZE         cuts a file of the fabric to SIZE bytes: OK
 * fakeListen PORT MODE       hostile: registers the layer's service of PORT; MODE ack (acks every hello
 *                            as itself), silent (accepts the stream, reads the hello, prints HELLO, never
 *                            acks), noaccept (never accepts the stream): OK
 * ctl N OFFSET V             hostile: stores the long V at OFFSET of the stream's control area in the peer's region
 * stampTrickle N US K        as trickle, 8-byte messages of System.nanoTime(): TRICKLED K
 * stampLoop K                on a thread, a select loop reading 8-byte stamps until K: LATENCY n=K median=T max=T
 *                            over20ms=k (ms from the stamp to the select's return)
 * trickle N US K             writes K single bytes to N, one every US microseconds, on a thread: TRICKLED K
 * inflate FDS MAPS           opens FDS descriptors and makes MAPS mappings, kept: OK
 * reset                      closes every channel but the server channels, the selector, ends the threads
 * </pre>
 */
public final class NioProbeMain {
    private static final Map<String, SocketChannel> CONNS = new ConcurrentHashMap<>();
    private static final Map<String, Pipe> PIPES = new ConcurrentHashMap<>();
    private static final Map<String, ServerSocketChannel> SERVERS = new ConcurrentHashMap<>();
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static final Set<Thread> LIVE = ConcurrentHashMap.newKeySet();
    private static final List<Object> KEEP = new ArrayList<>();
    private static volatile Selector selector;
    private static volatile Thread selectThread;
    private static volatile boolean stop;
    private static final AtomicLong NUDGES = new AtomicLong();
    private static volatile long floodStart;
    private static volatile Thread flooder;
    private static volatile Thread looper;
    private static volatile String loopResult;

    private NioProbeMain() {
    }

    public static void main(final String[] args) throws Exception {
        final BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("READY");
        String line;
        while ((line = stdin.readLine()) != null) {
            final String[] c = line.trim().split(" ");
            String out;
            try {
                out = run(c);
            } catch (final Exception | Error e) {
                // an Error too (an InternalError a program would not catch): the test reports it
                out = "ERR " + e.getClass().getName() + " " + e.getMessage();
            }
            System.out.println(out);
        }
    }

    private static String run(final String[] c) throws Exception {
        switch (c[0]) {
            case "listen" -> {
                final ServerSocketChannel s = ServerSocketChannel.open();
                s.bind(new InetSocketAddress("127.0.0.1", 0), c.length > 2 ? Integer.parseInt(c[2]) : 0);
                SERVERS.put(c[1], s);
                return "OK " + ((InetSocketAddress) s.getLocalAddress()).getPort();
            }
            case "accept" -> {
                final long t0 = System.nanoTime();
                final long cpu0 = MX.getCurrentThreadCpuTime();
                final SocketChannel ch = SERVERS.get(c[1]).accept();
                final String took = " ms=" + ms(System.nanoTime() - t0) + " cpu=" + ms(MX.getCurrentThreadCpuTime() - cpu0);
                CONNS.put(c[2], ch);
                return "OK " + ((InetSocketAddress) ch.getRemoteAddress()).getPort() + took + " accelerated=" + accelerated(ch);
            }
            case "acceptMany" -> {
                final ServerSocketChannel s = SERVERS.get(c[1]);
                final String prefix = c[2];
                final int k = Integer.parseInt(c[3]);
                thread("accept-many", () -> {
                    int acc = 0;
                    try {
                        for (int i = 0; i < k; i++) {
                            final SocketChannel ch = s.accept();
                            CONNS.put(prefix + i, ch);
                            acc += accelerated(ch) ? 1 : 0;
                        }
                        renameByPort(prefix, k, false);
                        System.out.println("ACCEPTED " + prefix + " k=" + k + " accelerated=" + acc);
                    } catch (final Exception e) {
                        System.out.println("ACCEPTED " + prefix + " ERR " + e);
                    }
                });
                return "OK";
            }
            case "connect" -> {
                final long t0 = System.nanoTime();
                final SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", Integer.parseInt(c[2])));
                CONNS.put(c[1], ch);
                return "OK " + ((InetSocketAddress) ch.getLocalAddress()).getPort() + " ms=" + ms(System.nanoTime() - t0)
                    + " accelerated=" + accelerated(ch);
            }
            case "connectMany" -> {
                final int k = Integer.parseInt(c[3]);
                final int port = Integer.parseInt(c[2]);
                final java.util.concurrent.atomic.AtomicInteger acc = new java.util.concurrent.atomic.AtomicInteger();
                final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
                final List<Thread> ts = new ArrayList<>();
                final Map<String, String> errors = new ConcurrentHashMap<>();
                for (int t = 0; t < 4; t++) {
                    ts.add(thread("connect-many", () -> {
                        for (int i = next.getAndIncrement(); i < k; i = next.getAndIncrement()) {
                            try {
                                final SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                                CONNS.put(c[1] + i, ch);
                                acc.addAndGet(accelerated(ch) ? 1 : 0);
                            } catch (final IOException e) {
                                errors.put(c[1] + i, e.toString());
                            }
                        }
                    }));
                }
                for (final Thread t : ts) {
                    t.join();
                }
                if (errors.isEmpty()) {
                    // named by local port, as the victim names its accepted channels by remote port: the same
                    // connection gets the same name on both sides whatever the order of connects and accepts
                    renameByPort(c[1], k, true);
                }
                return errors.isEmpty() ? "OK " + k + " accelerated=" + acc.get() : "ERR " + errors;
            }
            case "nbconnect" -> {
                final String name = c[1];
                final int port = Integer.parseInt(c[2]);
                final Thread t = thread("nbconnect-" + name, () -> {
                    final long cpu0 = MX.getCurrentThreadCpuTime();
                    final long t0 = System.nanoTime();
                    String result;
                    try {
                        final SocketChannel ch = SocketChannel.open();
                        ch.configureBlocking(false);
                        final boolean r = ch.connect(new InetSocketAddress("127.0.0.1", port));
                        CONNS.put(name, ch);
                        result = "returned=" + r + " ms=" + ms(System.nanoTime() - t0) + " cpu="
                            + ms(MX.getCurrentThreadCpuTime() - cpu0);
                        if (!r && c.length > 3 && c[3].equals("finish")) {
                            // as an event loop: OP_CONNECT from a selector, then finishConnect
                            try (Selector sel = Selector.open()) {
                                final SelectionKey k = ch.register(sel, SelectionKey.OP_CONNECT);
                                boolean done = false;
                                final long end = System.nanoTime() + 10_000_000_000L;
                                int selects = 0;
                                while (!done && System.nanoTime() < end) {
                                    if (sel.select(1_000) > 0) {
                                        sel.selectedKeys().clear();
                                        done = ch.finishConnect();
                                    }
                                    selects++;
                                }
                                k.cancel();
                                sel.selectNow();
                                result += " finished=" + done + " fms=" + ms(System.nanoTime() - t0) + " selects=" + selects;
                            }
                        }
                        result += " accelerated=" + accelerated(ch);
                    } catch (final Exception e) {
                        result = "ERR " + e.getClass().getName() + " " + String.valueOf(e.getMessage()).replace(' ', '_')
                            + " ms=" + ms(System.nanoTime() - t0) + " cpu=" + ms(MX.getCurrentThreadCpuTime() - cpu0);
                    }
                    System.out.println("CONNECTED " + name + " " + result);
                });
                selectThread = t;   // "cpu" measures it while it connects
                return "OK";
            }
            case "pipe" -> {
                final Pipe p = Pipe.open();
                p.source().configureBlocking(false);
                PIPES.put(c[1], p);
                return "OK";
            }
            case "blocking" -> {
                for (final SelectableChannel ch : channels(c[1])) {
                    ch.configureBlocking(Boolean.parseBoolean(c[2]));
                }
                return "OK";
            }
            case "info" -> {
                final SocketChannel ch = conn(c[1]);
                if (!(ch instanceof LayerSocketChannel l) || !l.accelerated()) {
                    return "OK accelerated=false";
                }
                final Connection k = stream(ch).connection();
                final Path root = SocketLayer.fabricRoot();
                return "OK accelerated=true ring=" + root.resolve(k.inbound().regionName() + ".region")
                    + " peerRing=" + root.resolve(k.outbound().regionName() + ".region")
                    + " bell=" + root.resolve(l.bell().regionName() + ".region");
            }
            case "write" -> {
                final SocketChannel ch = conn(c[1]);
                final ByteBuffer b = ByteBuffer.allocate(Integer.parseInt(c[2]));
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (b.hasRemaining()) {
                    if (ch.write(b) == 0 && System.nanoTime() > deadline) {
                        throw new IOException("the channel took no byte for 10 s");
                    }
                }
                return "OK " + c[2];
            }
            case "rawWrite" -> {
                // through the stream itself, whatever became of the channel (its TCP connection closed)
                stream(conn(c[1])).write(ByteBuffer.allocate(Integer.parseInt(c[2])));
                return "OK " + c[2];
            }
            case "fill" -> {
                long total = 0;
                for (final SelectableChannel sc : channels(c[1])) {
                    final SocketChannel ch = (SocketChannel) sc;
                    int size = 8192;
                    while (true) {
                        final int n = ch.write(ByteBuffer.allocate(size));
                        total += n;
                        if (n == 0) {
                            if (size == 1) {
                                break;
                            }
                            size = Math.max(1, size / 2);
                        }
                    }
                }
                return "OK " + total;
            }
            case "read1" -> {
                final SelectableChannel sc = channel(c[1]);
                final int n = sc instanceof Pipe.SourceChannel p ? p.read(ByteBuffer.allocate(65536))
                    : ((SocketChannel) sc).read(ByteBuffer.allocate(65536));
                return "OK " + n;
            }
            case "read" -> {
                final SocketChannel ch = conn(c[1]);
                final ByteBuffer b = ByteBuffer.allocate(Integer.parseInt(c[2]));
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (b.hasRemaining() && System.nanoTime() < deadline) {
                    if (ch.read(b) < 0) {
                        break;
                    }
                }
                return b.hasRemaining() ? "OK SHORT " + b.position() : "OK " + b.position();
            }
            case "finish" -> {
                final SocketChannel ch = conn(c[1]);
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!ch.finishConnect()) {
                    if (System.nanoTime() > deadline) {
                        return "ERR not connected in 10 s";
                    }
                    LockSupport.parkNanos(1_000_000);
                }
                return "OK";
            }
            case "poke" -> {
                // a word of a fabric file, written as a process that maps it would (native order)
                try (FileChannel f = FileChannel.open(Path.of(c[1]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    final ByteBuffer m = f.map(FileChannel.MapMode.READ_WRITE, 0, 8192)
                        .order(java.nio.ByteOrder.nativeOrder());
                    m.putInt(org.softclan.dsm.RegionLayout.HEADER_LENGTH + Integer.parseInt(c[2]), Integer.parseInt(c[3]));

                }
                return "OK";
            }
            case "pokeLoop" -> {
                // a word of a region this process maps, stored in a loop; with RINGMS, every RINGMS ms also a
                // futex wake of the queue's doorbell (a peer may make that system call on memory it maps)
                final int offset = org.softclan.dsm.RegionLayout.HEADER_LENGTH + Integer.parseInt(c[2]);
                final int value = Integer.parseInt(c[3]);
                final long periodNanos = c.length > 4 ? Long.parseLong(c[4]) * 1_000_000L : 0;
                final FileChannel f = FileChannel.open(Path.of(c[1]), StandardOpenOption.READ, StandardOpenOption.WRITE);
                final ByteBuffer m = f.map(FileChannel.MapMode.READ_WRITE, 0, 8192);
                f.close();
                final java.lang.reflect.Field addressField = java.nio.Buffer.class.getDeclaredField("address");
                addressField.setAccessible(true);
                final long doorbell = addressField.getLong(m) + org.softclan.dsm.RegionLayout.HEADER_LENGTH + 384;
                final java.lang.invoke.VarHandle word = java.lang.invoke.MethodHandles.byteBufferViewVarHandle(int[].class,
                    java.nio.ByteOrder.nativeOrder());
                NUDGES.set(0);
                flooder = thread("poke", () -> {
                    long next = System.nanoTime() + periodNanos;
                    while (!stop && !Thread.currentThread().isInterrupted()) {
                        word.setVolatile(m, offset, value);   // each store made, none merged by the JIT
                        if (periodNanos == 0) {
                            NUDGES.incrementAndGet();
                        } else if (System.nanoTime() - next >= 0) {
                            org.softclan.tripwire.os.Futex.incrementAndWakeAll(doorbell);
                            NUDGES.incrementAndGet();
                            next += periodNanos;
                        }
                    }
                });
                floodStart = System.nanoTime();
                return "OK";
            }
            case "ctl" -> {
                // a word of the stream's control area in the peer's receive region, as this end's receiver writes it
                final Connection k = stream(conn(c[1])).connection();
                k.outbound().putLongRelease(Connection.controlOffset(Integer.parseInt(c[2])), Long.parseLong(c[3]));
                return "OK";
            }
            case "stampTrickle" -> {
                // 8-byte messages holding System.nanoTime() (the host's monotonic clock, as in every JVM here)
                final SocketChannel ch = conn(c[1]);
                final long period = TimeUnit.MICROSECONDS.toNanos(Long.parseLong(c[2]));
                final int count = Integer.parseInt(c[3]);
                trickle(ch, period, count, () -> ByteBuffer.allocate(8).putLong(0, System.nanoTime()));
                return "OK";
            }
            case "stampLoop" -> {
                // an event loop that reads 8-byte time stamps from its selected channels: how late each came
                final Selector sel = selector;
                final int count = Integer.parseInt(c[1]);
                selectThread = thread("stamp-loop", () -> {
                    final long[] late = new long[count];
                    int n = 0;
                    final ByteBuffer b = ByteBuffer.allocate(8);
                    try {
                        while (n < count && !stop) {
                            sel.select();
                            final long now = System.nanoTime();
                            for (final SelectionKey k : sel.selectedKeys()) {
                                final SocketChannel ch = (SocketChannel) k.channel();
                                while (n < count) {
                                    final int r = ch.read(b);
                                    if (r <= 0) {
                                        break;
                                    }
                                    if (!b.hasRemaining()) {
                                        late[n++] = now - b.getLong(0);
                                        b.clear();
                                    }
                                }
                            }
                            sel.selectedKeys().clear();
                        }
                        final long[] sorted = Arrays.copyOf(late, n);
                        Arrays.sort(sorted);
                        long over = 0;
                        for (final long x : sorted) {
                            over += x > TimeUnit.MILLISECONDS.toNanos(20) ? 1 : 0;
                        }
                        System.out.println("LATENCY n=" + n + " median=" + ms(sorted[n / 2]) + " max=" + ms(sorted[n - 1])
                            + " over20ms=" + over);
                    } catch (final Exception | Error e) {
                        System.out.println("LATENCY ERR " + e);
                    }
                });
                return "OK";
            }
            case "trickle" -> {
                final SocketChannel ch = conn(c[1]);
                final long period = TimeUnit.MICROSECONDS.toNanos(Long.parseLong(c[2]));
                final int count = Integer.parseInt(c[3]);
                trickle(ch, period, count, () -> ByteBuffer.allocate(1));
                return "OK";
            }
            case "drain" -> {
                final SocketChannel ch = conn(c[1]);
                long total = 0;
                int n;
                while ((n = ch.read(ByteBuffer.allocate(65536))) > 0) {
                    total += n;
                }
                return "OK " + total + " " + n;
            }
            case "closeAsync" -> {
                final SocketChannel ch = conn(c[1]);
                thread("close-" + c[1], () -> {
                    final long t0 = System.nanoTime();
                    String r;
                    try {
                        ch.close();
                        r = "OK";
                    } catch (final Exception e) {
                        r = "ERR " + e;
                    }
                    System.out.println("CLOSED " + c[1] + " " + r + " ms=" + ms(System.nanoTime() - t0));
                });
                return "OK";
            }
            case "close" -> {
                for (final SelectableChannel ch : channels(c[1])) {
                    ch.close();
                }
                return "OK";
            }
            case "selector" -> {
                final Selector old = selector;
                if (old != null) {
                    old.close();
                }
                selector = Selector.open();
                return "OK " + selector.getClass().getSimpleName();
            }
            case "register" -> {
                for (final Map.Entry<String, SelectableChannel> e : named(c[1]).entrySet()) {
                    e.getValue().register(selector, ops(c[2]), e.getKey());
                }
                return "OK";
            }
            case "select" -> {
                final long ms = Long.parseLong(c[1]);
                final long t0 = System.nanoTime();
                final int n = ms == 0 ? selector.select() : selector.select(ms);
                return "OK n=" + n + " ms=" + ms(System.nanoTime() - t0) + " keys=" + selected(selector);
            }
            case "selectNow" -> {
                final long t0 = System.nanoTime();
                final int n = selector.selectNow();
                return "OK n=" + n + " ms=" + ms(System.nanoTime() - t0) + " keys=" + selected(selector);
            }
            case "selectAsync" -> {
                final long ms = Long.parseLong(c[1]);
                final Selector sel = selector;
                selectThread = thread("selector", () -> {
                    final long t0 = System.nanoTime();
                    String result;
                    try {
                        final int n = ms == 0 ? sel.select() : sel.select(ms);
                        result = "n=" + n + " ms=" + ms(System.nanoTime() - t0) + " keys=" + selected(sel);
                    } catch (final Exception | Error e) {
                        result = "ERR " + e.getClass().getName() + " " + e.getMessage();
                    }
                    System.out.println("SELECTED " + result);
                });
                return "OK";
            }
            case "wakeup" -> {
                selector.wakeup();
                return "OK";
            }
            case "cpu" -> {
                return cpu(Long.parseLong(c[1]));
            }
            case "loopStart" -> {
                final Selector sel = selector;
                loopResult = null;
                looper = thread("loop", () -> loopResult = loop(sel));
                selectThread = looper;
                return "OK";
            }
            case "loopStop" -> {
                final Thread t = looper;
                stop = true;
                selector.wakeup();
                t.join(10_000);
                stop = false;
                return t.isAlive() ? "ERR loop did not stop" : "OK " + loopResult;
            }
            case "flood" -> {
                final Connection k = stream(conn(c[1])).connection();
                NUDGES.set(0);
                floodStart = System.nanoTime();
                flooder = thread("flood", () -> {
                    final long cpu0 = MX.getCurrentThreadCpuTime();
                    try {
                        while (!stop && !Thread.currentThread().isInterrupted()) {
                            k.nudgePeer();   // the peer's space tripwire: its doorbell rings
                            NUDGES.incrementAndGet();
                        }
                    } catch (final RuntimeException e) {
                        System.out.println("FLOOD ended " + e);
                    }
                    System.out.println("FLOODCPU " + ms(MX.getCurrentThreadCpuTime() - cpu0));
                });
                return "OK";
            }
            case "floodRate" -> {
                return "OK nudges=" + NUDGES.get();
            }
            case "stopFlood" -> {
                final Thread t = flooder;
                t.interrupt();
                t.join(10_000);
                final long n = NUDGES.get();
                final double s = (System.nanoTime() - floodStart) / 1e9;
                return "OK nudges=" + n + " rate=" + (long) (n / s) + "/s";
            }
            case "forgeWp" -> {
                final Connection k = stream(conn(c[1])).connection();
                final long old = k.outbound().getLongAcquire(0);
                final long forged = old + Long.parseLong(c[2]);
                k.outbound().putLongRelease(0, forged);   // the write pointer of the peer's ring: its data tripwire fires
                return "OK " + old + " " + forged;
            }
            case "garbage" -> {
                final Connection k = stream(conn(c[1])).connection();
                final long at = k.tryClaim(1, null);
                if (at == Connection.BACK_PRESSURED) {
                    return "ERR no room";
                }
                k.outbound().putByte(at, (byte) Integer.parseInt(c[2]));
                k.commit(null);
                return "OK";
            }
            case "cutTcp" -> {
                for (final SelectableChannel ch : channels(c[1])) {
                    ((LayerSocketChannel) ch).tcp().close();
                }
                return "OK";
            }
            case "truncate" -> {
                try (FileChannel f = FileChannel.open(Path.of(c[1]), StandardOpenOption.WRITE)) {
                    f.truncate(Long.parseLong(c[2]));
                }
                return "OK";
            }
            case "fakeListen" -> {
                final int port = Integer.parseInt(c[1]);
                final String mode = c[2];
                final StreamListener l = ByteStreams.listen(SocketLayer.endpoint(), SocketLayer.serviceFor(port),
                    SocketLayer.connectionContext());
                KEEP.add(l);
                if (mode.equals("noaccept")) {
                    return "OK";
                }
                final Thread t = new Thread(() -> {
                    while (true) {
                        try {
                            final ByteStream st = l.accept(1, TimeUnit.SECONDS);
                            if (st == null) {
                                continue;
                            }
                            KEEP.add(st);
                            final ByteBuffer h = ByteBuffer.allocate(Handshake.HELLO_LENGTH);
                            while (h.hasRemaining() && st.read(h) >= 0) {
                                Thread.onSpinWait();
                            }
                            final Handshake.Hello hello = Handshake.readHello(h.flip());
                            System.out.println("HELLO " + hello.clientPort());
                            if (mode.equals("ack")) {
                                st.write(Handshake.ack(hello.clientPort(), -1, -1));
                                System.out.println("ACKED");
                            }
                        } catch (final Exception e) {
                            System.out.println("FAKE " + e);
                            return;
                        }
                    }
                }, "fake-listen");
                t.setDaemon(true);
                t.start();
                return "OK";
            }
            case "inflate" -> {
                // what the kernel check of a peer reads grows with the peer: its descriptors, its mappings
                final int fds = Integer.parseInt(c[1]);
                final int maps = Integer.parseInt(c[2]);
                final Path f = java.nio.file.Files.createTempFile("inflate", ".bin");
                java.nio.file.Files.write(f, new byte[4096]);
                for (int i = 0; i < fds; i++) {
                    KEEP.add(FileChannel.open(f, StandardOpenOption.READ));
                }
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    for (int i = 0; i < maps; i++) {
                        KEEP.add(ch.map(FileChannel.MapMode.READ_ONLY, 0, 4096));   // one mapping each
                    }
                }
                java.nio.file.Files.delete(f);
                return "OK";
            }
            case "report" -> {
                return "OK " + SocketLayer.STATS.report().replace('\n', ' ');
            }
            case "reset" -> {
                stop = true;
                final Selector old = selector;
                selector = null;
                if (old != null) {
                    old.close();
                }
                for (final SocketChannel ch : CONNS.values()) {
                    ch.close();
                }
                for (final Pipe p : PIPES.values()) {
                    p.source().close();
                    p.sink().close();
                }
                CONNS.clear();
                PIPES.clear();
                final List<String> stuck = new ArrayList<>();
                for (final Thread t : LIVE) {
                    t.interrupt();
                }
                for (final Thread t : LIVE) {
                    t.join(5_000);
                    if (t.isAlive()) {
                        stuck.add(t.getName());
                    }
                }
                stop = false;
                return stuck.isEmpty() ? "OK reset" : "OK reset stuck=" + stuck;
            }
            case "sync" -> {
                return "OK sync " + c[1];
            }
            default -> {
                return "ERR unknown command " + Arrays.toString(c);
            }
        }
    }

    /** The select loop of an event-loop program; {@return its counts} */
    private static String loop(final Selector sel) {
        long selects = 0;
        long zero = 0;
        long empty = 0;
        final Map<String, Long> bytes = new TreeMap<>();
        final Map<String, String> errors = new TreeMap<>();
        final ByteBuffer b = ByteBuffer.allocate(65536);
        try {
            while (!stop) {
                final int n = sel.select();
                selects++;
                if (stop) {
                    break;
                }
                if (n == 0) {
                    zero++;
                    continue;
                }
                for (final SelectionKey k : sel.selectedKeys()) {
                    final String name = (String) k.attachment();
                    if (!k.isValid() || !k.isReadable()) {
                        continue;
                    }
                    try {
                        int got = 0;
                        int r;
                        while (true) {
                            b.clear();
                            r = ((SocketChannel) k.channel()).read(b);
                            if (r <= 0) {
                                break;
                            }
                            got += r;
                        }
                        if (got == 0 && r == 0) {
                            empty++;
                        }
                        bytes.merge(name, (long) got, Long::sum);
                        if (got > 0) {
                            System.out.println("LOOPREAD " + name + " " + bytes.get(name));
                        }
                        if (r < 0) {
                            errors.put(name, "EOF");
                            k.channel().close();
                        }
                    } catch (final IOException e) {
                        errors.put(name, e.getClass().getSimpleName() + ":" + String.valueOf(e.getMessage()).replace(' ', '_'));
                        System.out.println("LOOPERR " + name + " " + e.getClass().getName() + " " + e.getMessage());
                        try {
                            k.channel().close();
                        } catch (final IOException ignored) {
                            // closing a channel that failed
                        }
                    }
                }
                sel.selectedKeys().clear();
            }
        } catch (final Exception | Error e) {
            System.out.println("LOOPDIED " + e.getClass().getName() + " " + e.getMessage() + " at "
                + Arrays.toString(Arrays.copyOf(e.getStackTrace(), Math.min(8, e.getStackTrace().length))).replace(' ', '_'));
            return "ERR " + e;
        }
        final StringBuilder s = new StringBuilder();
        bytes.forEach((k, v) -> {
            if (v > 0) {
                s.append(s.length() == 0 ? "" : ",").append(k).append(':').append(v);
            }
        });
        final StringBuilder err = new StringBuilder();
        errors.forEach((k, v) -> err.append(err.length() == 0 ? "" : ",").append(k).append(':').append(v));
        return "selects=" + selects + " zero=" + zero + " empty=" + empty + " bytes=" + s + " errors=" + err;
    }

    private static boolean accelerated(final SocketChannel ch) {
        return ch instanceof LayerSocketChannel l && l.accelerated();
    }

    /** Writes {@code count} messages made by {@code message}, one per {@code periodNanos}, on a thread; then TRICKLED. */
    private static void trickle(final SocketChannel ch, final long periodNanos, final int count,
                                final java.util.function.Supplier<ByteBuffer> message) {
        thread("trickle", () -> {
            try {
                for (int i = 0; i < count && !stop; i++) {
                    final ByteBuffer b = message.get();
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                    LockSupport.parkNanos(periodNanos);
                }
                System.out.println("TRICKLED " + count);
            } catch (final Exception e) {
                System.out.println("TRICKLED ERR " + e);
            }
        });
    }

    /** {@return the byte stream of an accelerated channel of the layer} */
    static ByteStream stream(final SocketChannel ch) {
        final ByteStream s = ((LayerSocketChannel) ch).stream;
        if (s == null) {
            throw new IllegalStateException(ch + " is not accelerated");
        }
        return s;
    }

    private static SocketChannel conn(final String name) {
        final SocketChannel k = CONNS.get(name);
        if (k == null) {
            throw new IllegalArgumentException("no channel " + name);
        }
        return k;
    }

    private static SelectableChannel channel(final String name) {
        final Pipe p = PIPES.get(name);
        return p != null ? p.source() : conn(name);
    }

    /** {@return the channels named {@code spec}: one name, or PREFIX* for all whose name starts with PREFIX} */
    private static Map<String, SelectableChannel> named(final String spec) {
        final Map<String, SelectableChannel> m = new TreeMap<>();
        if (spec.endsWith("*")) {
            final String p = spec.substring(0, spec.length() - 1);
            CONNS.forEach((k, v) -> {
                if (k.startsWith(p)) {
                    m.put(k, v);
                }
            });
        } else {
            m.put(spec, channel(spec));
        }
        return m;
    }

    private static java.util.Collection<SelectableChannel> channels(final String spec) {
        return named(spec).values();
    }





    private static Thread thread(final String name, final Runnable r) {
        final Thread t = new Thread(() -> {
            try {
                r.run();
            } finally {
                LIVE.remove(Thread.currentThread());
            }
        }, "probe-" + name);
        t.setDaemon(true);
        LIVE.add(t);
        t.start();
        return t;
    }

    /** The CPU time of selectAsync's (or the loop's, or nbconnect's) thread, the layer's watcher and the process over {@code ms}. */
    private static String cpu(final long ms) {
        final Thread sel = selectThread;
        final Thread watcher = findThread("softclan-sockets-selector-watcher");
        final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        final Map<Thread, Long> before = new java.util.HashMap<>();
        for (final Thread t : Thread.getAllStackTraces().keySet()) {
            before.put(t, MX.getThreadCpuTime(t.getId()));
        }
        final long s0 = MX.getThreadCpuTime(sel.getId());
        final long w0 = watcher == null ? 0 : MX.getThreadCpuTime(watcher.getId());
        final long p0 = os.getProcessCpuTime();
        final long t0 = System.nanoTime();
        // the measuring window itself: nothing to wait for
        for (long left = TimeUnit.MILLISECONDS.toNanos(ms); left > 0; left = t0 + TimeUnit.MILLISECONDS.toNanos(ms) - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        final long s1 = MX.getThreadCpuTime(sel.getId());
        final long w1 = watcher == null ? 0 : MX.getThreadCpuTime(watcher.getId());
        final long p1 = os.getProcessCpuTime();
        final long t1 = System.nanoTime();
        final List<String> top = new ArrayList<>();
        before.entrySet().stream()
            .map(e -> Map.entry(e.getKey().getName(), MX.getThreadCpuTime(e.getKey().getId()) - e.getValue()))
            .filter(e -> e.getValue() > 1_000_000)
            .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
            .limit(4)
            .forEach(e -> top.add(e.getKey().replace(' ', '_') + ":" + ms(e.getValue())));
        return "OK select=" + ms(Math.max(0, s1 - s0)) + " watcher=" + (watcher == null ? "none" : ms(w1 - w0))
            + " process=" + ms(p1 - p0) + " wall=" + ms(t1 - t0) + " top=" + String.join(",", top)
            + " selecting=" + sel.isAlive();
    }

    private static Thread findThread(final String name) {
        for (final Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** Renames the channels PREFIX0..K-1 in the order of their local (or remote) ports. */
    private static void renameByPort(final String prefix, final int k, final boolean local) throws IOException {
        final List<SocketChannel> all = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            all.add(CONNS.get(prefix + i));
        }
        final Map<SocketChannel, Integer> ports = new java.util.HashMap<>();
        for (final SocketChannel ch : all) {
            ports.put(ch, ((InetSocketAddress) (local ? ch.getLocalAddress() : ch.getRemoteAddress())).getPort());
        }
        all.sort(java.util.Comparator.comparing(ports::get));
        for (int i = 0; i < k; i++) {
            CONNS.put(prefix + i, all.get(i));
        }
    }
}
