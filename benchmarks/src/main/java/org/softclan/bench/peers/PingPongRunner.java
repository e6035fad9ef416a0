package org.softclan.bench.peers;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * Runs one transport's ping-pong: prepares the client side in this JVM, starts a child JVM
 * ({@link PeerProcess}) and has it open the echo side ({@link PeerMain}'s {@code echo} command), connects,
 * warms up, measures, and stops the child.
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

    /**
     * What to run.
     *
     * @param transport     the transport
     * @param size          payload bytes
     * @param warmup        at least this many round trips before the measured ones
     * @param warmupSeconds and at least this long warming up (0 for no minimum time)
     * @param iterations    measured round trips
     * @param rate          messages per second, 0 for back-to-back round trips
     * @param maxSeconds    time cap of the measurement (the warm-up gets a third of it)
     */
    public record Settings(PeerTransport transport, int size, int warmup, double warmupSeconds, int iterations,
                           long rate, double maxSeconds) {
        /** @throws IllegalArgumentException if a count, time or rate is out of range, or the size */
        public Settings {
            if (warmup < 0 || !(warmupSeconds >= 0) || Double.isInfinite(warmupSeconds) || iterations <= 0 || rate < 0
                || !(maxSeconds > 0)) {
                throw new IllegalArgumentException("need warmup >= 0, warmup-seconds >= 0, iterations > 0, rate >= 0,"
                    + " max-seconds > 0 (got " + warmup + ", " + warmupSeconds + ", " + iterations + ", " + rate + ", "
                    + maxSeconds + ")");
            }
            Payload.checkSize(size);
        }

        long warmupNanos() {
            return (long) (warmupSeconds * 1e9);
        }

        long maxNanos() {
            return (long) (maxSeconds * 1e9);
        }
    }

    private PingPongRunner() {
    }

    /**
     * Runs the ping-pong with a child JVM of its own, which must exit cleanly at the end; progress lines go
     * to {@code log}.
     *
     * @param s   what to run
     * @param log where progress lines go, or null
     * @return the result
     * @throws Exception if set-up fails, a round trip fails or times out, or the echo count is wrong
     */
    public static PingPongResult run(final Settings s, final PrintStream log) throws Exception {
        final PeerProcess child = PeerProcess.start(s.transport().name() + " echo");
        try {
            final PingPongResult r = run(child, s, log);
            child.exit();
            return r;
        } finally {
            child.kill();
        }
    }

    /**
     * Runs the ping-pong with the echo side in {@code child}, which serves further commands afterwards.
     *
     * @param child the child JVM
     * @param s     what to run
     * @param log   where progress lines go, or null
     * @return the result
     * @throws Exception if set-up fails, a round trip fails or times out, or the echo count is wrong
     */
    public static PingPongResult run(final PeerProcess child, final Settings s, final PrintStream log)
        throws Exception {
        try (PeerTransport.Client client = s.transport().client(s.size())) {
            final Map<String, String> params = client.prepare();
            final Path scratch = client.scratch();
            // on Ctrl-C: stop the child and remove the client's temporary files (unlinking mapped files is
            // safe; unmapping under a running round trip would not be)
            final Thread killer = new Thread(() -> {
                child.kill();
                Rig.deleteTree(scratch);
            }, "pingpong-cleanup");
            Runtime.getRuntime().addShutdownHook(killer);
            try {
                child.send("echo " + s.transport().name() + " " + s.size() + PeerProcess.tokens(params));
                final String open = child.expect("open");
                client.connect(PeerProcess.pairs(open.substring("open".length())));
                final PingPongResult result = measure(client, s, log);
                client.disconnect();
                child.send("stop");
                final long echoed = Long.parseLong(child.expect("OK").substring(2).trim());
                if (echoed != result.warmup() + result.roundTrips()) {
                    throw new IllegalStateException(s.transport().name() + ": the echo side checked " + echoed
                        + " requests, the client made " + (result.warmup() + result.roundTrips()) + " round trips");
                }
                return result.echoed(echoed);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(killer);
                } catch (final IllegalStateException shuttingDown) {
                    // the hook runs anyway
                }
            }
        }
    }

    /**
     * Measures with {@code client} connected, wherever its echo side runs (tests call it without a child, for the
     * timing loop; {@code compare --hosts 2} with the echo side on another host).
     *
     * @param client the measuring side, connected
     * @param s      what to run ({@link Settings#transport()} names the result)
     * @param log    where the warm-up line goes, or null
     * @return the result (no echo count: {@link PingPongResult#echoed()} is 0)
     * @throws Exception if a round trip fails or times out
     */
    public static PingPongResult measure(final PeerTransport.Client client, final Settings s, final PrintStream log)
        throws Exception {
        long seq = 0;
        final long warmStart = System.nanoTime();
        final long warmCap = warmStart + s.maxNanos() / 3;
        final long warmUntil = warmStart + s.warmupNanos();
        long warmed = 0;
        long now = warmStart;
        // at least the count and at least the time, whichever ends later; never past the cap
        while ((warmed < s.warmup() || now - warmUntil < 0) && now - warmCap < 0) {
            client.roundTrip(++seq, ROUND_TRIP_TIMEOUT_NANOS);
            warmed++;
            now = System.nanoTime();
        }
        final long warmNanos = now - warmStart;
        final boolean warmCapped = warmed < s.warmup() || warmNanos < s.warmupNanos();
        if (log != null) {
            log.printf(java.util.Locale.ROOT, "%s: %d warm-up round trips in %.3f s (asked: at least %d and at least"
                    + " %.3f s, capped at %.3f s)%s%n", s.transport().name(), warmed, warmNanos / 1e9, s.warmup(),
                s.warmupNanos() / 1e9, s.maxNanos() / 3 / 1e9, warmCapped ? " (time-capped)" : "");
        }
        final Histogram h = new Histogram(3);
        final long start = System.nanoTime();
        final long cap = start + s.maxNanos();
        final double period = s.rate() == 0 ? 0 : 1e9 / s.rate();
        final long first = System.nanoTime();
        int measured = 0;
        while (measured < s.iterations()) {
            // back to back: from just before the send; at a rate: from the intended send time, waited for
            final long intended;
            if (s.rate() == 0) {
                intended = System.nanoTime();
            } else {
                intended = first + (long) (measured * period);
                while (System.nanoTime() - intended < 0) {
                    Thread.onSpinWait();
                }
            }
            client.roundTrip(++seq, ROUND_TRIP_TIMEOUT_NANOS);
            final long t1 = System.nanoTime();
            h.recordValue(t1 - intended);
            measured++;
            if (t1 - cap > 0) {
                break;
            }
        }
        final long nanos = System.nanoTime() - start;
        return new PingPongResult(s.transport().name(), s.size(), s.rate(), warmed, warmNanos, h, nanos,
            measured < s.iterations(), 0);
    }
}
