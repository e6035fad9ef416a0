package org.softclan.bench.rpc;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.HdrHistogram.Histogram;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.rpc.Codecs;
import org.softclan.vmmc.rpc.RpcClient;
import org.softclan.vmmc.rpc.RpcMethod;
import org.softclan.vmmc.rpc.RpcServer;

/**
 * Round trips between two JVMs on one host, side by side in one run: a null RPC call, a raw
 * shared-memory ping-pong and a TCP loopback request/response.
 *
 * <pre>
 * java $FLAGS -cp benchmarks/target/benchmarks.jar org.softclan.bench.rpc.RpcPingPong [--scale F] [--blocks K]
 * </pre>
 *
 * {@code $FLAGS} are the root pom's {@code softclan.jvm.flags}. This JVM (the caller) creates a temporary
 * fabric and starts one child JVM (the answerer) with the same {@code java}, the same class path and this
 * JVM's input arguments, and drives it with commands on its standard input.
 *
 * <p><b>Transports</b>:
 * <ul>
 *   <li>{@code rpc busy-spin}: {@link RpcClient#call} of a method with {@link Codecs#VOID} argument and
 *       result; the server runs the handler on its polling thread ({@code workers(0)}) and both the server
 *       and the client's receiver wait with {@link WaitStrategy#busySpin()}. The round trip includes the
 *       calling thread's wake-up: {@code call} waits on a future that the client's receiver thread
 *       completes.</li>
 *   <li>{@code rpc competitive}: the same with the default strategy, {@link WaitStrategy#competitive()}
 *       (spin about 10 µs, then block on a futex) on both sides.</li>
 *   <li>{@code raw shared memory}: each side exports a 4 KiB region and imports the other's; the caller
 *       stores {@code i} into the answerer's region ({@link OutboundMapping#putLongOrdered}) and spins on a
 *       volatile load of its own inbound mapping until the answerer has stored {@code i} back. No
 *       tripwires, no queues: the floor for a write that crosses to another process and back.</li>
 *   <li>{@code tcp loopback}: a {@link ServerSocketChannel} on 127.0.0.1 in the answerer, blocking
 *       {@link SocketChannel}s with {@code TCP_NODELAY} on both ends; 1-byte request, 1-byte response.</li>
 * </ul>
 *
 * <p><b>Measurement</b>: each transport warms up ({@value #WARMUP} round trips; TCP {@value #TCP_WARMUP}),
 * then its measured round trips ({@value #MEASURED}; TCP {@value #TCP_MEASURED}) are split into {@code K}
 * blocks (default {@value #BLOCKS}) run in turn with the other transports' blocks, each later block after
 * a short re-warm, so that a change of conditions during the run (other load, the host moving the virtual
 * CPUs) affects every transport alike. Each round trip is timed with {@link System#nanoTime()} into an
 * {@link Histogram} (ns, 3 significant digits). A block stops early after {@value #BLOCK_CAP_SECONDS} s.
 * {@code --scale F} multiplies every count (e.g. 0.1 for a smoke run).
 *
 * <p>{@code --diagnose} adds a row: busy-spin RPC where only the server's accept thread blocks. The server's
 * listener waits for connection requests with the server's strategy, so with busy-spin the answering JVM
 * spins on two threads (poll and accept) besides the client's receiver: three spinning threads, which a
 * two-CPU machine cannot run at once.
 *
 * <p><b>Output</b>: a Markdown table of p50, p90, p99, p99.9 and max in µs per transport, the per-block
 * medians, and the ratios RPC p50 / raw p50 and TCP p50 / RPC p50.
 */
public final class RpcPingPong {
    static final int WARMUP = 20_000;
    static final int MEASURED = 100_000;
    static final int TCP_WARMUP = 5_000;
    static final int TCP_MEASURED = 20_000;
    static final int BLOCKS = 4;
    static final int REWARM = 2_000;
    static final long BLOCK_CAP_SECONDS = 15;
    static final long CALL_TIMEOUT_SECONDS = 5;

    static final RpcMethod<Void, Void> NULL = RpcMethod.of(1, "null", Codecs.VOID, Codecs.VOID);

    static final String RAW = "raw shared memory";
    static final String RPC_BUSY = "rpc busy-spin";
    static final String RPC_COMPETITIVE = "rpc competitive";
    static final String TCP = "tcp loopback";
    static final String RPC_BUSY_ACCEPT_BLOCKS = "rpc busy-spin, acceptor blocks (diagnostic)";

    private RpcPingPong() {
    }

    /**
     * Runs the benchmark, or (with {@code --child DIR}) the answering side.
     *
     * @param args {@code [--scale F] [--blocks K] [--diagnose]}
     */
    public static void main(final String[] args) throws Exception {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        if (args.length >= 2 && "--child".equals(args[0])) {
            Child.run(Paths.get(args[1]));
            return;
        }
        double scale = 1;
        int blocks = BLOCKS;
        boolean diagnose = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--scale":
                    scale = Double.parseDouble(args[++i]);
                    break;
                case "--blocks":
                    blocks = Integer.parseInt(args[++i]);
                    break;
                case "--diagnose":
                    diagnose = true;
                    break;
                default:
                    System.err.println("usage: RpcPingPong [--scale F] [--blocks K] [--diagnose]");
                    System.exit(2);
            }
        }
        final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.exit(new Parent(out, scale, blocks, diagnose).run());
    }

    // ======================================================================================= parent

    /** One transport's results. */
    static final class Row {
        final String name;
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final List<Long> blockMedians = new ArrayList<>();
        long capped;

        Row(final String name) {
            this.name = name;
        }

        void block(final Histogram h) {
            histogram.add(h);
            blockMedians.add(h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(50));
        }
    }

    /** A transport's round trip, repeated. */
    @FunctionalInterface
    interface RoundTrips {
        /**
         * Runs up to {@code n} round trips, recording each into {@code h} if it is not null.
         *
         * @return false if it stopped at the deadline
         */
        boolean run(int n, Histogram h, long deadline) throws Exception;
    }

    static final class Parent {
        private final PrintStream out;
        private final double scale;
        private final int blocks;
        private final Map<String, Row> rows = new LinkedHashMap<>();
        private volatile Process child;
        private BufferedReader childOut;
        private PrintWriter childIn;

        Parent(final PrintStream out, final double scale, final int blocks, final boolean diagnose) {
            this.out = out;
            this.scale = scale;
            this.blocks = Math.max(1, blocks);
            for (final String name : diagnose ? List.of(RPC_BUSY, RPC_COMPETITIVE, RAW, TCP, RPC_BUSY_ACCEPT_BLOCKS)
                : List.of(RPC_BUSY, RPC_COMPETITIVE, RAW, TCP)) {
                rows.put(name, new Row(name));
            }
        }

        private int scaled(final int n) {
            return Math.max(1, (int) Math.round(n * scale));
        }

        int run() throws Exception {
            out.println("# RpcPingPong: round trips between two JVMs");
            out.println();
            out.println("JVM " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ", "
                + Runtime.getRuntime().availableProcessors() + " CPUs, " + System.getProperty("os.name") + " "
                + System.getProperty("os.version"));
            final long started = System.nanoTime();
            final Fabric fabric = Fabric.createTemporary();
            // Ctrl-C or SIGTERM: take the child along and unlink the fabric's files. Not fabric.close(): that
            // unmaps regions the measuring thread may still be spinning on, and the JVM would die of SIGSEGV.
            final Thread hook = new Thread(() -> {
                final Process c = child;
                if (c != null) {
                    c.destroyForcibly();
                }
                deleteTree(fabric.root());
            }, "rpc-ping-pong-cleanup");
            Runtime.getRuntime().addShutdownHook(hook);
            try (Endpoint ep = fabric.openEndpoint("bench-caller")) {
                startChild(fabric.root());
                try {
                    measure(ep);
                } finally {
                    childIn.println("exit");
                    childIn.close();
                    if (!child.waitFor(10, TimeUnit.SECONDS)) {
                        child.destroyForcibly();
                        child.waitFor(10, TimeUnit.SECONDS);
                    }
                }
            } finally {
                fabric.close();
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            out.printf(Locale.ROOT, "(%.0f s in all)%n", (System.nanoTime() - started) / 1e9);
            return 0;
        }

        private static void deleteTree(final Path dir) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (final IOException | UncheckedIOException e) {
                // best effort while the JVM goes down
            }
        }

        private void startChild(final Path fabric) throws IOException {
            final List<String> cmd = new ArrayList<>();
            cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.add("-Dchronicle.analytics.disable=true");
            cmd.add("-Dchronicle.announcer.disable=true");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(RpcPingPong.class.getName());
            cmd.add("--child");
            cmd.add(fabric.toString());
            child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            childOut = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            childIn = new PrintWriter(new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8), true);
        }

        /** Sends a command to the child and returns its one-line answer. */
        private String ask(final String command) throws IOException {
            childIn.println(command);
            final String answer = childOut.readLine();
            if (answer == null || answer.startsWith("error")) {
                throw new IllegalStateException("child: '" + command + "' answered " + answer);
            }
            return answer;
        }

        private void measure(final Endpoint ep) throws Exception {
            // raw: the caller's inbound region first, then the child's
            final InboundMapping rawIn = ep.export("raw-to-caller", 4096);
            ask("raw-setup");
            final OutboundMapping rawOut = ep.importRegion("raw-to-answerer");
            final long[] seq = {0};
            final RoundTrips raw = (n, h, deadline) -> {
                ask("raw-start");
                try {
                    for (int i = 0; i < n; i++) {
                        final long v = ++seq[0];
                        final long t0 = System.nanoTime();
                        rawOut.putLongOrdered(0, v);
                        int spins = 0;
                        while (rawIn.getLongVolatile(0) != v) {
                            Thread.onSpinWait();
                            if (++spins == 1 << 24 && System.nanoTime() - deadline > 0) {
                                throw new IllegalStateException("raw: no answer to " + v + " by the deadline");
                            }
                        }
                        final long rtt = System.nanoTime() - t0;
                        if (h != null) {
                            h.recordValue(rtt);
                        }
                        if ((i & 1023) == 0 && System.nanoTime() - deadline > 0) {
                            return false;
                        }
                    }
                    return true;
                } finally {
                    rawOut.putLongOrdered(0, -(++seq[0]));   // the answerer's loop ends on a negative value
                    ask("raw-wait");
                }
            };

            // tcp: one connection for the whole run; the answerer's thread blocks in read between blocks
            final int port = Integer.parseInt(ask("tcp-setup").substring("port ".length()));
            final SocketChannel socket = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                port));
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            socket.configureBlocking(true);
            final ByteBuffer request = ByteBuffer.allocateDirect(1);
            final ByteBuffer response = ByteBuffer.allocateDirect(1);
            final RoundTrips tcp = (n, h, deadline) -> {
                for (int i = 0; i < n; i++) {
                    final long t0 = System.nanoTime();
                    request.clear();
                    request.put(0, (byte) i);
                    while (request.hasRemaining()) {
                        socket.write(request);
                    }
                    response.clear();
                    while (response.hasRemaining()) {
                        if (socket.read(response) < 0) {
                            throw new IOException("the answerer closed the TCP connection");
                        }
                    }
                    final long rtt = System.nanoTime() - t0;
                    if (response.get(0) != (byte) i) {
                        throw new IllegalStateException("tcp: wrong response byte");
                    }
                    if (h != null) {
                        h.recordValue(rtt);
                    }
                    if ((i & 255) == 0 && System.nanoTime() - deadline > 0) {
                        return false;
                    }
                }
                return true;
            };

            final int[] serial = {0};
            final RoundTrips rpcBusy = rpc(ep, "busy", WaitStrategy.busySpin(), serial);
            final RoundTrips rpcCompetitive = rpc(ep, "competitive", WaitStrategy.competitive(), serial);

            final Map<String, RoundTrips> transports = new LinkedHashMap<>();
            transports.put(RAW, raw);
            transports.put(RPC_BUSY, rpcBusy);
            transports.put(RPC_COMPETITIVE, rpcCompetitive);
            transports.put(TCP, tcp);
            if (rows.containsKey(RPC_BUSY_ACCEPT_BLOCKS)) {
                transports.put(RPC_BUSY_ACCEPT_BLOCKS, rpc(ep, "busy-accept-blocks", WaitStrategy.busySpin(), serial));
            }

            out.println("warm-up " + scaled(WARMUP) + " round trips (tcp " + scaled(TCP_WARMUP) + "), then "
                + scaled(MEASURED) + " measured (tcp " + scaled(TCP_MEASURED) + ") in " + blocks + " interleaved blocks");
            for (int b = 0; b < blocks; b++) {
                final StringBuilder progress = new StringBuilder("block " + (b + 1) + "/" + blocks + ":");
                for (final Map.Entry<String, RoundTrips> t : transports.entrySet()) {
                    final boolean isTcp = TCP.equals(t.getKey());
                    final int warm = b == 0 ? scaled(isTcp ? TCP_WARMUP : WARMUP) : scaled(isTcp ? REWARM / 4 : REWARM);
                    final int total = scaled(isTcp ? TCP_MEASURED : MEASURED);
                    final int n = total / blocks + (b < total % blocks ? 1 : 0);
                    final Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
                    final long t0 = System.nanoTime();
                    final long deadline = t0 + TimeUnit.SECONDS.toNanos(BLOCK_CAP_SECONDS);
                    final boolean complete = t.getValue().run(warm, null, deadline)
                        && t.getValue().run(n, h, deadline);
                    final Row row = rows.get(t.getKey());
                    row.block(h);
                    if (!complete) {
                        row.capped++;
                    }
                    progress.append(String.format(Locale.ROOT, " %s %.1f s%s;", t.getKey(), (System.nanoTime() - t0) / 1e9,
                        complete ? "" : " (capped)"));
                }
                out.println(progress);
            }
            socket.close();
            report();
        }

        /** Null calls through an RPC client and a server started in the child for this block. */
        private RoundTrips rpc(final Endpoint ep, final String strategyName, final WaitStrategy strategy,
                               final int[] serial) {
            return (n, h, deadline) -> {
                final String service = "ping-" + strategyName + "-" + (++serial[0]);
                ask("rpc-start " + strategyName + " " + service);
                try (RpcClient client = RpcClient.connect(ep, service, new RpcClient.Context().waitStrategy(strategy),
                    10, TimeUnit.SECONDS)) {
                    for (int i = 0; i < n; i++) {
                        final long t0 = System.nanoTime();
                        client.call(NULL, null, CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                        final long rtt = System.nanoTime() - t0;
                        if (h != null) {
                            h.recordValue(Math.min(rtt, TimeUnit.SECONDS.toNanos(60)));
                        }
                        if ((i & 255) == 0 && System.nanoTime() - deadline > 0) {
                            return false;
                        }
                    }
                    return true;
                } finally {
                    ask("rpc-stop");
                }
            };
        }

        private static String us(final long nanos) {
            return String.format(Locale.ROOT, "%.2f", nanos / 1e3);
        }

        private void report() {
            out.println();
            out.println("| transport | round trips | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |");
            out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (final Row r : rows.values()) {
                final Histogram h = r.histogram;
                out.println("| " + r.name + (r.capped > 0 ? " (time-capped)" : "") + " | " + h.getTotalCount() + " | "
                    + us(h.getValueAtPercentile(50)) + " | " + us(h.getValueAtPercentile(90)) + " | "
                    + us(h.getValueAtPercentile(99)) + " | " + us(h.getValueAtPercentile(99.9)) + " | "
                    + us(h.getMaxValue()) + " |");
            }
            out.println();
            out.print("per-block p50 (µs):");
            for (final Row r : rows.values()) {
                final StringBuilder b = new StringBuilder();
                for (final long m : r.blockMedians) {
                    b.append(b.length() == 0 ? "" : " / ").append(us(m));
                }
                out.print(" " + r.name + " " + b + ";");
            }
            out.println();
            final double raw = p50(RAW);
            final double busy = p50(RPC_BUSY);
            final double competitive = p50(RPC_COMPETITIVE);
            final double tcp = p50(TCP);
            out.println();
            out.printf(Locale.ROOT, "RPC p50 / raw p50: busy-spin %.1fx, competitive %.1fx%n", busy / raw,
                competitive / raw);
            out.printf(Locale.ROOT, "TCP p50 / RPC p50: busy-spin %.2fx, competitive %.2fx%n", tcp / busy,
                tcp / competitive);
        }

        private double p50(final String row) {
            return rows.get(row).histogram.getValueAtPercentile(50);
        }
    }

    // ======================================================================================== child

    /** The answering side: serves the commands the parent sends on standard input, one answer line each. */
    static final class Child {
        /**
         * Diagnostic: busy-spin everywhere except on the server's accept thread, which blocks. The server's
         * Listener waits for connection requests with the server's own strategy, so with busy-spin its
         * accept thread burns a core of its own; this shows what that costs on a small machine. It
         * recognises the accept thread by the name RpcServer gives it.
         */
        static final WaitStrategy BUSY_POLL_BLOCKING_ACCEPT = (ready, bell, timeout) ->
            Thread.currentThread().getName().endsWith("-accept") ? WaitStrategy.block().await(ready, bell, timeout)
                : WaitStrategy.busySpin().await(ready, bell, timeout);

        private Child() {
        }

        static void run(final Path fabricDir) throws Exception {
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            final PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
            try (Fabric fabric = Fabric.open(fabricDir);
                 Endpoint ep = fabric.openEndpoint("bench-answerer")) {
                RpcServer server = null;
                InboundMapping rawIn = null;
                OutboundMapping rawOut = null;
                Thread rawThread = null;
                ServerSocketChannel listen = null;
                String line;
                while ((line = in.readLine()) != null && !"exit".equals(line)) {
                    final String[] cmd = line.split(" ");
                    switch (cmd[0]) {
                        case "raw-setup":
                            rawOut = ep.importRegion("raw-to-caller");
                            rawIn = ep.export("raw-to-answerer", 4096);
                            out.println("ok");
                            break;
                        case "raw-start": {
                            final InboundMapping rin = rawIn;
                            final OutboundMapping rout = rawOut;
                            final long last = rin.getLongVolatile(0);   // before saying ok: the caller then writes
                            rawThread = new Thread(() -> answerRaw(rin, rout, last), "raw-answerer");
                            rawThread.setDaemon(true);   // if the caller goes away, exiting does not wait for it
                            rawThread.start();
                            out.println("ok");
                            break;
                        }
                        case "raw-wait":
                            rawThread.join();
                            out.println("ok");
                            break;
                        case "tcp-setup": {
                            listen = ServerSocketChannel.open();
                            listen.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                            final ServerSocketChannel l = listen;
                            final Thread echo = new Thread(() -> echoTcp(l), "tcp-answerer");
                            echo.setDaemon(true);
                            echo.start();
                            out.println("port " + ((InetSocketAddress) listen.getLocalAddress()).getPort());
                            break;
                        }
                        case "rpc-start": {
                            final WaitStrategy strategy = "busy".equals(cmd[1]) ? WaitStrategy.busySpin()
                                : "busy-accept-blocks".equals(cmd[1]) ? BUSY_POLL_BLOCKING_ACCEPT
                                : WaitStrategy.competitive();
                            server = RpcServer.create(ep, cmd[2], new RpcServer.Context().workers(0)
                                .waitStrategy(strategy)).handle(NULL, v -> null).start();
                            out.println("ok");
                            break;
                        }
                        case "rpc-stop":
                            server.close();
                            server = null;
                            out.println("ok");
                            break;
                        default:
                            out.println("error: unknown command " + line);
                    }
                }
                if (server != null) {
                    server.close();
                }
                if (listen != null) {
                    listen.close();
                }
            }
        }

        /** Echoes each value the caller stores back into the caller's region, until a negative value. */
        private static void answerRaw(final InboundMapping in, final OutboundMapping out, final long start) {
            long last = start;
            final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            int spins = 0;
            while (true) {
                final long v = in.getLongVolatile(0);
                if (v == last) {
                    Thread.onSpinWait();
                    if (++spins == 1 << 20) {
                        spins = 0;
                        if (System.nanoTime() - deadline > 0) {
                            return;   // the caller is gone
                        }
                    }
                    continue;
                }
                last = v;
                if (v < 0) {
                    return;
                }
                out.putLongOrdered(0, v);
            }
        }

        private static void echoTcp(final ServerSocketChannel listen) {
            try (SocketChannel s = listen.accept()) {
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
                s.configureBlocking(true);
                final ByteBuffer b = ByteBuffer.allocateDirect(1);
                while (true) {
                    b.clear();
                    if (s.read(b) < 0) {
                        return;
                    }
                    b.flip();
                    while (b.hasRemaining()) {
                        s.write(b);
                    }
                }
            } catch (final IOException e) {
                // the caller closed the connection
            }
        }
    }
}
