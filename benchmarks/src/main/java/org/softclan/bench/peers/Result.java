package org.softclan.bench.peers;

import java.util.Locale;

import org.HdrHistogram.Histogram;

/**
 * One throughput measurement: what the receiver counted and checked, the measured interval and, at a
 * fixed rate, each message's latency from its intended send time. MB are 10^6 bytes, GB 10^9.
 *
 * @param config        the settings measured
 * @param error         why the run failed (the transport is missing, a check failed, ...), or null
 * @param bytes         bytes the receiver read in all, warm-up included (equal to what the sender sent)
 * @param measuredBytes bytes read in the measured interval
 * @param measuredNanos the measured interval in nanoseconds
 * @param warmedUp      false if the stream ended within the warm-up, so the interval starts at the first read
 * @param latency       the latencies from the intended send times (ns), or null when not sending at a fixed rate
 * @param check         what the receiver checked, e.g. "bytes, sequence numbers, sampled content, crc32c"
 */
public record Result(Config config, String error, long bytes, long measuredBytes, long measuredNanos,
                     boolean warmedUp, Histogram latency, String check) {
    static Result ok(final Config config, final long bytes, final long measuredBytes, final long measuredNanos,
                     final boolean warmedUp, final Histogram latency, final String check) {
        return new Result(config, null, bytes, measuredBytes, measuredNanos, warmedUp, latency, check);
    }

    static Result failed(final Config config, final String error) {
        return new Result(config, error, 0, 0, 0, false, null, null);
    }

    /** @return whether the run completed and every check passed */
    public boolean ok() {
        return error == null;
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
