package org.softclan.bench.peers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.DataFormatException;

import org.HdrHistogram.Histogram;

/**
 * One transport's ping-pong results: the latency histogram (nanoseconds) and how it was obtained.
 * Saved as a small text file of {@code key=value} lines (the histogram in HdrHistogram's compressed
 * encoding, Base64), so that {@code bench compare} can run each transport in fresh JVMs and read the
 * results back exactly.
 */
public final class PingPongResult {
    private final String transport;
    private final int size;
    private final long rate;
    private final long warmup;
    private final long warmupNanos;
    private final Histogram histogram;
    private final long nanos;
    private final boolean capped;
    private final long echoed;

    PingPongResult(final String transport, final int size, final long rate, final long warmup,
                   final Histogram histogram, final long nanos, final boolean capped, final long echoed) {
        this(transport, size, rate, warmup, 0, histogram, nanos, capped, echoed);
    }

    PingPongResult(final String transport, final int size, final long rate, final long warmup, final long warmupNanos,
                   final Histogram histogram, final long nanos, final boolean capped, final long echoed) {
        this.transport = transport;
        this.size = size;
        this.rate = rate;
        this.warmup = warmup;
        this.warmupNanos = warmupNanos;
        this.histogram = histogram;
        this.nanos = nanos;
        this.capped = capped;
        this.echoed = echoed;
    }

    PingPongResult echoed(final long n) {
        return new PingPongResult(transport, size, rate, warmup, warmupNanos, histogram, nanos, capped, n);
    }

    /** @return the transport's name */
    public String transport() {
        return transport;
    }

    /** @return payload bytes each way */
    public int size() {
        return size;
    }

    /** @return the fixed send rate (messages/s), 0 if round trips ran back to back */
    public long rate() {
        return rate;
    }

    /** @return warm-up round trips made (not in the histogram) */
    public long warmup() {
        return warmup;
    }

    /** @return wall time of the warm-up, nanoseconds */
    public long warmupNanos() {
        return warmupNanos;
    }

    /** @return the measured round trips' latencies, nanoseconds */
    public Histogram histogram() {
        return histogram;
    }

    /** @return measured round trips */
    public long roundTrips() {
        return histogram.getTotalCount();
    }

    /** @return wall time of the measured round trips, nanoseconds */
    public long nanos() {
        return nanos;
    }

    /** @return whether the time cap stopped the measurement before its count */
    public boolean capped() {
        return capped;
    }

    /** @return requests the echo side checked and echoed (warm-up included) */
    public long echoed() {
        return echoed;
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

    /** Writes this result to {@code file}. */
    public void write(final Path file) throws IOException {
        final ByteBuffer b = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        final int n = histogram.encodeIntoCompressedByteBuffer(b);
        final StringBuilder sb = new StringBuilder();
        sb.append("transport=").append(transport).append('\n')
            .append("size=").append(size).append('\n')
            .append("rate=").append(rate).append('\n')
            .append("warmup=").append(warmup).append('\n')
            .append("warmupNanos=").append(warmupNanos).append('\n')
            .append("nanos=").append(nanos).append('\n')
            .append("capped=").append(capped).append('\n')
            .append("echoed=").append(echoed).append('\n')
            .append("histogram=").append(Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(b.array(), n)))
            .append('\n');
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    /** @return the result {@link #write} saved in {@code file} */
    public static PingPongResult read(final Path file) throws IOException {
        final Map<String, String> m = new LinkedHashMap<>();
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            final int eq = line.indexOf('=');
            if (eq > 0) {
                m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        for (final String key : new String[] {"transport", "size", "rate", "warmup", "warmupNanos", "nanos", "capped", "echoed",
            "histogram"}) {
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
