package org.softclan.sockets;

import static org.softclan.sockets.SelectionText.ms;
import static org.softclan.sockets.SelectionText.ops;
import static org.softclan.sockets.SelectionText.selected;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * An NIO program driven line by line on stdin, for tests of the NIO semantics across JVMs
 * ({@link NioSemanticsTest}): named channels ({@code SocketChannel}s, a {@code Pipe}), one
 * {@code Selector}. It uses only the channel API, as any program, except {@code info}, which also names
 * the layer's view of a channel. Each command prints one line, {@code OK ...} or
 * {@code ERR <exception class> <message>}; the commands that start a thread print their later lines
 * with other prefixes ({@code BLOCKED}, {@code READ}, {@code SELECTED}, {@code WROTE}, {@code PONG}).
 * Bytes written are 0, 1, 2, ... mod 251 on each channel, and every read checks them.
 *
 * <pre>
 * listen S                 a ServerSocketChannel on 127.0.0.1, blocking: OK port
 * accept S N               a blocking accept on S, the channel named N: OK remote port
 * connect N PORT           SocketChannel.open(127.0.0.1:PORT), blocking: OK local port
 * pipe N                   a Pipe: N reads (and is selected) at its source, writes to its sink
 * info N                   OK class=C accelerated=true|false|none stats=K (the layer's count of accelerated ends)
 * blocking N true|false    configureBlocking: OK isBlocking
 * write N K                writes K bytes (all of them): OK K
 * fill N [MIN]             writes 8-KiB buffers to a non-blocking channel until one is not taken at all (then
 *                          halving the buffer down to MIN bytes, until MIN bytes are not taken): OK bytes written
 * writeAfter N MS K        MS ms from now, on a thread of its own, writes K bytes: WROTE N K at=NANOTIME
 *                          (when the write began: System.nanoTime is the host's monotonic clock)
 * read N K                 reads until K bytes or the end: OK K | OK EOF k
 * read1 N                  one read of up to 64 KiB: OK n (0, or -1)
 * asyncRead N              one read of up to 64 KiB on a thread of its own: BLOCKED read N FRAME once it
 *                          waits, then READ N OK n | READ N ERR class message, with after=MS since the
 *                          last mark (close, interrupt, wakeup)
 * interruptReader N        interrupts asyncRead's thread (a mark)
 * shutdownOutput N | shutdownInput N | close N (a mark)
 * selector                 a new selector (the old one closed): OK class
 * register N OPS           OPS: letters r w a c, or 0; the attachment is N: OK
 * interest N OPS | cancel N | valid N (OK true|false) | att N (OK attachment)
 * keys                     OK the attachments of keys() (sorted), ! before an invalid one
 * select MS                select(MS), select() for 0: OK n=N ms=T keys=A:ops,B:ops (then clears them)
 * selectNow                as select
 * selectAsync MS           as select, on a thread of its own: BLOCKED select FRAME once it waits, then
 *                          SELECTED n=N ms=T after=MS at=NANOTIME keys=...
 * wakeup                   selector.wakeup() (a mark)
 * cpu MS                   while selectAsync's thread waits, its CPU time over MS ms, the layer's selector
 *                          watcher's and the process's: OK select=ms watcher=ms process=ms wall=ms
 * ping N COUNT             COUNT 8-byte messages, each after the 8-byte answer to the one before, through a
 *                          selector loop (N non-blocking, registered): OK zero=Z empty=E selects=S ms=T
 * pong N COUNT             on a thread of its own, echoes 8*COUNT bytes through a selector loop:
 *                          PONG zero=Z empty=E selects=S bytes=B
 * options N                sets TCP_NODELAY, SO_KEEPALIVE, SO_RCVBUF on the channel and reads them back,
 *                          from the channel and its socket(): OK ...
 * sockTimeout N MS         socket().setSoTimeout: OK getSoTimeout
 * sockWrite N K | sockRead N K   as write and read, through socket()'s streams
 * reset                    closes every channel but the server channels, and the selector
 * </pre>
 */
public final class NioScriptMain {
    private static final Map<String, Conn> CONNS = new ConcurrentHashMap<>();
    private static final Map<String, ServerSocketChannel> SERVERS = new ConcurrentHashMap<>();
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    /** The threads the commands started, still running. */
    private static final Set<Thread> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile Selector selector;
    private static volatile Thread selectThread;
    /** The time of the last close, interrupt or wakeup (ns). */
    private static volatile long mark;

    private NioScriptMain() {
    }

    /** A named channel: what it reads from, writes to, registers; the byte patterns' positions. */
    private static final class Conn {
        final String name;
        final SelectableChannel selectable;
        final ReadableByteChannel in;
        final WritableByteChannel out;
        final List<java.nio.channels.Channel> all;
        volatile SelectionKey key;
        volatile Thread reader;
        long readPos;
        long writePos;

        Conn(final String name, final SelectableChannel selectable, final ReadableByteChannel in,
             final WritableByteChannel out, final java.nio.channels.Channel... all) {
            this.name = name;
            this.selectable = selectable;
            this.in = in;
            this.out = out;
            this.all = List.of(all);
        }

        SocketChannel socket() {
            return (SocketChannel) selectable;
        }

        synchronized void check(final ByteBuffer b, final int from, final int n) {
            for (int i = 0; i < n; i++) {
                if (b.get(from + i) != (byte) (readPos++ % 251)) {
                    throw new AssertionError("byte " + (readPos - 1) + " read from " + name + " is wrong");
                }
            }
        }

        synchronized void check(final byte[] b, final int n) {
            check(ByteBuffer.wrap(b), 0, n);
        }

        synchronized byte[] next(final int n) {
            final byte[] b = new byte[n];
            for (int i = 0; i < n; i++) {
                b[i] = (byte) (writePos++ % 251);
            }
            return b;
        }
    }

    public static void main(final String[] args) throws Exception {
        final BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("READY");
        String line;
        while ((line = stdin.readLine()) != null) {
            final String[] c = line.trim().split(" ");
            try {
                System.out.println(run(c));
            } catch (final Exception | AssertionError e) {
                System.out.println("ERR " + e.getClass().getName() + " " + e.getMessage());
            }
        }
    }

    private static String run(final String[] c) throws Exception {
        switch (c[0]) {
            case "listen" -> {
                final ServerSocketChannel s = ServerSocketChannel.open();
                s.bind(new InetSocketAddress("127.0.0.1", 0));
                SERVERS.put(c[1], s);
                return "OK " + ((InetSocketAddress) s.getLocalAddress()).getPort();
            }
            case "accept" -> {
                final SocketChannel ch = SERVERS.get(c[1]).accept();
                CONNS.put(c[2], new Conn(c[2], ch, ch, ch, ch));
                return "OK " + ((InetSocketAddress) ch.getRemoteAddress()).getPort();
            }
            case "connect" -> {
                final SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", Integer.parseInt(c[2])));
                CONNS.put(c[1], new Conn(c[1], ch, ch, ch, ch));
                return "OK " + ((InetSocketAddress) ch.getLocalAddress()).getPort();
            }
            case "nbconnect" -> {
                // a non-blocking connect, and what the channel says before finishConnect
                final SocketChannel ch = SocketChannel.open();
                ch.configureBlocking(false);
                final boolean done = ch.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(c[2])));
                CONNS.put(c[1], new Conn(c[1], ch, ch, ch, ch));
                String write;
                try {
                    write = Integer.toString(ch.write(java.nio.ByteBuffer.allocate(1)));
                } catch (final Exception e) {
                    write = e.getClass().getSimpleName();
                }
                String again;
                try {
                    again = Boolean.toString(ch.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(c[2]))));
                } catch (final Exception e) {
                    again = e.getClass().getSimpleName();
                }
                return "OK returned=" + done + " pending=" + ch.isConnectionPending() + " connected=" + ch.isConnected()
                    + " write=" + (done ? "-" : write) + " again=" + again
                    + " remote=" + ((InetSocketAddress) ch.getRemoteAddress()).getPort();
            }
            case "finish" -> {
                final SocketChannel ch = (SocketChannel) conn(c[1]).selectable;
                final boolean done = ch.finishConnect();
                return "OK finished=" + done + " pending=" + ch.isConnectionPending() + " connected=" + ch.isConnected();
            }
            case "pipe" -> {
                final Pipe p = Pipe.open();
                CONNS.put(c[1], new Conn(c[1], p.source(), p.source(), p.sink(), p.source(), p.sink()));
                return "OK";
            }
            case "info" -> {
                final SelectableChannel ch = conn(c[1]).selectable;
                final boolean layer = SelectorProvider.provider() instanceof LayerSelectorProvider;
                return "OK class=" + ch.getClass().getSimpleName()
                    + " accelerated=" + (ch instanceof LayerSocketChannel l ? Boolean.toString(l.accelerated()) : "none")
                    + " stats=" + (layer ? Long.toString(SocketLayer.STATS.acceleratedConnections()) : "none")
                    + " provider=" + SelectorProvider.provider().getClass().getSimpleName();
            }
            case "blocking" -> {
                final SelectableChannel ch = conn(c[1]).selectable;
                ch.configureBlocking(Boolean.parseBoolean(c[2]));
                if (ch instanceof Pipe.SourceChannel) {
                    ((Pipe.SinkChannel) conn(c[1]).out).configureBlocking(Boolean.parseBoolean(c[2]));
                }
                return "OK " + ch.isBlocking();
            }
            case "write" -> {
                final Conn k = conn(c[1]);
                writeAll(k, k.next(Integer.parseInt(c[2])));
                return "OK " + c[2];
            }
            case "fill" -> {
                // a non-blocking channel: writes 8-KiB buffers until one is not taken at all; with MIN,
                // then halves the buffer down to MIN bytes until a buffer of MIN bytes is not taken either
                final Conn k = conn(c[1]);
                final int min = c.length > 2 ? Integer.parseInt(c[2]) : 8192;
                int size = 8192;
                long total = 0;
                while (true) {
                    final ByteBuffer b = ByteBuffer.wrap(k.next(size));
                    final int n = k.out.write(b);
                    total += n;
                    if (b.hasRemaining()) {
                        synchronized (k) {
                            k.writePos -= b.remaining();   // the bytes not taken are the next ones again
                        }
                        if (n == 0) {
                            if (size <= min) {
                                return "OK " + total;
                            }
                            size = Math.max(min, size / 2);
                        }
                    }
                }
            }
            case "writeAfter" -> {
                final Conn k = conn(c[1]);
                final long delay = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(c[2]));
                final byte[] b = k.next(Integer.parseInt(c[3]));
                final long at = System.nanoTime() + delay;
                thread("write-after", () -> {
                    // the stimulus of a test: bytes that come a while after the other side began to wait
                    for (long left = at - System.nanoTime(); left > 0; left = at - System.nanoTime()) {
                        LockSupport.parkNanos(left);
                        if (Thread.currentThread().isInterrupted()) {
                            return;   // reset
                        }
                    }
                    try {
                        final long t0 = System.nanoTime();
                        writeAll(k, b);
                        System.out.println("WROTE " + k.name + " " + b.length + " at=" + t0);
                    } catch (final Exception e) {
                        System.out.println("WROTE " + k.name + " ERR " + e.getClass().getName() + " " + e.getMessage());
                    }
                });
                return "OK";
            }
            case "read" -> {
                final Conn k = conn(c[1]);
                final int n = Integer.parseInt(c[2]);
                final ByteBuffer b = ByteBuffer.allocate(n);
                while (b.hasRemaining()) {
                    final int before = b.position();
                    final int r = k.in.read(b);
                    if (r < 0) {
                        break;
                    }
                    k.check(b, before, r);
                }
                return b.position() == n ? "OK " + n : "OK EOF " + b.position();
            }
            case "read1" -> {
                final Conn k = conn(c[1]);
                final ByteBuffer b = ByteBuffer.allocate(65536);
                final int r = k.in.read(b);
                k.check(b, 0, Math.max(r, 0));
                return "OK " + r;
            }
            case "asyncRead" -> {
                final Conn k = conn(c[1]);
                final Thread t = thread("reader-" + k.name, () -> {
                    final long t0 = System.nanoTime();
                    String result;
                    try {
                        final ByteBuffer b = ByteBuffer.allocate(65536);
                        final int r = k.in.read(b);
                        k.check(b, 0, Math.max(r, 0));
                        result = "OK " + r;
                    } catch (final Exception | AssertionError e) {
                        result = "ERR " + e.getClass().getName() + " " + e.getMessage();
                    }
                    final long end = System.nanoTime();
                    System.out.println("READ " + k.name + " " + result + " ms=" + ms(end - t0) + " after=" + since(end)
                        + " open=" + k.selectable.isOpen());
                });
                k.reader = t;
                watchBlocked(t, "read " + k.name);
                return "OK";
            }
            case "interruptReader" -> {
                mark = System.nanoTime();
                conn(c[1]).reader.interrupt();
                return "OK";
            }
            case "shutdownOutput" -> {
                conn(c[1]).socket().shutdownOutput();
                return "OK";
            }
            case "shutdownInput" -> {
                conn(c[1]).socket().shutdownInput();
                return "OK";
            }
            case "close" -> {
                mark = System.nanoTime();
                for (final java.nio.channels.Channel ch : conn(c[1]).all) {
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
                final Conn k = conn(c[1]);
                k.key = k.selectable.register(selector, ops(c[2]), k.name);
                return "OK " + ops(k.key.interestOps());
            }
            case "interest" -> {
                final Conn k = conn(c[1]);
                k.key.interestOps(ops(c[2]));
                return "OK " + ops(k.key.interestOps());
            }
            case "cancel" -> {
                conn(c[1]).key.cancel();
                return "OK";
            }
            case "valid" -> {
                return "OK " + conn(c[1]).key.isValid();
            }
            case "att" -> {
                final Conn k = conn(c[1]);
                return "OK " + k.key.attachment() + " keyFor=" + (k.selectable.keyFor(selector) == k.key);
            }
            case "keys" -> {
                final TreeSet<String> names = new TreeSet<>();
                for (final SelectionKey k : selector.keys()) {
                    names.add((k.isValid() ? "" : "!") + k.attachment());
                }
                return "OK " + String.join(",", names);
            }
            case "select" -> {
                final long ms = Long.parseLong(c[1]);
                final long t0 = System.nanoTime();
                final int n = ms == 0 ? selector.select() : selector.select(ms);
                final long t1 = System.nanoTime();
                return "OK n=" + n + " ms=" + ms(t1 - t0) + " keys=" + selected(selector);
            }
            case "selectNow" -> {
                final long t0 = System.nanoTime();
                final int n = selector.selectNow();
                return "OK n=" + n + " ms=" + ms(System.nanoTime() - t0) + " keys=" + selected(selector);
            }
            case "selectAsync" -> {
                final long ms = Long.parseLong(c[1]);
                final Selector sel = selector;
                final Thread t = thread("selector", () -> {
                    final long t0 = System.nanoTime();
                    String result;
                    try {
                        final int n = ms == 0 ? sel.select() : sel.select(ms);
                        final long t1 = System.nanoTime();
                        result = "n=" + n + " ms=" + ms(t1 - t0) + " after=" + since(t1) + " at=" + t1 + " keys=" + selected(sel);
                    } catch (final Exception e) {
                        result = "ERR " + e.getClass().getName() + " " + e.getMessage();
                    }
                    System.out.println("SELECTED " + result);
                });
                selectThread = t;
                watchBlocked(t, "select");
                return "OK";
            }
            case "wakeup" -> {
                mark = System.nanoTime();
                selector.wakeup();
                return "OK";
            }
            case "cpu" -> {
                return cpu(Long.parseLong(c[1]));
            }
            case "ping" -> {
                return ping(conn(c[1]), Integer.parseInt(c[2]));
            }
            case "pong" -> {
                final Conn k = conn(c[1]);
                final int count = Integer.parseInt(c[2]);
                final Selector sel = selector;
                thread("pong", () -> {
                    try {
                        System.out.println("PONG " + pong(k, sel, count));
                    } catch (final Exception | AssertionError e) {
                        System.out.println("PONG ERR " + e.getClass().getName() + " " + e.getMessage());
                    }
                });
                return "OK";
            }
            case "options" -> {
                final SocketChannel ch = conn(c[1]).socket();
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 65536);
                final Socket s = ch.socket();
                return "OK nodelay=" + ch.getOption(StandardSocketOptions.TCP_NODELAY)
                    + " keepalive=" + ch.getOption(StandardSocketOptions.SO_KEEPALIVE)
                    + " rcvbuf=" + ch.getOption(StandardSocketOptions.SO_RCVBUF)
                    + " socket.nodelay=" + s.getTcpNoDelay() + " socket.keepalive=" + s.getKeepAlive()
                    + " socket.rcvbuf=" + s.getReceiveBufferSize() + " socket.channel=" + (s.getChannel() == ch)
                    + " socket.class=" + s.getClass().getSimpleName();
            }
            case "sockTimeout" -> {
                final Socket s = conn(c[1]).socket().socket();
                s.setSoTimeout(Integer.parseInt(c[2]));
                return "OK " + s.getSoTimeout();
            }
            case "sockWrite" -> {
                final Conn k = conn(c[1]);
                final OutputStream o = k.socket().socket().getOutputStream();
                o.write(k.next(Integer.parseInt(c[2])));
                o.flush();
                return "OK " + c[2];
            }
            case "sockRead" -> {
                final Conn k = conn(c[1]);
                final InputStream i = k.socket().socket().getInputStream();
                final int n = Integer.parseInt(c[2]);
                final byte[] b = new byte[n];
                int got = 0;
                while (got < n) {
                    final int r = i.read(b, got, n - got);
                    if (r < 0) {
                        break;
                    }
                    k.check(Arrays.copyOfRange(b, got, got + r), r);
                    got += r;
                }
                return got == n ? "OK " + n : "OK EOF " + got;
            }
            case "reset" -> {
                final Selector old = selector;
                selector = null;
                if (old != null) {
                    old.close();
                }
                for (final Conn k : CONNS.values()) {
                    for (final java.nio.channels.Channel ch : k.all) {
                        ch.close();
                    }
                }
                CONNS.clear();
                // the threads of the commands end (their last lines come before this reply)
                final List<String> stuck = new java.util.ArrayList<>();
                for (final Thread t : LIVE) {
                    t.interrupt();
                }
                for (final Thread t : LIVE) {
                    t.join(5_000);
                    if (t.isAlive()) {
                        stuck.add(t.getName());
                    }
                }
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

    private static Conn conn(final String name) {
        final Conn k = CONNS.get(name);
        if (k == null) {
            throw new IllegalArgumentException("no channel " + name);
        }
        return k;
    }

    /** Writes all of {@code b}, in either mode (a non-blocking channel is tried again for 10 s). */
    private static void writeAll(final Conn k, final byte[] b) throws IOException {
        final ByteBuffer buf = ByteBuffer.wrap(b);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (buf.hasRemaining()) {
            if (k.out.write(buf) == 0 && System.nanoTime() > deadline) {
                throw new IOException("the channel took no byte for 10 s");
            }
        }
    }





    /** {@return ms from the last mark to {@code now}, or {@code none}} */
    private static String since(final long now) {
        final long m = mark;
        return m == 0 ? "none" : ms(now - m);
    }

    private static Thread thread(final String name, final Runnable r) {
        final Thread t = new Thread(() -> {
            try {
                r.run();
            } finally {
                LIVE.remove(Thread.currentThread());
            }
        }, "script-" + name);
        t.setDaemon(true);
        LIVE.add(t);
        t.start();
        return t;
    }

    /**
     * Prints {@code BLOCKED what FRAME} once {@code t} waits: parked, or in a native call (the JDK's
     * epoll or read, the layer's futex), in three looks 1 ms apart (a spin, which calls epoll without
     * waiting now and then, is not seen thrice); {@code NEVERBLOCKED what} if that does not come in 10 s
     * (nor if {@code t} ended).
     */
    private static void watchBlocked(final Thread t, final String what) {
        thread("watch-" + what.replace(' ', '-'), () -> {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int seen = 0;
            String frame = "";
            while (t.isAlive() && System.nanoTime() < deadline) {
                final String f = waitingIn(t);
                seen = f == null ? 0 : seen + 1;
                if (seen == 3) {
                    System.out.println("BLOCKED " + what + " " + f);
                    return;
                }
                frame = f == null ? frame : f;
                LockSupport.parkNanos(1_000_000);
            }
            if (t.isAlive()) {
                System.out.println("NEVERBLOCKED " + what + " " + frame);
            }
        });
    }

    /** {@return the frame {@code t} waits in (parked, or in native code), or {@code null} if it runs} */
    private static String waitingIn(final Thread t) {
        final Thread.State s = t.getState();
        final StackTraceElement[] st = t.getStackTrace();
        if (st.length == 0) {
            return null;
        }
        final StackTraceElement top = st[0];
        if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || top.isNativeMethod()) {
            // name the innermost frame of a class of interest, for the report
            for (final StackTraceElement e : st) {
                final String cls = e.getClassName();
                if (!cls.startsWith("com.sun.jna") && !cls.startsWith("jdk.internal.misc") && !cls.equals("java.lang.Thread")
                    && !cls.startsWith("java.util.concurrent.locks")) {
                    return cls.substring(cls.lastIndexOf('.') + 1) + "." + e.getMethodName();
                }
            }
            return top.getClassName() + "." + top.getMethodName();
        }
        return null;
    }

    /** Measures the CPU time selectAsync's thread (and the layer's watcher, and the process) use over {@code ms}. */
    private static String cpu(final long ms) {
        final Thread sel = selectThread;
        final Thread watcher = findThread("softclan-sockets-selector-watcher");
        final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        final long s0 = MX.getThreadCpuTime(sel.getId());
        final long w0 = watcher == null ? 0 : MX.getThreadCpuTime(watcher.getId());
        final Map<Thread, Long> before = new java.util.HashMap<>();
        for (final Thread t : Thread.getAllStackTraces().keySet()) {
            before.put(t, MX.getThreadCpuTime(t.getId()));
        }
        final long p0 = os.getProcessCpuTime();
        final long t0 = System.nanoTime();
        // the measuring window itself (nothing to wait for: the selector must stay idle through it)
        for (long left = TimeUnit.MILLISECONDS.toNanos(ms); left > 0; left = t0 + TimeUnit.MILLISECONDS.toNanos(ms) - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        final long s1 = MX.getThreadCpuTime(sel.getId());
        final long w1 = watcher == null ? 0 : MX.getThreadCpuTime(watcher.getId());
        final long p1 = os.getProcessCpuTime();
        final long t1 = System.nanoTime();
        // the Java threads that used the most, for a report (the JVM's own threads are in the process's time only)
        final List<String> top = new java.util.ArrayList<>();
        before.entrySet().stream()
            .map(e -> Map.entry(e.getKey().getName(), MX.getThreadCpuTime(e.getKey().getId()) - e.getValue()))
            .filter(e -> e.getValue() > 1_000_000)
            .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
            .limit(4)
            .forEach(e -> top.add(e.getKey().replace(' ', '_') + ":" + ms(e.getValue())));
        return "OK select=" + ms(s1 - s0) + " watcher=" + (watcher == null ? "none" : ms(w1 - w0))
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

    /**
     * The initiating side of a ping-pong through a selector loop. {@return OK with the count of
     * {@code select()}s that returned 0 and of those that returned a key whose read then got nothing}
     */
    private static String ping(final Conn k, final int count) throws IOException {
        final Selector sel = selector;
        final SocketChannel ch = k.socket();
        final ByteBuffer out = ByteBuffer.allocate(8);
        final ByteBuffer in = ByteBuffer.allocate(8);
        long zero = 0;
        long empty = 0;
        long selects = 0;
        final long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            out.clear();
            out.putLong(i).flip();
            while (out.hasRemaining()) {
                ch.write(out);
            }
            in.clear();
            while (in.hasRemaining()) {
                selects++;
                if (sel.select() == 0) {
                    zero++;
                    continue;
                }
                sel.selectedKeys().clear();
                final int r = ch.read(in);
                if (r < 0) {
                    throw new IOException("end of stream after " + i + " messages");
                }
                if (r == 0) {
                    empty++;
                }
            }
            if (in.getLong(0) != i) {
                throw new AssertionError("answer " + in.getLong(0) + " to message " + i);
            }
        }
        return "OK zero=" + zero + " empty=" + empty + " selects=" + selects + " ms=" + ms(System.nanoTime() - t0);
    }

    /** The echoing side: {@return the counts, as {@link #ping}} */
    private static String pong(final Conn k, final Selector sel, final int count) throws IOException {
        final SocketChannel ch = k.socket();
        final ByteBuffer b = ByteBuffer.allocate(4096);
        final long total = 8L * count;
        long got = 0;
        long zero = 0;
        long empty = 0;
        long selects = 0;
        while (got < total) {
            selects++;
            if (sel.select() == 0) {
                zero++;
                continue;
            }
            sel.selectedKeys().clear();
            b.clear();
            final int r = ch.read(b);
            if (r < 0) {
                throw new IOException("end of stream after " + got + " bytes");
            }
            if (r == 0) {
                empty++;
                continue;
            }
            got += r;
            b.flip();
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
        return "zero=" + zero + " empty=" + empty + " selects=" + selects + " bytes=" + got;
    }
}
