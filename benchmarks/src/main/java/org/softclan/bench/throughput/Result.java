package org.softclan.bench.throughput;

import java.util.Locale;

import org.HdrHistogram.Histogram;

/**
 * One throughput measurement: what the receiver counted and checked, the measured interval and, at a
 * fixed rate, each message's latency from its intended send time. MB are 10^6 bytes, GB 10^9.
 */
public final class Result {
    private final Config config;
    private final String error;
    private final long bytes;
    private final long measuredBytes;
    private final long measuredNanos;
    private final boolean warmedUp;
    private final Histogram latency;
    private final String check;

    private Result(final Config config, final String error, final long bytes, final long measuredBytes,
                   final long measuredNanos, final boolean warmedUp, final Histogram latency, final String check) {
        this.config = config;
        this.error = error;
        this.bytes = bytes;
        this.measuredBytes = measuredBytes;
        this.measuredNanos = measuredNanos;
        this.warmedUp = warmedUp;
        this.latency = latency;
        this.check = check;
    }

    static Result ok(final Config config, final long bytes, final long measuredBytes, final long measuredNanos,
                     final boolean warmedUp, final Histogram latency, final String check) {
        return new Result(config, null, bytes, measuredBytes, measuredNanos, warmedUp, latency, check);
    }

    static Result failed(final Config config, final String error) {
        return new Result(config, error, 0, 0, 0, false, null, null);
    }

    /** @return the settings measured */
    public Config config() {
        return config;
    }

    /** @return whether the run completed and every check passed */
    public boolean ok() {
        return error == null;
    }

    /** @return why the run failed (the transport is missing, a check failed, ...), or null */
    public String error() {
        return error;
    }

    /** @return bytes the receiver read in all, warm-up included (equal to what the sender sent) */
    public long bytes() {
        return bytes;
    }

    /** @return bytes read in the measured interval */
    public long measuredBytes() {
        return measuredBytes;
    }

    /** @return the measured interval in nanoseconds */
    public long measuredNanos() {
        return measuredNanos;
    }

    /** @return false if the stream ended within the warm-up, so the interval starts at the first read */
    public boolean warmedUp() {
        return warmedUp;
    }

    /** @return the latencies from the intended send times (ns), or null when not sending at a fixed rate */
    public Histogram latency() {
        return latency;
    }

    /** @return what the receiver checked, e.g. "bytes, sequence numbers, sampled content, crc32c" */
    public String check() {
        return check;
    }

    /** @return megabytes (10^6) per second in the measured interval, 0 if it failed */
    public double mbPerSecond() {
        return measuredNanos <= 0 ? 0 : measuredBytes * 1e3 / measuredNanos;
    }

    /** @return gigabytes (10^9) per second */
    public double gbPerSecond() {
        return mbPerSecond() / 1e3;
    }

    /** @return messages per second */
    public double messagesPerSecond() {
        return measuredNanos <= 0 ? 0 : (double) measuredBytes / config.size() * 1e9 / measuredNanos;
    }

    @Override
    public String toString() {
        if (!ok()) {
            return config.transport().name() + " size " + config.size() + ": failed: " + error;
        }
        return String.format(Locale.ROOT, "%s size %d: %.1f MB/s (%.3f GB/s), %.0f msgs/s, %d bytes in %.3f s%s",
            config.transport().name(), config.size(), mbPerSecond(), gbPerSecond(), messagesPerSecond(), measuredBytes,
            measuredNanos / 1e9, warmedUp ? "" : " (no warm-up: the stream ended within it)");
    }
}
