package org.softclan.bench.tripwire;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import net.openhft.chronicle.core.UnsafeMemory;
import org.HdrHistogram.Histogram;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.EventHandler;
import org.softclan.tripwire.EventQueue;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.tripwire.os.Futex;
import org.softclan.tripwire.os.Membarrier;

/**
 * Round-trip latency between two JVMs on one host, through the Tripwire unit with each of its wait
 * strategies, against a raw shared-memory spin (the floor) and a bare futex ping-pong.
 *
 * <pre>
 * java $FLAGS -cp benchmarks/target/benchmarks.jar org.softclan.bench.tripwire.PingPong \
 *     [--strategy all|NAME[,NAME...]] [--iterations N] [--warmup N] [--blocks K]
 * </pre>
 *
 * {@code $FLAGS} are the root pom's {@code softclan.jvm.flags}; the child JVM gets this JVM's own flags
 * (its input arguments), the same {@code java} and the same class path.
 *
 * <p><b>Set-up.</b> This JVM ("ping") creates a temporary fabric, exports region {@code ping} and starts
 * a child JVM ("pong") that exports region {@code pong}; each imports the other's region, and each
 * opens a {@link TripwireUnit}. Transports run one after the other, each on its own word (its own
 * cache line) of both regions, coordinated over the child's standard input and output.
 *
 * <p><b>One round trip</b> {@code i}: ping takes {@link System#nanoTime()}, stores {@code i} into its
 * word of pong's region ({@link OutboundMapping#putLongOrdered}), waits until pong has stored
 * {@code i} into the same word of ping's region, and takes the time again. Pong waits for {@code i}
 * and answers the same way. The first {@code warmup} round trips are discarded; the others go into
 * an {@link Histogram} (nanoseconds, 3 significant digits).
 *
 * <p><b>Interleaving.</b> Each transport's round trips are split into {@code K} blocks (default
 * {@value #BLOCKS}) run in turn with the other transports' blocks, each later block after a short
 * re-warm ({@value #SPIN_REWARM} or {@value #SLOW_REWARM} round trips, discarded), so that a change of
 * conditions during the run affects every transport alike. On a virtual machine the host may move
 * the two virtual CPUs between cores that share a cache and cores that do not, which changes the
 * cost of every cache-line transfer by a factor of two or more: the per-block medians printed before
 * the table show it, and the ratios are also given block by block.
 *
 * <p><b>Transports</b> (run in this order within a block):
 * <ul>
 *   <li>{@code raw}: no tripwire; the waiter spins reading its word with a volatile load. The floor
 *       for a write that crosses between two processes and back.</li>
 *   <li>{@code tripwire-poll}: each side has a persistent EVENT tripwire on its word; the waiter
 *       polls its event queue in a busy loop ({@link EventQueue#poll}).</li>
 *   <li>{@code busy-spin}, {@code spin-then-yield}, {@code park-backoff}, {@code block},
 *       {@code competitive}: the same tripwires; the waiter waits with
 *       {@link EventQueue#await} and that {@link WaitStrategy} ({@code spinThenYield} and
 *       {@code competitive} with {@link WaitStrategy#DEFAULT_SPIN_NANOS}; {@code parkWithBackoff}
 *       from 1 to 100 µs), then polls the event, whose value must be {@code i}.</li>
 *   <li>{@code futex}: no tripwire; 32-bit words; the waiter {@link Futex#wait}s on its word
 *       (address from its inbound mapping), the other side stores then {@link Futex#wake}s (address
 *       from its outbound mapping). What {@code block} costs at best.</li>
 * </ul>
 * The table also gives each waiting thread's CPU time as a fraction of the wall time: about 1 for
 * the strategies that spin, well under 1 for those that block.
 *
 * <p><b>On a 2-CPU machine</b> the two spinning JVMs occupy both CPUs, so the JIT, the garbage
 * collector and anything else on the machine preempt them: the spinning transports' tails are
 * scheduling noise. The blocking transports measure the kernel's wake-up path (an IPI, or a wake on
 * the same CPU and a context switch).
 *
 * <p>Everything is closed at the end and the temporary fabric removed; a shutdown hook kills the
 * child and removes the fabric's directory if this JVM stops early (Ctrl-C, an error).
 */
public final class PingPong {
    /** Data bytes of each region: one 8-byte word per transport, each on its own cache line. */
    static final long REGION_SIZE = 4096;
    /** How long a side waits for one round trip before giving up. */
    static final long ROUND_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How long the parent waits for a control message from the child. */
    static final long CONTROL_TIMEOUT_SECONDS = 60;
    /** Default round trips measured, and discarded before them, for the spinning transports. */
    static final int SPIN_ITERATIONS = 100_000;
    static final int SPIN_WARMUP = 20_000;
    /** The same for the transports that block or park (each round trip is a wake-up or a timer). */
    static final int SLOW_ITERATIONS = 20_000;
    static final int SLOW_WARMUP = 5_000;
    /** Round trips discarded at the start of each later block (caches and branch predictors settle). */
    static final int SPIN_REWARM = 1_000;
    static final int SLOW_REWARM = 200;
    /**
     * Each transport's round trips are split into this many blocks, run in turn with the other
     * transports' (raw, tripwire-poll, ..., raw, tripwire-poll, ...), so that a change of conditions
     * during the run (another process, the hypervisor moving a virtual CPU) affects them alike.
     */
    static final int BLOCKS = 20;

    /** The ways to wait, in the order they run. */
    enum Transport {
        RAW("raw", true, "no tripwire: the waiter spins on the word with a volatile load"),
        TRIPWIRE_POLL("tripwire-poll", true, "tripwire event, queue polled in a busy loop"),
        BUSY_SPIN("busy-spin", true, "tripwire event, WaitStrategy.busySpin()"),
        SPIN_THEN_YIELD("spin-then-yield", true, "tripwire event, WaitStrategy.spinThenYield(10 us)"),
        COMPETITIVE("competitive", false, "tripwire event, WaitStrategy.competitive(): spin 10 us, then block"),
        FUTEX("futex", false, "no tripwire: bare futex wait / store + wake on the word"),
        BLOCK("block", false, "tripwire event, WaitStrategy.block(): futex on the queue's doorbell"),
        PARK_BACKOFF("park-backoff", false, "tripwire event, WaitStrategy.parkWithBackoff(1 us, 100 us)");

        final String label;
        final boolean spins;
        final String description;

        Transport(final String label, final boolean spins, final String description) {
            this.label = label;
            this.spins = spins;
            this.description = description;
        }

        /** @return the wait strategy of a tripwire transport, null for the others and tripwire-poll */
        WaitStrategy strategy() {
            switch (this) {
                case BUSY_SPIN: return WaitStrategy.busySpin();
                case SPIN_THEN_YIELD: return WaitStrategy.spinThenYield(WaitStrategy.DEFAULT_SPIN_NANOS);
                case COMPETITIVE: return WaitStrategy.competitive();
                case BLOCK: return WaitStrategy.block();
                case PARK_BACKOFF: return WaitStrategy.parkWithBackoff(1_000, 100_000);
                default: return null;
            }
        }

        static Transport of(final String label) {
            for (final Transport t : values()) {
                if (t.label.equals(label)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown strategy '" + label + "'; one of: all, " + labels());
        }

        static String labels() {
            final StringBuilder sb = new StringBuilder();
            for (final Transport t : values()) {
                sb.append(sb.length() == 0 ? "" : ", ").append(t.label);
            }
            return sb.toString();
        }
    }

    private PingPong() {
    }

    // -------------------------------------------------------------------------------- channels

    /** One side's end of a transport: how it sends a sequence number and waits for one. */
    interface Channel extends AutoCloseable {
        /** Stores {@code seq} into the peer's region (and wakes the peer if the transport needs it). */
        void send(long seq);

        /** @return whether {@code seq} arrived before {@code deadline} ({@link System#nanoTime()}) */
        boolean await(long seq, long deadline);

        @Override
        void close();
    }

    static Channel open(final Transport t, final TripwireUnit unit, final InboundMapping in,
                        final OutboundMapping out, final long offset) {
        switch (t) {
            case RAW: return new RawChannel(in, out, offset);
            case FUTEX: return new FutexChannel(in, out, offset);
            default: return new TripwireChannel(unit, t.strategy(), in, out, offset);
        }
    }

    /** Spins on the word with a volatile load. */
    static final class RawChannel implements Channel {
        private final InboundMapping in;
        private final OutboundMapping out;
        private final long offset;

        RawChannel(final InboundMapping in, final OutboundMapping out, final long offset) {
            this.in = in;
            this.out = out;
            this.offset = offset;
        }

        @Override
        public void send(final long seq) {
            out.putLongOrdered(offset, seq);
        }

        @Override
        public boolean await(final long seq, final long deadline) {
            int spins = 0;
            while (in.getLongVolatile(offset) != seq) {
                Thread.onSpinWait();
                if ((++spins & 0xFFF) == 0 && System.nanoTime() - deadline > 0) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void close() {
        }
    }

    /** Keeps the last event polled. */
    static final class LastEvent implements EventHandler {
        long offset;
        long value;

        @Override
        public void onEvent(final long sequence, final long tripwireId, final long cookie, final int regionId,
                            final long off, final long length, final long v) {
            this.offset = off;
            this.value = v;
        }
    }

    /** A persistent EVENT tripwire on the word of this side's region; waits on the event queue. */
    static final class TripwireChannel implements Channel {
        private final EventQueue events;
        private final WaitStrategy strategy;
        private final OutboundMapping out;
        private final long offset;
        private final Tripwire tripwire;
        private final LastEvent last = new LastEvent();

        TripwireChannel(final TripwireUnit unit, final WaitStrategy strategy, final InboundMapping in,
                        final OutboundMapping out, final long offset) {
            this.events = unit.events();
            this.strategy = strategy;
            this.out = out;
            this.offset = offset;
            this.tripwire = unit.arm(in, Tripwire.Options.word(offset).persistent().actions(Tripwire.EVENT));
        }

        @Override
        public void send(final long seq) {
            out.putLongOrdered(offset, seq);
        }

        @Override
        public boolean await(final long seq, final long deadline) {
            int spins = 0;
            while (events.poll(last, 1) == 0) {
                if (strategy == null) {
                    Thread.onSpinWait();
                    if ((++spins & 0xFFF) == 0 && System.nanoTime() - deadline > 0) {
                        return false;
                    }
                } else if (!events.await(strategy, deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                    return false;
                }
            }
            if (last.value != seq || last.offset != offset) {
                throw new IllegalStateException("expected an event for " + seq + " at offset " + offset + ", got value "
                    + last.value + " at offset " + last.offset);
            }
            return true;
        }

        @Override
        public void close() {
            tripwire.disarm();
        }
    }

    /** Bare futex: wait on this side's word, store and wake the peer's. */
    static final class FutexChannel implements Channel {
        private final long waitAddress;
        private final long wakeAddress;

        FutexChannel(final InboundMapping in, final OutboundMapping out, final long offset) {
            this.waitAddress = in.address(offset, 4);
            this.wakeAddress = out.address(offset, 4);
        }

        @Override
        public void send(final long seq) {
            UnsafeMemory.MEMORY.writeVolatileInt(wakeAddress, (int) seq);
            Futex.wake(wakeAddress, 1);
        }

        @Override
        public boolean await(final long seq, final long deadline) {
            final int want = (int) seq;
            int v;
            while ((v = UnsafeMemory.MEMORY.readVolatileInt(waitAddress)) != want) {
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                Futex.wait(waitAddress, v, left);
            }
            return true;
        }

        @Override
        public void close() {
        }
    }

    /** @return the word transport {@code index} uses in both regions */
    static long wordOffset(final int index) {
        return 64L * index;
    }

    // ------------------------------------------------------------------------------------ parent

    /** One transport's plan and results, accumulated over its blocks. */
    static final class Run {
        final Transport transport;
        final int index;
        final int warmup;
        final int rewarm;
        final int iterations;
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final List<Long> blockMedians = new ArrayList<>();
        /** The next sequence number: words are never reset, so every round trip writes a new value. */
        long nextSeq = 1;
        long pingCpuNanos;
        long pongCpuNanos;
        long pingWallNanos;
        long pongWallNanos;

        Run(final Transport transport, final int index, final int warmup, final int iterations) {
            this.transport = transport;
            this.index = index;
            this.warmup = warmup;
            this.rewarm = Math.min(warmup, transport.spins ? SPIN_REWARM : SLOW_REWARM);
            this.iterations = iterations;
        }

        /** @return round trips measured in block {@code b} of {@code blocks} (they add up to the total) */
        int iterationsIn(final int b, final int blocks) {
            return iterations / blocks + (b < iterations % blocks ? 1 : 0);
        }
    }

    /**
     * Runs the comparison.
     *
     * @param args {@code [--strategy all|NAME[,NAME...]] [--iterations N] [--warmup N] [--blocks K]},
     *             or {@code --pong FABRIC_DIR} for the child
     */
    public static void main(final String[] args) throws Exception {
        if (args.length >= 2 && "--pong".equals(args[0])) {
            System.exit(pong(Paths.get(args[1])));
            return;
        }
        String strategies = "all";
        Integer iterations = null;
        Integer warmup = null;
        int blocks = BLOCKS;
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            if (i + 1 >= args.length && a.startsWith("--")) {
                usage("missing value after " + a);
            }
            switch (a) {
                case "--strategy": strategies = args[++i]; break;
                case "--iterations": iterations = positive(a, args[++i]); break;
                case "--warmup": warmup = nonNegative(a, args[++i]); break;
                case "--blocks": blocks = positive(a, args[++i]); break;
                case "-h": case "--help": usage(null); break;
                default: usage("unknown argument '" + a + "'");
            }
        }
        final List<Run> runs = new ArrayList<>();
        final List<Transport> chosen = new ArrayList<>();
        if ("all".equals(strategies)) {
            chosen.addAll(List.of(Transport.values()));
        } else {
            for (final String s : strategies.split(",")) {
                try {
                    chosen.add(Transport.of(s.trim()));
                } catch (final IllegalArgumentException e) {
                    usage(e.getMessage());
                }
            }
        }
        for (final Transport t : chosen) {
            runs.add(new Run(t, runs.size() + 1,
                warmup != null ? warmup : t.spins ? SPIN_WARMUP : SLOW_WARMUP,
                iterations != null ? iterations : t.spins ? SPIN_ITERATIONS : SLOW_ITERATIONS));
        }
        if (runs.size() >= REGION_SIZE / 64) {
            usage("too many transports in one run");
        }
        for (final Run r : runs) {
            if (r.iterations < blocks) {
                usage("--iterations " + r.iterations + " is fewer than --blocks " + blocks);
            }
        }
        System.exit(ping(runs, blocks));
    }

    private static void usage(final String problem) {
        final PrintStream o = problem == null ? System.out : System.err;
        if (problem != null) {
            o.println("error: " + problem);
        }
        o.println("usage: PingPong [--strategy all|NAME[,NAME...]] [--iterations N] [--warmup N] [--blocks K]");
        o.println("  strategies: " + Transport.labels());
        o.println("  defaults: " + SPIN_ITERATIONS + " round trips after " + SPIN_WARMUP + " warm-up for the spinning"
            + " ones, " + SLOW_ITERATIONS + " after " + SLOW_WARMUP + " for the others, in " + BLOCKS
            + " interleaved blocks");
        System.exit(problem == null ? 0 : 2);
    }

    private static int positive(final String option, final String value) {
        final int n = nonNegative(option, value);
        if (n == 0) {
            usage(option + " must be positive");
        }
        return n;
    }

    private static int nonNegative(final String option, final String value) {
        try {
            final int n = Integer.parseInt(value.replace("_", ""));
            if (n < 0) {
                usage(option + " must not be negative: " + value);
            }
            return n;
        } catch (final NumberFormatException e) {
            usage(option + " needs a number: " + value);
            return 0;
        }
    }

    private static int ping(final List<Run> runs, final int blocks) throws Exception {
        final int cpus = Runtime.getRuntime().availableProcessors();
        System.out.printf("# Tripwire ping-pong between two JVMs%n");
        System.out.printf("# %s %s, %d CPUs, %s%n", System.getProperty("java.vm.name"),
            System.getProperty("java.runtime.version"), cpus, System.getProperty("os.name") + " "
                + System.getProperty("os.version"));
        System.out.printf("# futex: %s; membarrier: %s%n", Futex.describe(), Membarrier.describe());
        System.out.printf("# %d interleaved blocks per transport%n", blocks);
        final long started = System.nanoTime();
        final Fabric fabric = Fabric.createTemporary();
        final Path root = fabric.root();
        final Process[] child = new Process[1];
        final boolean[] finished = new boolean[1];
        final Thread cleanup = new Thread(() -> {
            if (child[0] != null && child[0].isAlive()) {
                child[0].destroyForcibly();
            }
            synchronized (finished) {
                if (!finished[0]) {
                    deleteTree(root);
                }
            }
        }, "ping-pong-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            final Endpoint ep = fabric.openEndpoint("ping");
            final InboundMapping in = ep.export("ping", REGION_SIZE);
            child[0] = startChild(root);
            final Control control = new Control(child[0]);
            control.expect("ready");
            final OutboundMapping out = ep.importRegion("pong");
            try (TripwireUnit unit = TripwireUnit.open(ep)) {
                for (int b = 0; b < blocks; b++) {
                    for (final Run run : runs) {
                        if (!block(run, b, blocks, control, unit, in, out)) {
                            return 1;
                        }
                    }
                }
                control.send("quit");
                if (!child[0].waitFor(30, TimeUnit.SECONDS)) {
                    System.err.println("ping: the child did not exit; killing it");
                    child[0].destroyForcibly();
                } else if (child[0].exitValue() != 0) {
                    System.err.println("ping: the child exited with " + child[0].exitValue());
                }
            }
        } catch (final IOException | RuntimeException e) {
            e.printStackTrace();
            return 1;
        } finally {
            if (child[0] != null && child[0].isAlive()) {
                child[0].destroyForcibly();
                child[0].waitFor(10, TimeUnit.SECONDS);
            }
            fabric.close();
            synchronized (finished) {
                finished[0] = true;
            }
        }
        for (final Run r : runs) {
            System.out.printf(Locale.ROOT, "# %-16s %,9d round trips in %6.2f s after %,d warm-up (+%,d per later"
                    + " block); p50 per block (us):%s%n", r.transport.label, r.histogram.getTotalCount(),
                r.pingWallNanos / 1e9, r.warmup, r.rewarm, blockMedians(r));
        }
        System.out.printf(Locale.ROOT, "# whole run: %.1f s%n", (System.nanoTime() - started) / 1e9);
        report(runs, System.out);
        return 0;
    }

    /** Runs block {@code b} of one transport: the child arms, both sides go round, results are added up. */
    private static boolean block(final Run run, final int b, final int blocks, final Control control,
                                 final TripwireUnit unit, final InboundMapping in, final OutboundMapping out)
        throws InterruptedException {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final int warmup = b == 0 ? run.warmup : run.rewarm;
        final int measured = run.iterationsIn(b, blocks);
        final int total = warmup + measured;
        final long first = run.nextSeq;
        run.nextSeq += total;
        control.send("run " + run.transport.label + " " + run.index + " " + first + " " + warmup + " " + total);
        control.expect("armed " + run.index);
        final Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        try (Channel ch = open(run.transport, unit, in, out, wordOffset(run.index))) {
            long wall0 = System.nanoTime();
            long cpu0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < total; i++) {
                if (i == warmup) {
                    wall0 = System.nanoTime();
                    cpu0 = threads.getCurrentThreadCpuTime();
                }
                final long seq = first + i;
                final long t0 = System.nanoTime();
                ch.send(seq);
                if (!ch.await(seq, t0 + ROUND_TIMEOUT_NANOS)) {
                    System.err.println("ping: round trip " + (i + 1) + " of block " + (b + 1) + " of "
                        + run.transport.label + " did not come back within " + ROUND_TIMEOUT_NANOS / 1_000_000_000
                        + " s");
                    return false;
                }
                final long t1 = System.nanoTime();
                if (i >= warmup) {
                    h.recordValue(t1 - t0);
                }
            }
            run.pingWallNanos += System.nanoTime() - wall0;
            run.pingCpuNanos += threads.getCurrentThreadCpuTime() - cpu0;
        }
        final String[] done = control.expect("done " + run.index).split(" ");
        run.pongCpuNanos += Long.parseLong(done[2]);
        run.pongWallNanos += Long.parseLong(done[3]);
        run.histogram.add(h);
        run.blockMedians.add(h.getValueAtPercentile(50));
        return true;
    }

    private static String blockMedians(final Run r) {
        final StringBuilder sb = new StringBuilder();
        for (final long m : r.blockMedians) {
            sb.append(String.format(Locale.ROOT, " %.2f", m / 1e3));
        }
        return sb.toString();
    }

    private static Process startChild(final Path root) throws IOException {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (final String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PingPong.class.getName());
        cmd.add("--pong");
        cmd.add(root.toString());
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static void deleteTree(final Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (final IOException e) {
                    // best effort at exit
                }
            });
        } catch (final IOException e) {
            // best effort at exit
        }
    }

    /** The parent's end of the control channel: commands to the child's stdin, replies from its stdout. */
    static final class Control {
        private static final String EOF = "\u0000eof";
        private final Process process;
        private final PrintWriter toChild;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Control(final Process process) {
            this.process = process;
            this.toChild = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            final Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (final IOException e) {
                    // the child is gone
                } finally {
                    lines.add(EOF);
                }
            }, "pong-output");
            reader.setDaemon(true);
            reader.start();
        }

        void send(final String command) {
            toChild.println(command);
        }

        /** @return the first line starting with {@code prefix}; other lines are echoed to stderr */
        String expect(final String prefix) throws InterruptedException {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONTROL_TIMEOUT_SECONDS);
            while (true) {
                final String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new IllegalStateException("pong did not say '" + prefix + "' within "
                        + CONTROL_TIMEOUT_SECONDS + " s");
                }
                if (EOF.equals(line)) {
                    throw new IllegalStateException("pong exited (" + (process.isAlive() ? "?" : process.exitValue())
                        + ") before saying '" + prefix + "'");
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
                if (line.startsWith("stalled")) {
                    throw new IllegalStateException("pong: " + line);
                }
                System.err.println("pong: " + line);
            }
        }
    }

    // ------------------------------------------------------------------------------------- child

    private static int pong(final Path root) throws IOException {
        final ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        try {
            return pongRounds(root);
        } finally {
            // the parent removes the fabric; if it was killed, nobody else will
            if (parent != null && !parent.isAlive()) {
                deleteTree(root);
            }
        }
    }

    private static int pongRounds(final Path root) throws IOException {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final PrintStream out = System.out;
        final BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Fabric fabric = Fabric.openExisting(root);
             Endpoint ep = fabric.openEndpoint("pong")) {
            final InboundMapping in = ep.export("pong", REGION_SIZE);
            final OutboundMapping toPing = ep.importRegion("ping");
            try (TripwireUnit unit = TripwireUnit.open(ep)) {
                out.println("ready");
                out.flush();
                String line;
                while ((line = commands.readLine()) != null && !"quit".equals(line)) {
                    // run LABEL INDEX FIRST_SEQ WARMUP TOTAL
                    final String[] w = line.split(" ");
                    if (w.length != 6 || !"run".equals(w[0])) {
                        System.err.println("pong: bad command '" + line + "'");
                        return 2;
                    }
                    final Transport t = Transport.of(w[1]);
                    final int index = Integer.parseInt(w[2]);
                    final long first = Long.parseLong(w[3]);
                    final int warmup = Integer.parseInt(w[4]);
                    final int total = Integer.parseInt(w[5]);
                    try (Channel ch = open(t, unit, in, toPing, wordOffset(index))) {
                        out.println("armed " + index);
                        out.flush();
                        long wall0 = System.nanoTime();
                        long cpu0 = threads.getCurrentThreadCpuTime();
                        for (int i = 0; i < total; i++) {
                            final long seq = first + i;
                            if (!ch.await(seq, System.nanoTime() + ROUND_TIMEOUT_NANOS)) {
                                out.println("stalled " + t.label + " waiting for " + seq);
                                out.flush();
                                return 1;
                            }
                            ch.send(seq);
                            if (i + 1 == warmup) {
                                // from the end of the last warm-up round trip, as on the ping side
                                wall0 = System.nanoTime();
                                cpu0 = threads.getCurrentThreadCpuTime();
                            }
                        }
                        out.println("done " + index + " " + (threads.getCurrentThreadCpuTime() - cpu0) + " "
                            + Math.max(1, System.nanoTime() - wall0));
                        out.flush();
                    }
                }
            }
        }
        return 0;
    }

    // ------------------------------------------------------------------------------------ report

    static void report(final List<Run> runs, final PrintStream o) {
        o.println();
        o.println("| transport | round trips | p50 (µs) | p90 (µs) | p99 (µs) | p99.9 (µs) | max (µs) | mean (µs)"
            + " | CPU ping | CPU pong |");
        o.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (final Run r : runs) {
            final Histogram h = r.histogram;
            o.printf(Locale.ROOT, "| %s | %,d | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f | %.2f | %.2f |%n",
                r.transport.label, h.getTotalCount(), us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(90)),
                us(h.getValueAtPercentile(99)), us(h.getValueAtPercentile(99.9)), us(h.getMaxValue()),
                h.getMean() / 1e3, r.pingCpuNanos / (double) r.pingWallNanos,
                r.pongCpuNanos / (double) r.pongWallNanos);
        }
        o.println();
        for (final Run r : runs) {
            o.printf("- %s: %s%n", r.transport.label, r.transport.description);
        }
        o.println("- CPU ping / pong: CPU time of the waiting thread of each JVM over the measured round trips, as a"
            + " fraction of their wall time (1.00 = a whole core)");
        o.println();
        ratio(o, runs, Transport.BUSY_SPIN, Transport.RAW, 1.5);
        ratio(o, runs, Transport.BLOCK, Transport.FUTEX, 2.0);
    }

    private static void ratio(final PrintStream o, final List<Run> runs, final Transport num, final Transport den,
                              final double goal) {
        final Run a = find(runs, num);
        final Run b = find(runs, den);
        if (a == null || b == null) {
            o.printf("%s p50 / %s p50: n/a (not both run)%n", num.label, den.label);
            return;
        }
        final double ratio = a.histogram.getValueAtPercentile(50) / (double) b.histogram.getValueAtPercentile(50);
        final StringBuilder paired = new StringBuilder();
        final double[] perBlock = new double[Math.min(a.blockMedians.size(), b.blockMedians.size())];
        for (int i = 0; i < perBlock.length; i++) {
            perBlock[i] = a.blockMedians.get(i) / (double) b.blockMedians.get(i);
            paired.append(String.format(Locale.ROOT, " %.2f", perBlock[i]));
        }
        java.util.Arrays.sort(perBlock);
        o.printf(Locale.ROOT, "%s p50 / %s p50 = %.2f (goal <= %.1f: %s); block by block:%s (median %.2f)%n",
            num.label, den.label, ratio, goal, ratio <= goal ? "met" : "not met", paired,
            perBlock.length == 0 ? Double.NaN : perBlock[perBlock.length / 2]);
    }

    private static Run find(final List<Run> runs, final Transport t) {
        for (final Run r : runs) {
            if (r.transport == t) {
                return r;
            }
        }
        return null;
    }

    private static double us(final long nanos) {
        return nanos / 1e3;
    }
}
