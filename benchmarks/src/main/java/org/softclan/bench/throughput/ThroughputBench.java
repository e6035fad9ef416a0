package org.softclan.bench.throughput;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import net.openhft.chronicle.core.Jvm;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.HdrHistogram.Histogram;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.ByteStreams;
import org.softclan.vmmc.stream.ReceiveTechnique;
import org.softclan.vmmc.stream.StreamListener;

/**
 * One-way throughput between two JVMs on one host. This JVM receives and measures; a child JVM
 * ({@link ThroughputChild}, started with the same {@code java}, class path and JVM input arguments)
 * sends messages of {@link Config#size()} bytes as fast as the transport takes them, or at a fixed rate.
 *
 * <pre>{@code
 * try (ThroughputBench.Session s = ThroughputBench.open()) {
 *     Result raw = s.run(new Config().transport(Transport.raw()).size(65536));
 *     Result pio = s.run(new Config().transport(Transport.parse("stream-pio")).size(65536));
 * }
 * }</pre>
 *
 * <p><b>Measurement</b>: the receiver reads into a direct buffer of {@link Config#effectiveReadSize()}
 * bytes, and takes every byte through {@link MessageCheck} (byte count, every message's sequence number,
 * two sampled body bytes per message, optionally a CRC32C of everything). The measured interval starts at
 * the first read at least {@link Config#warmupSeconds()} after the first byte arrived and ends when the
 * receiver sees the end of the stream; its bytes are those read after its start. The sender sends for
 * warm-up plus {@link Config#seconds()}, or {@link Config#totalBytes()} in all. At the end the sender's
 * byte count (and CRC) must equal the receiver's, else the result is a failure.
 *
 * <p><b>Transports</b> (receiver side here, sender side in {@link ThroughputChild}):
 * <ul>
 *   <li>{@code raw}: a {@link RawRing} of {@link Config#ringBytes()} in a region this JVM exports and the
 *       sender imports (the floor).</li>
 *   <li>{@code stream-*}: a {@link ByteStream} whose receive ring is {@link Config#ringBytes()} (both ends'
 *       {@link ConnectionContext#ringCapacity}), busy-spin or competitive waits.</li>
 *   <li>{@code aeron-ipc}: an embedded media driver in this JVM (a fresh directory in /dev/shm deleted on
 *       start and shutdown) in invoker threading mode, its duty cycle run by the receiving thread while it
 *       measures ({@link DriverDuty}), channel
 *       {@code aeron:ipc?term-length=<ring>}, an exclusive publication (tryClaim up to the MTU's payload,
 *       else offer, which fragments), a subscription polled with a fragment assembler and a {@code BusySpinIdleStrategy}.</li>
 *   <li>{@code tcp}: blocking loopback {@link SocketChannel}s, send and receive buffers of
 *       {@link Config#ringBytes()}.</li>
 *   <li>{@code uds}: blocking Unix domain socket channels, the same buffer sizes where the platform allows.</li>
 * </ul>
 */
public final class ThroughputBench {
    /** Buffers the sender rotates through (in flight at once for the non-classical send techniques). */
    static final int SLOTS = 8;
    /** SLF4J's own notices ("no providers", from the libraries' optional logging) are kept off the output. */
    static final String SLF4J_VERBOSITY = "slf4j.internal.verbosity";
    private static final long LINE_SECONDS = 60;
    private static final long ACCEPT_SLICE_MS = 100;

    private ThroughputBench() {
    }

    /**
     * Measures one configuration with a fresh child JVM.
     *
     * @return the result (a failed one if the transport is not available or a check failed)
     * @throws IOException if the child JVM cannot be started
     */
    public static Result run(final Config config) throws IOException {
        try (Session s = open()) {
            return s.run(config);
        }
    }

    /**
     * Measures one transport with the other settings at their defaults (64 MiB rings, busy-spin waits,
     * reads of one message's size) and a fresh child JVM.
     *
     * @param transport    what to measure
     * @param size         bytes per message
     * @param seconds      measured seconds
     * @param warmupSeconds seconds before measuring
     * @return the result
     * @throws IOException if the child JVM cannot be started
     */
    public static Result run(final Transport transport, final int size, final double seconds,
                             final double warmupSeconds) throws IOException {
        return run(new Config().transport(transport).size(size).seconds(seconds).warmupSeconds(warmupSeconds));
    }

    /**
     * Starts a child JVM and a temporary fabric for a series of measurements.
     *
     * @throws IOException if the child cannot be started or does not come up
     */
    public static Session open() throws IOException {
        return new Session();
    }

    /** How far apart the two JVMs' {@link System#nanoTime()} clocks are, as measured by bracketing reads. */
    public static final class ClockCheck {
        /** Trials made. */
        public final int trials;
        /** Trials in which the child's reading lay outside the parent's before/after bracket. */
        public final int outside;
        /** The narrowest bracket (ns): the uncertainty of the best trial. */
        public final long narrowestBracket;

        ClockCheck(final int trials, final int outside, final long narrowestBracket) {
            this.trials = trials;
            this.outside = outside;
            this.narrowestBracket = narrowestBracket;
        }

        @Override
        public String toString() {
            return outside == 0
                ? "System.nanoTime is one clock in both JVMs: in all " + trials + " trials the child's reading lay"
                    + " between this JVM's readings before and after asking (narrowest bracket "
                    + String.format(Locale.ROOT, "%.1f", narrowestBracket / 1e3) + " µs)"
                : "WARNING: in " + outside + " of " + trials + " trials the child's System.nanoTime lay outside this"
                    + " JVM's before/after bracket: the clocks differ, latencies across the JVMs are not valid";
        }
    }

    /** A child JVM, a fabric, and the transports' resources, kept across measurements. */
    public static final class Session implements AutoCloseable {
        private final Fabric fabric;
        private final Endpoint endpoint;
        private final Child child;
        private final Path socketDir;
        private final Thread cleanup;
        private MediaDriver driver;
        private DriverDuty driverDuty;
        private Aeron aeron;
        private Path aeronDir;
        private int serial;

        Session() throws IOException {
            if (System.getProperty(SLF4J_VERBOSITY) == null) {
                System.setProperty(SLF4J_VERBOSITY, "ERROR");
            }
            this.fabric = Fabric.createTemporary();
            this.socketDir = Files.createTempDirectory("softclan-tp-");
            this.cleanup = new Thread(this::emergencyCleanup, "throughput-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                this.endpoint = fabric.openEndpoint("tp-receiver");
                this.child = new Child(fabric.root());
            } catch (final IOException | RuntimeException e) {
                closeQuietly();
                throw e;
            }
        }

        /**
         * Checks that {@link System#nanoTime()} reads the same clock in both JVMs.
         *
         * @param trials how many bracketing reads
         */
        public ClockCheck checkClock(final int trials) throws IOException {
            int outside = 0;
            long narrowest = Long.MAX_VALUE;
            for (int i = 0; i < trials; i++) {
                final long before = System.nanoTime();
                child.send("clock");
                final String line = child.expect("clock ");
                final long after = System.nanoTime();
                final long theirs = Long.parseLong(line.substring("clock ".length()).trim());
                if (theirs < before || theirs > after) {
                    outside++;
                }
                narrowest = Math.min(narrowest, after - before);
            }
            return new ClockCheck(trials, outside, narrowest);
        }

        /**
         * Measures one configuration.
         *
         * @return the result; a failed one (with the reason) if the transport failed or a check did
         * @throws IOException if the child JVM stopped answering
         */
        public Result run(final Config c) throws IOException {
            final int id = ++serial;
            final Map<String, String> pairs = c.toMap();
            pairs.put("slots", Integer.toString(SLOTS));
            final ReceiverEnd end;
            try {
                end = prepare(c, id, pairs);
            } catch (final RuntimeException | IOException e) {
                return Result.failed(c, "receiver set-up: " + ThroughputChild.oneLine(e));
            }
            child.send("send " + Config.tokens(pairs));
            try {
                return receive(c, end);
            } finally {
                end.close();
            }
        }

        private Result receive(final Config c, final ReceiverEnd end) throws IOException {
            final Histogram latency = c.rate() > 0 ? new Histogram(TimeUnit.SECONDS.toNanos(60), 3) : null;
            final MessageCheck check = new MessageCheck(c.size(), SLOTS, c.checksum(), latency, c.warmupMessages());
            final int readSize = Math.max(c.effectiveReadSize(),
                c.transport().kind() == Transport.Kind.AERON_IPC ? c.size() : 1);
            final ByteBuffer dst = ThroughputChild.pageAligned(readSize);
            final long warmup = Math.round(c.warmupSeconds() * 1e9);
            final boolean timed = latency != null;
            long first = 0;
            long markTime = 0;
            long markBytes = 0;
            boolean marked = false;
            final long end1;
            try {
                end.start(child);
                while (true) {
                    dst.clear();
                    final int n = end.read(dst);
                    if (n < 0) {
                        break;
                    }
                    if (n == 0) {
                        continue;
                    }
                    if (!marked || timed) {
                        final long now = System.nanoTime();
                        check.accept(dst, 0, n, now);
                        if (first == 0) {
                            first = now;
                        }
                        if (!marked && now - first >= warmup) {
                            marked = true;
                            markTime = now;
                            markBytes = check.bytes();
                        }
                    } else {
                        check.accept(dst, 0, n, 0);
                    }
                }
                end1 = System.nanoTime();
                end.stopReading();
            } catch (final IOException | RuntimeException e) {
                end.stopReading();
                end.abort();
                final String childSaid = child.nextResult();
                if (childSaid.startsWith("sent")) {
                    child.send("done");
                    child.expect("closed");
                }
                return Result.failed(c, ThroughputChild.oneLine(e)
                    + (childSaid.startsWith("error") ? "; the sender: " + childSaid.substring(6) : ""));
            }
            final String childSaid = child.nextResult();
            if (!childSaid.startsWith("sent")) {
                return Result.failed(c, childSaid.startsWith("error ") ? childSaid.substring(6) : childSaid);
            }
            child.send("done");
            child.expect("closed");
            final Map<String, String> sent = Config.parseTokens(childSaid.substring(4));
            final long sentBytes = Long.parseLong(sent.get("bytes"));
            final long sentCrc = Long.parseLong(sent.get("crc"));
            if (sentBytes != check.bytes()) {
                return Result.failed(c, "the sender sent " + sentBytes + " bytes, the receiver read " + check.bytes());
            }
            if (check.failure() != null) {
                return Result.failed(c, "content check: " + check.failure());
            }
            if (c.checksum() && sentCrc != check.crc()) {
                return Result.failed(c, "CRC32C mismatch: sent " + Long.toHexString(sentCrc) + ", received "
                    + Long.toHexString(check.crc()));
            }
            if (check.messages() * c.size() != check.bytes()) {
                return Result.failed(c, "the stream ended inside a message (" + check.bytes() + " bytes)");
            }
            final String what = "byte count, sequence numbers, 2 sampled bytes per message"
                + (c.checksum() ? ", CRC32C of all bytes" : "");
            if (first == 0) {
                return Result.ok(c, 0, 0, 0, false, latency, what);
            }
            if (!marked) {
                return Result.ok(c, check.bytes(), check.bytes(), end1 - first, false, latency, what);
            }
            return Result.ok(c, check.bytes(), check.bytes() - markBytes, end1 - markTime, true, latency, what);
        }

        private ReceiverEnd prepare(final Config c, final int id, final Map<String, String> pairs) throws IOException {
            switch (c.transport().kind()) {
                case RAW: {
                    final String region = "tp-raw-" + id;
                    pairs.put("region", region);
                    return new RawReceiver(endpoint.export(region, RawRing.regionBytes(c.ringBytes())), c.ringBytes());
                }
                case STREAM: {
                    final String service = "tp-stream-" + id;
                    pairs.put("service", service);
                    final ConnectionContext ctx = new ConnectionContext().ringCapacity(c.ringBytes())
                        .waitStrategy(c.busySpin() ? WaitStrategy.busySpin() : WaitStrategy.competitive());
                    return new StreamReceiver(ByteStreams.listen(endpoint, service, ctx), c.receiveTechnique());
                }
                case AERON_IPC: {
                    startAeron();
                    final String channel = "aeron:ipc?term-length=" + Math.max(64 * 1024, c.ringBytes());
                    pairs.put("aeron", aeronDir.toString());
                    pairs.put("channel", channel);
                    pairs.put("stream", Integer.toString(1000 + id));
                    return new AeronReceiver(aeron.addSubscription(channel, 1000 + id), driverDuty, c.size());
                }
                case TCP: {
                    final ServerSocketChannel server = ServerSocketChannel.open();
                    server.setOption(StandardSocketOptions.SO_RCVBUF, c.ringBytes());
                    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                    pairs.put("port", Integer.toString(((InetSocketAddress) server.getLocalAddress()).getPort()));
                    return new SocketReceiver(server, null, c.ringBytes());
                }
                case UDS: {
                    final Path path = socketDir.resolve("tp-" + id + ".sock");
                    final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                    server.bind(UnixDomainSocketAddress.of(path));
                    pairs.put("path", path.toString());
                    return new SocketReceiver(server, path, c.ringBytes());
                }
                default:
                    throw new IllegalArgumentException("unknown transport " + c.transport());
            }
        }

        private void startAeron() {
            if (driver != null) {
                return;
            }
            aeronDir = Paths.get("/dev/shm", "softclan-tp-aeron-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(System.nanoTime()));
            driver = MediaDriver.launch(new MediaDriver.Context()
                .aeronDirectoryName(aeronDir.toString())
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .threadingMode(ThreadingMode.INVOKER));
            driverDuty = new DriverDuty(driver.sharedAgentInvoker());
            aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir.toString()));
        }

        /** Stops the child JVM and removes the fabric, the Aeron directory and the socket directory. */
        @Override
        public void close() {
            closeQuietly();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (final IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }

        private void closeQuietly() {
            if (child != null) {
                child.exit();
            }
            if (aeron != null) {
                aeron.close();
                aeron = null;
            }
            if (driverDuty != null) {
                driverDuty.stop();
                driverDuty = null;
            }
            if (driver != null) {
                driver.close();
                driver = null;
            }
            if (endpoint != null) {
                endpoint.close();
            }
            fabric.close();
            deleteTree(socketDir);
        }

        private void emergencyCleanup() {
            if (child != null) {
                child.kill();
            }
            deleteTree(fabric.root());
            deleteTree(socketDir);
            if (aeronDir != null) {
                deleteTree(aeronDir);
            }
        }
    }

    static void deleteTree(final Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException | UncheckedIOException e) {
            // best effort
        }
    }

    // ===================================================================================== the child

    /** The sending JVM and its answers. */
    static final class Child {
        private static final String EOF = "\u0000EOF";
        private final Process process;
        private final PrintWriter stdin;
        private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private volatile String failure;

        Child(final Path fabricDir) throws IOException {
            final List<String> cmd = new ArrayList<>();
            cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.add("-Dchronicle.analytics.disable=true");
            cmd.add("-Dchronicle.announcer.disable=true");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(ThroughputChild.class.getName());
            cmd.add(fabricDir.toString());
            this.process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            this.stdin = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
            final Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("error")) {
                            failure = line;
                        }
                        lines.add(line);
                    }
                } catch (final IOException e) {
                    // the child is gone
                } finally {
                    lines.add(EOF);
                }
            }, "throughput-child-reader");
            reader.setDaemon(true);
            reader.start();
            try {
                expect("ready");
            } catch (final IOException e) {
                kill();
                throw e;
            }
        }

        void send(final String line) {
            stdin.println(line);
        }

        /** Waits for the next line starting with {@code prefix} (others are passed on to standard error). */
        String expect(final String prefix) throws IOException {
            final String line = nextLine(prefix);
            if (!line.startsWith(prefix)) {
                throw new IOException("the sending JVM answered '" + line + "', expected '" + prefix + "...'");
            }
            return line;
        }

        /** @return the next "sent ..." or "error ..." line */
        String nextResult() throws IOException {
            final String line = nextLine("sent", "error");
            failure = null;
            return line;
        }

        private String nextLine(final String... prefixes) throws IOException {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LINE_SECONDS);
            while (true) {
                final String line;
                try {
                    line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted waiting for the sending JVM");
                }
                if (line == null) {
                    throw new IOException("the sending JVM did not answer within " + LINE_SECONDS + " s");
                }
                if (EOF.equals(line)) {
                    lines.add(EOF);
                    throw new IOException("the sending JVM exited" + exitCode());
                }
                for (final String p : prefixes) {
                    if (line.startsWith(p)) {
                        return line;
                    }
                }
                if (line.startsWith("error")) {
                    return line;
                }
                System.err.println("[sender] " + line);
            }
        }

        private String exitCode() {
            try {
                return process.waitFor(5, TimeUnit.SECONDS) ? " with code " + process.exitValue() : "";
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return "";
            }
        }

        /** Throws if the child died or reported a failure (called by spinning receivers now and then). */
        void check() throws IOException {
            if (failure != null) {
                throw new IOException("the sender failed: " + failure.substring(Math.min(6, failure.length())));
            }
            if (!process.isAlive()) {
                throw new IOException("the sending JVM exited with code " + process.exitValue());
            }
        }

        void exit() {
            send("exit");
            stdin.close();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    kill();
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        }

        void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ================================================================================== receivers

    /** The receiving end of one transport. */
    abstract static class ReceiverEnd {
        /** Completes the set-up once the sender was told to connect (accepts its connection). */
        void start(final Child child) throws IOException {
        }

        /**
         * Reads into {@code dst} from its position, waiting for at least one byte.
         *
         * @return bytes read, or -1 at the end of the stream
         */
        abstract int read(ByteBuffer dst) throws IOException;

        /** Called once reading is over, before the closing handshake with the sender. */
        void stopReading() {
        }

        /** Tells the sender to give up (the receiver stopped reading). */
        abstract void abort();

        /** Releases the end; never throws. */
        abstract void close();
    }

    static final class RawReceiver extends ReceiverEnd {
        private final InboundMapping in;
        private final int capacity;
        private RawRing ring;

        RawReceiver(final InboundMapping in, final int capacity) {
            this.in = in;
            this.capacity = capacity;
        }

        @Override
        void start(final Child child) {
            ring = new RawRing(in.address(0, RawRing.regionBytes(capacity)), capacity, child::check);
        }

        @Override
        int read(final ByteBuffer dst) throws IOException {
            final int n = ring.read(Jvm.address(dst) + dst.position(), dst.remaining());
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }

        @Override
        void abort() {
            if (ring != null) {
                ring.abort();
            }
        }

        @Override
        void close() {
            in.close();
        }
    }

    static final class StreamReceiver extends ReceiverEnd {
        private final StreamListener listener;
        private final ReceiveTechnique technique;
        private ByteStream stream;

        StreamReceiver(final StreamListener listener, final ReceiveTechnique technique) {
            this.listener = listener;
            this.technique = technique;
        }

        @Override
        void start(final Child child) throws IOException {
            while (stream == null) {
                child.check();
                stream = listener.accept(ACCEPT_SLICE_MS, TimeUnit.MILLISECONDS);
            }
            if (technique != ReceiveTechnique.BUFFERED) {
                stream.receiveTechnique(technique);
            }
        }

        @Override
        int read(final ByteBuffer dst) throws IOException {
            return stream.read(dst);
        }

        @Override
        void abort() {
            if (stream != null) {
                stream.close();
            }
        }

        @Override
        void close() {
            if (stream != null) {
                stream.close();
            }
            listener.close();
        }
    }

    static final class AeronReceiver extends ReceiverEnd {
        private final Subscription subscription;
        private final FragmentAssembler assembler;
        private ByteBuffer target;
        private ByteBuffer overflow = ByteBuffer.allocateDirect(0);
        private boolean eof;
        private Child child;
        private final DriverDuty duty;
        private final BusySpinIdleStrategy idleStrategy = new BusySpinIdleStrategy();
        private AgentInvoker invoker;
        private int reads;
        private final int size;
        /** Fragments one message takes (the MTU's payload is the MTU less a 32-byte frame header). */
        private int fragmentsPerMessage = 1;

        AeronReceiver(final Subscription subscription, final DriverDuty duty, final int size) {
            this.subscription = subscription;
            this.duty = duty;
            this.size = size;
            final FragmentHandler handler = (buffer, offset, length, header) -> {
                if (length == 1) {
                    eof = true;
                    return;
                }
                final ByteBuffer t = target;
                if (!overflow.hasRemaining() && t.remaining() >= length) {
                    buffer.getBytes(offset, t, t.position(), length);
                    t.position(t.position() + length);
                } else {
                    keep(buffer, offset, length);
                }
            };
            this.assembler = new FragmentAssembler(handler);
        }

        private void keep(final org.agrona.DirectBuffer buffer, final int offset, final int length) {
            if (overflow.capacity() - overflow.limit() < length) {
                final ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(2 * overflow.capacity(),
                    overflow.remaining() + length));
                bigger.put(overflow);
                bigger.flip();
                overflow = bigger;
            }
            final int at = overflow.limit();
            overflow.limit(at + length);
            buffer.getBytes(offset, overflow, at, length);
        }

        @Override
        void start(final Child child) throws IOException {
            this.child = child;
            invoker = duty.take();
            int idle = 0;
            while (subscription.imageCount() == 0) {
                if (invoker.invoke() == 0) {
                    Thread.onSpinWait();
                }
                if (++idle == 1 << 12) {
                    idle = 0;
                    child.check();
                }
            }
            final int payload = subscription.imageAtIndex(0).mtuLength() - 32;
            fragmentsPerMessage = (size + payload - 1) / payload;
        }

        @Override
        int read(final ByteBuffer dst) throws IOException {
            if ((++reads & 7) == 0) {
                invoker.invoke();
            }
            final int start = dst.position();
            if (overflow.hasRemaining()) {
                final int n = Math.min(overflow.remaining(), dst.remaining());
                final ByteBuffer part = overflow.duplicate();
                part.limit(part.position() + n);
                dst.put(part);
                overflow.position(overflow.position() + n);
                if (!overflow.hasRemaining()) {
                    overflow.clear().limit(0);
                }
                return n;
            }
            if (eof) {
                return -1;
            }
            target = dst;
            // as many fragments as make the messages dst has room for: none need keeping for later
            final int limit = Math.max(1, dst.remaining() / size) * fragmentsPerMessage;
            int idle = 0;
            while (dst.position() == start && !overflow.hasRemaining() && !eof) {
                final int fragments = subscription.poll(assembler, limit);
                if (fragments == 0) {
                    invoker.invoke();
                }
                idleStrategy.idle(fragments);
                if (fragments == 0) {
                    if (++idle == 1 << 16) {
                        idle = 0;
                        child.check();
                    }
                }
            }
            target = null;
            if (dst.position() == start) {
                return overflow.hasRemaining() ? read(dst) : -1;
            }
            return dst.position() - start;
        }

        @Override
        void stopReading() {
            if (invoker != null) {
                invoker = null;
                duty.give();
            }
        }

        @Override
        void abort() {
            close();
        }

        @Override
        void close() {
            stopReading();
            subscription.close();
        }
    }

    static final class SocketReceiver extends ReceiverEnd {
        private final ServerSocketChannel server;
        private final Path path;
        private final int bufferBytes;
        private SocketChannel channel;

        SocketReceiver(final ServerSocketChannel server, final Path path, final int bufferBytes) {
            this.server = server;
            this.path = path;
            this.bufferBytes = bufferBytes;
        }

        @Override
        void start(final Child child) throws IOException {
            server.configureBlocking(false);
            while (channel == null) {
                child.check();
                channel = server.accept();
                if (channel == null) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
            }
            channel.configureBlocking(true);
            try {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, bufferBytes);
            } catch (final IOException | UnsupportedOperationException e) {
                // the platform default then
            }
        }

        @Override
        int read(final ByteBuffer dst) throws IOException {
            return channel.read(dst);
        }

        @Override
        void abort() {
            close();
        }

        @Override
        void close() {
            try {
                if (channel != null) {
                    channel.close();
                }
                server.close();
            } catch (final IOException e) {
                // closing anyway
            }
            if (path != null) {
                path.toFile().delete();
            }
        }
    }

    /**
     * Runs the embedded media driver's duty cycle ({@link ThreadingMode#INVOKER}): on a background thread
     * that sleeps 100 µs between cycles while no measurement runs, and on the receiving thread itself
     * during a measurement (whenever a poll finds nothing, and every 8th read). So the measurement has two
     * busy threads, the sender and the receiver, as every other transport has; a driver thread of its own
     * would compete with them for the CPUs of a small machine.
     */
    static final class DriverDuty {
        private final AgentInvoker invoker;
        private final ReentrantLock lock = new ReentrantLock();
        private final Thread thread;
        private volatile boolean running = true;

        DriverDuty(final AgentInvoker invoker) {
            this.invoker = invoker;
            this.thread = new Thread(this::loop, "aeron-driver-duty");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            while (running) {
                lock.lock();
                try {
                    if (running) {
                        invoker.invoke();
                    }
                } finally {
                    lock.unlock();
                }
                LockSupport.parkNanos(100_000);
            }
        }

        /** @return the invoker, for the calling thread alone until {@link #give()} */
        AgentInvoker take() {
            lock.lock();
            return invoker;
        }

        void give() {
            lock.unlock();
        }

        void stop() {
            running = false;
            try {
                thread.join(5_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
