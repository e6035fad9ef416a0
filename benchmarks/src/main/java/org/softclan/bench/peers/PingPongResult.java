package org.softclan.bench.peers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.DataFormatException;

import org.HdrHistogram.Histogram;

/**
 * One transport's ping-pong results: the latency histogram (nanoseconds) and how it was obtained.
 * Saved as a small text file of {@code key=value} lines (the histogram in HdrHistogram's compressed
 * encoding, Base64), so that {@code bench compare} can run each transport in fresh JVMs and read the
 * results back exactly.
 *
 * @param transport   the transport's name
 * @param size        payload bytes each way
 * @param rate        the fixed send rate (messages/s), 0 if round trips ran back to back
 * @param warmup      warm-up round trips made (not in the histogram)
 * @param warmupNanos wall time of the warm-up, nanoseconds
 * @param histogram   the measured round trips' latencies, nanoseconds
 * @param nanos       wall time of the measured round trips, nanoseconds
 * @param capped      whether the time cap stopped the measurement before its count
 * @param echoed      requests the echo side checked and echoed (warm-up included)
 */
public record PingPongResult(String transport, int size, long rate, long warmup, long warmupNanos, Histogram histogram,
                             long nanos, boolean capped, long echoed) {
    /** The keys of the lines {@link #write} writes, in order: the components, the histogram last. */
    static final List<String> KEYS = List.of("transport", "size", "rate", "warmup", "warmupNanos", "nanos", "capped",
        "echoed", "histogram");

    PingPongResult echoed(final long n) {
        return new PingPongResult(transport, size, rate, warmup, warmupNanos, histogram, nanos, capped, n);
    }

    /** @return measured round trips */
    public long roundTrips() {
        return histogram.getTotalCount();
    }

    /** @return the latency at {@code percentile} (0..100), microseconds */
    public double micros(final double percentile) {
        return histogram.getValueAtPercentile(percentile) / 1e3;
    }

    /** @return the largest latency, microseconds */
    public double maxMicros() {
        return histogram.getMaxValue() / 1e3;
    }

    /** @return HdrHistogram's percentile distribution text ({@code .hgrm}), values in microseconds */
    public String percentileDistribution() {
        return percentileDistribution(histogram);
    }

    /** @return HdrHistogram's percentile distribution text of {@code histogram} (nanoseconds), in microseconds */
    static String percentileDistribution(final Histogram histogram) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            histogram.outputPercentileDistribution(ps, 1000.0);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** @return a one-line summary */
    public String summary() {
        return String.format(Locale.ROOT, "%s: %d-byte payload, %d warm-up round trips in %.2f s + %d measured in %.2f s"
                + "%s%s; echo side checked %d; p50 %.2f us, p99 %.2f us, max %.2f us", transport, size, warmup,
            warmupNanos / 1e9, roundTrips(), nanos / 1e9, rate > 0 ? " at " + rate + " msg/s" : "", capped ? " (time-capped)" : "", echoed,
            micros(50), micros(99), maxMicros());
    }

    /**
     * Writes this result to {@code file}: a {@code key=value} line per component, in the order of
     * {@link #KEYS}.
     *
     * @param file the file
     * @throws IOException if it cannot be written
     */
    public void write(final Path file) throws IOException {
        final ByteBuffer b = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        final int n = histogram.encodeIntoCompressedByteBuffer(b);
        final List<Object> values = List.of(transport, size, rate, warmup, warmupNanos, nanos, capped, echoed,
            Base64.getEncoder().encodeToString(Arrays.copyOf(b.array(), n)));
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < KEYS.size(); i++) {
            sb.append(KEYS.get(i)).append('=').append(values.get(i)).append('\n');
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    /**
     * @param file what {@link #write} wrote
     * @return the result saved in it
     * @throws IOException if it cannot be read, lacks a line or its histogram does not decode
     */
    public static PingPongResult read(final Path file) throws IOException {
        final Map<String, String> m = PeerProcess.pairs(Files.readString(file, StandardCharsets.UTF_8));
        for (final String key : KEYS) {
            if (!m.containsKey(key)) {
                throw new IOException(file + ": no '" + key + "' line");
            }
        }
        final Histogram h;
        try {
            h = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(m.get("histogram"))),
                0);
        } catch (final DataFormatException e) {
            throw new IOException(file + ": the histogram does not decode: " + e.getMessage(), e);
        }
        return new PingPongResult(m.get("transport"), Integer.parseInt(m.get("size")), Long.parseLong(m.get("rate")),
            Long.parseLong(m.get("warmup")), Long.parseLong(m.get("warmupNanos")), h, Long.parseLong(m.get("nanos")), Boolean.parseBoolean(m.get("capped")),
            Long.parseLong(m.get("echoed")));
    }
}
