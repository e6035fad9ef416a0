package org.softclan.bench.peers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.HdrHistogram.Histogram;

/**
 * Runs one transport's ping-pong: prepares the client side in this JVM, starts the echo side in a child
 * JVM ({@link EchoMain}, same {@code java}, class path and JVM input arguments), connects, warms up,
 * measures, and stops the child.
 *
 * <p><b>Measurement.</b> One message in flight at a time; round trip {@code i} carries sequence number
 * {@code i} (warm-up and measured round trips are numbered in one series from 1). Without a rate, each
 * round trip is timed from just before the send to just after the response was checked
 * ({@link System#nanoTime()}). With a rate of {@code R} messages per second, round trip {@code i} is
 * scheduled at {@code start + i / R}: the sender spins until then (or sends at once if it is late) and
 * the latency recorded is from the <em>intended</em> send time to the response, so a slow round trip
 * is also charged to the ones it delayed (no coordinated omission). Warm-up is never paced.
 * Latencies go into an {@link Histogram} in nanoseconds (3 significant digits).
 *
 * <p><b>Warm-up.</b> Before measuring, the client makes at least the warm-up count of round trips
 * <em>and</em> keeps going for at least the warm-up time (whichever ends later), so that the JIT has
 * compiled both sides' loops before the first measured round trip: a count alone is over in a few
 * milliseconds for the fast transports. The warm-up stops early after a third of the time cap, the
 * measurement after the cap; a capped run says so ({@link PingPongResult#capped}, and the warm-up line
 * of the log). At the end the child reports how many requests it
 * echoed (after checking each one): it must equal the round trips made, or the run fails.
 */
public final class PingPongRunner {
    /** A round trip that takes longer than this fails the run. */
    static final long ROUND_TRIP_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How long to wait for the child to say ready or done. */
    static final long CONTROL_TIMEOUT_SECONDS = 60;

    /** What to run. */
    public static final class Settings {
        final PeerTransport transport;
        final int size;
        final int warmup;
        final long warmupNanos;
        final int iterations;
        final long rate;
        final long maxNanos;

        /**
         * Settings with no minimum warm-up time (the warm-up is {@code warmup} round trips).
         *
         * @param transport  the transport
         * @param size       payload bytes
         * @param warmup     round trips before the measured ones
         * @param iterations measured round trips
         * @param rate       messages per second, 0 for back-to-back round trips
         * @param maxSeconds time cap of the measurement (the warm-up gets a third of it)
         */
        public Settings(final PeerTransport transport, final int size, final int warmup, final int iterations,
                        final long rate, final double maxSeconds) {
            this(transport, size, warmup, 0, iterations, rate, maxSeconds);
        }

        /**
         * @param transport     the transport
         * @param size          payload bytes
         * @param warmup        at least this many round trips before the measured ones
         * @param warmupSeconds and at least this long warming up (0 for no minimum time)
         * @param iterations    measured round trips
         * @param rate          messages per second, 0 for back-to-back round trips
         * @param maxSeconds    time cap of the measurement (the warm-up gets a third of it)
         */
        public Settings(final PeerTransport transport, final int size, final int warmup, final double warmupSeconds,
                        final int iterations, final long rate, final double maxSeconds) {
            if (warmup < 0 || !(warmupSeconds >= 0) || Double.isInfinite(warmupSeconds) || iterations <= 0 || rate < 0
                || !(maxSeconds > 0)) {
                throw new IllegalArgumentException("need warmup >= 0, warmup-seconds >= 0, iterations > 0, rate >= 0,"
                    + " max-seconds > 0 (got " + warmup + ", " + warmupSeconds + ", " + iterations + ", " + rate + ", "
                    + maxSeconds + ")");
            }
            this.transport = transport;
            this.size = Payload.checkSize(size);
            this.warmup = warmup;
            this.warmupNanos = (long) (warmupSeconds * 1e9);
            this.iterations = iterations;
            this.rate = rate;
            this.maxNanos = (long) (maxSeconds * 1e9);
        }
    }

    private PingPongRunner() {
    }

    /**
     * Runs the ping-pong; progress lines go to {@code log}.
     *
     * @throws Exception if set-up fails, a round trip fails or times out, or the echo count is wrong
     */
    public static PingPongResult run(final Settings s, final PrintStream log) throws Exception {
        final PeerTransport.Client client = s.transport.client(s.size);
        EchoProcess child = null;
        try {
            final Map<String, String> params = client.prepare();
            child = EchoProcess.start(s.transport.name(), s.size, params);
            final EchoProcess c = child;
            final Path scratch = client.scratch();
            // on Ctrl-C: stop the child and remove the client's temporary files (unlinking mapped files is
            // safe; unmapping under a running round trip would not be)
            final Thread killer = new Thread(() -> {
                c.kill();
                deleteTree(scratch);
            }, "pingpong-cleanup");
            Runtime.getRuntime().addShutdownHook(killer);
            try {
                final String ready = child.expect("ready");
                client.connect(EchoMain.parse(ready.trim().split(" "), 1));
                final PingPongResult result = measure(client, s, log);
                client.disconnect();
                child.send("stop");
                final String done = child.expect("done ");
                final long echoed = Long.parseLong(done.substring("done ".length()).trim());
                if (echoed != result.warmup() + result.roundTrips()) {
                    throw new IllegalStateException(s.transport.name() + ": the echo side checked " + echoed
                        + " requests, the client made " + (result.warmup() + result.roundTrips()) + " round trips");
                }
                child.waitForExit();
                return result.echoed(echoed);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(killer);
                } catch (final IllegalStateException shuttingDown) {
                    // the hook runs anyway
                }
            }
        } finally {
            if (child != null) {
                child.kill();
            }
            client.close();
        }
    }

    private static PingPongResult measure(final PeerTransport.Client client, final Settings s, final PrintStream log)
        throws Exception {
        long seq = 0;
        final long warmStart = System.nanoTime();
        final long warmCap = warmStart + s.maxNanos / 3;
        final long warmUntil = warmStart + s.warmupNanos;
        long warmed = 0;
        long now = warmStart;
        // at least the count and at least the time, whichever ends later; never past the cap
        while ((warmed < s.warmup || now - warmUntil < 0) && now - warmCap < 0) {
            client.roundTrip(++seq, ROUND_TRIP_TIMEOUT_NANOS);
            warmed++;
            now = System.nanoTime();
        }
        final long warmNanos = now - warmStart;
        final boolean warmCapped = warmed < s.warmup || warmNanos < s.warmupNanos;
        if (log != null) {
            log.printf(java.util.Locale.ROOT, "%s: %d warm-up round trips in %.3f s (asked: at least %d and at least"
                    + " %.3f s, capped at %.3f s)%s%n", s.transport.name(), warmed, warmNanos / 1e9, s.warmup,
                s.warmupNanos / 1e9, s.maxNanos / 3 / 1e9, warmCapped ? " (time-capped)" : "");
        }
        final Histogram h = new Histogram(3);
        final long start = System.nanoTime();
        final long cap = start + s.maxNanos;
        int measured = 0;
        if (s.rate == 0) {
            while (measured < s.iterations) {
                final long t0 = System.nanoTime();
                client.roundTrip(++seq, ROUND_TRIP_TIMEOUT_NANOS);
                final long t1 = System.nanoTime();
                h.recordValue(t1 - t0);
                measured++;
                if (t1 - cap > 0) {
                    break;
                }
            }
        } else {
            final double period = 1e9 / s.rate;
            final long first = System.nanoTime();
            while (measured < s.iterations) {
                final long intended = first + (long) (measured * period);
                while (System.nanoTime() - intended < 0) {
                    Thread.onSpinWait();
                }
                client.roundTrip(++seq, ROUND_TRIP_TIMEOUT_NANOS);
                final long t1 = System.nanoTime();
                h.recordValue(t1 - intended);
                measured++;
                if (t1 - cap > 0) {
                    break;
                }
            }
        }
        final long nanos = System.nanoTime() - start;
        return new PingPongResult(s.transport.name(), s.size, s.rate, warmed, warmNanos, h, nanos,
            measured < s.iterations, 0);
    }

    static void deleteTree(final Path dir) {
        if (dir == null || !Files.exists(dir)) {
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
        } catch (final IOException | UncheckedIOException e) {
            // best effort at exit
        }
    }

    /** Measures with a client already connected (no child); for tests of the timing loop. */
    static PingPongResult measureOnly(final PeerTransport.Client client, final Settings s) throws Exception {
        return measure(client, s, null);
    }

    /** As {@link #measureOnly(PeerTransport.Client, Settings)}, with the progress lines going to {@code log}. */
    static PingPongResult measureOnly(final PeerTransport.Client client, final Settings s, final PrintStream log)
        throws Exception {
        return measure(client, s, log);
    }

    /** The echo child and its control channel (its standard input and output). */
    static final class EchoProcess {
        private static final String EOF = "\u0000eof";
        private final Process process;
        private final String name;
        private final PrintWriter toChild;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private EchoProcess(final Process process, final String name) {
            this.process = process;
            this.name = name;
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
            }, "echo-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** @return the command line of a JVM like this one running {@code mainClass} with {@code args} */
        static List<String> javaCommand(final Class<?> mainClass, final List<String> args) {
            final List<String> cmd = new ArrayList<>();
            cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
            for (final String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) {
                    cmd.add(a);
                }
            }
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(mainClass.getName());
            cmd.addAll(args);
            return cmd;
        }

        static EchoProcess start(final String transport, final int size, final Map<String, String> params)
            throws IOException {
            final List<String> args = new ArrayList<>(List.of(transport, Integer.toString(size)));
            for (final Map.Entry<String, String> e : params.entrySet()) {
                args.add(e.getKey() + "=" + e.getValue());
            }
            final Process p = new ProcessBuilder(javaCommand(EchoMain.class, args))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            return new EchoProcess(p, transport);
        }

        void send(final String line) {
            toChild.println(line);
        }

        /** @return the first line starting with {@code prefix}; other lines go to standard error */
        String expect(final String prefix) throws InterruptedException {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONTROL_TIMEOUT_SECONDS);
            while (true) {
                final String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new IllegalStateException(name + " echo JVM did not say '" + prefix.trim() + "' within "
                        + CONTROL_TIMEOUT_SECONDS + " s");
                }
                if (EOF.equals(line)) {
                    throw new IllegalStateException(name + " echo JVM exited" + exitStatus() + " before saying '"
                        + prefix.trim() + "'");
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
                if (line.startsWith("error ")) {
                    throw new IllegalStateException(name + " echo JVM failed: " + line.substring("error ".length()));
                }
                System.err.println(name + " echo: " + line);
            }
        }

        private String exitStatus() {
            try {
                return process.waitFor(1, TimeUnit.SECONDS) ? " with status " + process.exitValue() : "";
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return "";
            }
        }

        void waitForExit() throws InterruptedException {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " echo JVM did not exit within 30 s of saying done");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(name + " echo JVM exited with status " + process.exitValue());
            }
        }

        /** Kills the child if it is still running, and waits for it to go. */
        void kill() {
            if (process.isAlive()) {
                process.destroyForcibly();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            toChild.close();
        }
    }
}
