package org.softclan.bench.peers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.HdrHistogram.Histogram;

/**
 * The one-way runner: throughput between two JVMs on one host. This JVM receives and measures; a child
 * JVM ({@link PeerProcess} running {@link PeerMain}'s {@code send} command) sends messages of
 * {@link Config#size()} bytes as fast as the transport takes them, or at a fixed rate. Each transport
 * supplies both ends ({@link PeerTransport#receiver}, {@link PeerTransport#sender}).
 *
 * <pre>{@code
 * try (ThroughputBench.Session s = ThroughputBench.open()) {
 *     Result raw = s.run(new Config().transport(Transports.oneWay("raw")).size(65536));
 *     Result pio = s.run(new Config().transport(Transports.oneWay("stream-pio")).size(65536));
 * }
 * }</pre>
 *
 * <p><b>Measurement</b>: the receiver reads into a direct buffer of {@link Config#effectiveReadSize()}
 * bytes (at least a message for Aeron), and takes every byte through {@link MessageCheck} (byte count,
 * every message's sequence number, two sampled body bytes per message, optionally a CRC32C of everything).
 * The measured interval starts at the first read at least {@link Config#warmupSeconds()} after the first
 * byte arrived and ends when the receiver sees the end of the stream; its bytes are those read after its
 * start. The sender ({@link #send}) sends for warm-up plus {@link Config#seconds()}, or
 * {@link Config#totalBytes()} in all, rotating through {@value #SLOTS} buffers. At the end the sender's byte
 * count (and CRC) must equal the receiver's, else the result is a failure.
 */
public final class ThroughputBench {
    /** Buffers the sender rotates through (in flight at once for the non-classical send techniques). */
    public static final int SLOTS = 8;

    private ThroughputBench() {
    }

    /**
     * Starts a child JVM and a rig (a temporary fabric, a scratch directory) for a series of measurements.
     *
     * @return the session
     * @throws IOException if the child cannot be started or does not come up
     */
    public static Session open() throws IOException {
        return new Session();
    }

    /**
     * How far apart the two JVMs' {@link System#nanoTime()} clocks are, as measured by bracketing reads.
     *
     * @param trials           trials made
     * @param outside          trials in which the child's reading lay outside the parent's before/after bracket
     * @param narrowestBracket the narrowest bracket (ns): the uncertainty of the best trial
     */
    public record ClockCheck(int trials, int outside, long narrowestBracket) {
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

    /** A child JVM and a {@link Rig}, kept across measurements. */
    public static final class Session implements AutoCloseable {
        private final Rig rig;
        private final PeerProcess child;
        private final Thread cleanup;

        Session() throws IOException {
            PeerProcess.quietLibraries();
            this.rig = Rig.create();
            try {
                this.child = PeerProcess.start("child");
            } catch (final IOException | RuntimeException e) {
                rig.close();
                throw e;
            }
            this.cleanup = new Thread(() -> {
                child.kill();
                Rig.deleteTree(rig.fabricRoot());
                Rig.deleteTree(rig.scratch());
            }, "throughput-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
        }

        /** @return the child JVM, which serves round trips as well ({@code PingPongRunner.run(child, ...)}) */
        public PeerProcess child() {
            return child;
        }

        /**
         * Checks that {@link System#nanoTime()} reads the same clock in both JVMs.
         *
         * @param trials how many bracketing reads
         * @return the outcome
         * @throws IOException if the child stopped answering
         */
        public ClockCheck checkClock(final int trials) throws IOException {
            int outside = 0;
            long narrowest = Long.MAX_VALUE;
            for (int i = 0; i < trials; i++) {
                final long before = System.nanoTime();
                child.send("clock");
                final String line = child.expect("OK");
                final long after = System.nanoTime();
                final long theirs = Long.parseLong(line.substring(2).trim());
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
         * @param c what to measure
         * @return the result; a failed one (with the reason) if the transport failed or a check did
         * @throws IOException if the child JVM stopped answering
         */
        public Result run(final Config c) throws IOException {
            final Map<String, String> pairs = c.toMap();
            pairs.put("slots", Integer.toString(SLOTS));
            pairs.put(Rig.FABRIC, rig.fabricRoot().toString());
            final PeerTransport.Receiver end;
            try {
                end = c.transport().receiver(c, rig, pairs);
            } catch (final RuntimeException | IOException e) {
                return Result.failed(c, "receiver set-up: " + PeerProcess.oneLine(e));
            }
            child.send("send" + PeerProcess.tokens(pairs));
            try {
                return receive(c, end);
            } finally {
                end.close();
            }
        }

        private Result receive(final Config c, final PeerTransport.Receiver end) throws IOException {
            final Histogram latency = c.rate() > 0 ? new Histogram(TimeUnit.SECONDS.toNanos(60), 3) : null;
            final MessageCheck check = new MessageCheck(c.size(), SLOTS, c.checksum(), latency, c.warmupMessages());
            final ByteBuffer dst = Rig.pageAligned(end.readSize(c));
            final long warmup = Math.round(c.warmupSeconds() * 1e9);
            final boolean timed = latency != null;
            long first = 0;
            long markTime = 0;
            long markBytes = 0;
            boolean marked = false;
            final long end1;
            try {
                end.start(child::check);
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
                final String childSaid = child.answer("sent");
                if (childSaid.startsWith("sent")) {
                    child.send("done");
                    child.expect("OK");
                }
                return Result.failed(c, PeerProcess.oneLine(e)
                    + (childSaid.startsWith("error") ? "; the sender: " + childSaid.substring(6) : ""));
            }
            final String childSaid = child.answer("sent");
            if (!childSaid.startsWith("sent")) {
                return Result.failed(c, childSaid.startsWith("error ") ? childSaid.substring(6) : childSaid);
            }
            child.send("done");
            child.expect("OK");
            final Map<String, String> sent = PeerProcess.pairs(childSaid.substring(4));
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

        /** Stops the child JVM and closes the rig (its fabric, scratch directory and shared clients). */
        @Override
        public void close() {
            child.close();
            rig.close();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (final IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    /**
     * The sending side of a measurement (in the child JVM): fills the slots' bodies, then sends messages
     * numbered from 0, each stamped with its sequence number and (at a fixed rate) its intended send time,
     * until the limit or the time is reached; then ends the stream.
     *
     * @param end   the transport's sending end
     * @param c     the settings
     * @param slots buffers to rotate through
     * @return bytes sent, messages sent and the CRC32C of everything (-1 without {@link Config#checksum()})
     * @throws IOException if the transport failed
     */
    public static long[] send(final PeerTransport.Sender end, final Config c, final int slots) throws IOException {
        final int size = c.size();
        for (int s = 0; s < slots; s++) {
            MessageCheck.fill(end.buffer(s), size, s);
        }
        final CRC32C crc = c.checksum() ? new CRC32C() : null;
        final long limit = c.messageLimit();
        final long rate = c.rate();
        final double period = rate > 0 ? 1e9 / rate : 0;
        final long start = System.nanoTime();
        final long deadline = start + c.sendNanos();
        long m = 0;
        while (limit < 0 || m < limit) {
            if (limit < 0 && (m & 15) == 0 && System.nanoTime() - deadline >= 0) {
                break;
            }
            final int slot = (int) (m % slots);
            end.awaitFree(slot);
            final ByteBuffer b = end.buffer(slot);
            long intended = 0;
            if (rate > 0) {
                intended = start + (long) (m * period);
                while (System.nanoTime() - intended < 0) {
                    Thread.onSpinWait();
                }
            }
            MessageCheck.header(b, m, intended);
            if (crc != null) {
                final ByteBuffer view = b.duplicate();
                view.limit(size).position(0);
                crc.update(view);
            }
            end.send(slot, size);
            m++;
        }
        end.finish();
        return new long[] {m * size, m, crc == null ? -1 : crc.getValue()};
    }
}
