package org.softclan.bench.peers;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.softclan.vmmc.stream.ReceiveTechnique;

/**
 * One throughput measurement's settings, immutable; each setting's method of one argument returns a copy
 * with it changed (fluent). Defaults: 64 KiB messages, 2 s measured after a 1 s warm-up, 64 MiB rings,
 * reads of one message's size, busy-spin waits, no fixed rate, sampled content checks without a CRC.
 *
 * @param transport        a transport with one-way ends ({@link Transports#oneWay()})
 * @param size             bytes per message (write), at least {@value MessageCheck#MIN_SIZE}
 * @param totalBytes       send this many bytes in all (rounded up to whole messages) instead of for a time;
 *                         0 to send for {@code seconds} after the warm-up
 * @param seconds          measured seconds (when no total is set)
 * @param warmupSeconds    seconds from the first byte received before measuring starts
 * @param ringBytes        ring capacity, a power of two of at least 64 KiB
 * @param readSize         the receiver's read buffer in bytes; 0 for the message size
 * @param rate             send at this fixed rate (messages/s) and record latencies; 0 for as fast as possible
 * @param checksum         compute a CRC32C of every byte on both sides and compare
 * @param receiveTechnique how the stream receiver takes delivery (stream transports only)
 * @param busySpin         busy-spin waits (true) or competitive ones, for stream connections
 */
public record Config(PeerTransport transport, int size, long totalBytes, double seconds, double warmupSeconds,
                     int ringBytes, int readSize, long rate, boolean checksum, ReceiveTechnique receiveTechnique,
                     boolean busySpin) {
    /**
     * Ring bytes of the raw ring and of the stream's receive ring, the Aeron term length (and the TCP/UDS
     * socket buffers asked for): 64 MiB, Aeron's own default term length for IPC. With rings of 1-4 MiB
     * the shared-memory transports swing between two speeds on one machine (measured: raw 2.0-2.3 or
     * 12-16 GB/s at 64 KiB messages from one run to the next, as the two CPUs' placement changes),
     * which 64 MiB rings do not show.
     */
    public static final int DEFAULT_RING = 64 << 20;

    /**
     * Checks every setting (the components are described above).
     *
     * @throws IllegalArgumentException naming the option of a setting out of range, or a transport that
     *                                  measures round trips only
     */
    public Config {
        if (!Objects.requireNonNull(transport, "transport").oneWay()) {
            throw new IllegalArgumentException("--transport " + transport.name() + " measures round trips only; choose"
                + " one of " + String.join(", ", Transports.names(Transports.oneWay())));
        }
        if (size < MessageCheck.MIN_SIZE) {
            throw new IllegalArgumentException("--size " + size + " is below the minimum of " + MessageCheck.MIN_SIZE);
        }
        if (totalBytes < 0) {
            throw new IllegalArgumentException("--total " + totalBytes + " is negative");
        }
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("--seconds " + seconds + " must be positive");
        }
        if (!(warmupSeconds >= 0)) {
            throw new IllegalArgumentException("--warmup " + warmupSeconds + " must not be negative");
        }
        if (ringBytes < 64 * 1024 || Integer.bitCount(ringBytes) != 1) {
            throw new IllegalArgumentException("--ring " + ringBytes + " must be a power of two of at least 65536");
        }
        if (readSize < 0) {
            throw new IllegalArgumentException("--read-size " + readSize + " is negative");
        }
        if (rate < 0) {
            throw new IllegalArgumentException("--rate " + rate + " is negative");
        }
        Objects.requireNonNull(receiveTechnique, "receive technique");
    }

    /** The defaults: the raw ring, 64 KiB messages, 2 s after 1 s of warm-up, 64 MiB rings, busy-spin. */
    public Config() {
        this(Transports.oneWay("raw"), 64 * 1024, 0, 2, 1, DEFAULT_RING, 0, 0, false, ReceiveTechnique.BUFFERED, true);
    }

    /** @return a copy with {@link #transport()} set to {@code t}: a transport with one-way ends */
    public Config transport(final PeerTransport t) {
        return new Config(t, size, totalBytes, seconds, warmupSeconds, ringBytes, readSize, rate, checksum,
            receiveTechnique, busySpin);
    }

    /** @return a copy with {@link #size()} set to {@code bytes}: bytes per message */
    public Config size(final int bytes) {
        return new Config(transport, bytes, totalBytes, seconds, warmupSeconds, ringBytes, readSize, rate, checksum,
            receiveTechnique, busySpin);
    }

    /** @return a copy with {@link #totalBytes()} set to {@code bytes}: bytes in all, 0 to send for a time */
    public Config totalBytes(final long bytes) {
        return new Config(transport, size, bytes, seconds, warmupSeconds, ringBytes, readSize, rate, checksum,
            receiveTechnique, busySpin);
    }

    /** @return a copy with {@link #seconds()} set to {@code s}: measured seconds */
    public Config seconds(final double s) {
        return new Config(transport, size, totalBytes, s, warmupSeconds, ringBytes, readSize, rate, checksum,
            receiveTechnique, busySpin);
    }

    /** @return a copy with {@link #warmupSeconds()} set to {@code s}: warm-up seconds */
    public Config warmupSeconds(final double s) {
        return new Config(transport, size, totalBytes, seconds, s, ringBytes, readSize, rate, checksum,
            receiveTechnique, busySpin);
    }

    /** @return a copy with {@link #ringBytes()} set to {@code bytes}: ring bytes */
    public Config ringBytes(final int bytes) {
        return new Config(transport, size, totalBytes, seconds, warmupSeconds, bytes, readSize, rate, checksum,
            receiveTechnique, busySpin);
    }

    /** @return a copy with {@link #readSize()} set to {@code bytes}: the read buffer's bytes, 0 for the message size */
    public Config readSize(final int bytes) {
        return new Config(transport, size, totalBytes, seconds, warmupSeconds, ringBytes, bytes, rate, checksum,
            receiveTechnique, busySpin);
    }

    /** @return a copy with {@link #rate()} set to {@code messagesPerSecond}, 0 for as fast as possible */
    public Config rate(final long messagesPerSecond) {
        return new Config(transport, size, totalBytes, seconds, warmupSeconds, ringBytes, readSize, messagesPerSecond,
            checksum, receiveTechnique, busySpin);
    }

    /** @return a copy with {@link #checksum()} set to {@code on}: whether to compare a CRC32C of every byte */
    public Config checksum(final boolean on) {
        return new Config(transport, size, totalBytes, seconds, warmupSeconds, ringBytes, readSize, rate, on,
            receiveTechnique, busySpin);
    }

    /** @return a copy with {@link #receiveTechnique()} set to {@code t}: the stream receiver's technique */
    public Config receiveTechnique(final ReceiveTechnique t) {
        return new Config(transport, size, totalBytes, seconds, warmupSeconds, ringBytes, readSize, rate, checksum, t,
            busySpin);
    }

    /** @return a copy with {@link #busySpin()} set to {@code on}: busy-spin (true) or competitive stream waits */
    public Config busySpin(final boolean on) {
        return new Config(transport, size, totalBytes, seconds, warmupSeconds, ringBytes, readSize, rate, checksum,
            receiveTechnique, on);
    }

    /** @return the read buffer's bytes: {@link #readSize()}, or the message size if that is 0 */
    public int effectiveReadSize() {
        return readSize == 0 ? size : readSize;
    }

    /** @return messages the sender sends in all, or -1 when it sends until its time is up */
    long messageLimit() {
        if (rate > 0) {
            return Math.max(1, Math.round(rate * (warmupSeconds + seconds)));
        }
        return totalBytes > 0 ? (totalBytes + size - 1) / size : -1;
    }

    /** @return how long the sender sends when it has no message limit */
    long sendNanos() {
        return Math.round((warmupSeconds + seconds) * 1e9);
    }

    /** @return messages of the warm-up that latencies leave out */
    long warmupMessages() {
        return rate > 0 ? Math.round(rate * warmupSeconds) : 0;
    }

    /** @return the settings as key-value pairs (what the sending JVM is told) */
    public Map<String, String> toMap() {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("transport", transport.name());
        m.put("size", Integer.toString(size));
        m.put("total", Long.toString(totalBytes));
        m.put("seconds", Double.toString(seconds));
        m.put("warmup", Double.toString(warmupSeconds));
        m.put("ring", Integer.toString(ringBytes));
        m.put("read", Integer.toString(readSize));
        m.put("rate", Long.toString(rate));
        m.put("crc", Boolean.toString(checksum));
        m.put("recv", receiveTechnique.cliName());
        m.put("wait", busySpin ? "busy" : "competitive");
        return m;
    }

    /**
     * @param m what {@link #toMap()} gave (other keys are ignored)
     * @return the settings
     */
    public static Config fromMap(final Map<String, String> m) {
        return new Config(Transports.oneWay(m.get("transport")), Integer.parseInt(m.get("size")),
            Long.parseLong(m.get("total")), Double.parseDouble(m.get("seconds")), Double.parseDouble(m.get("warmup")),
            Integer.parseInt(m.get("ring")), Integer.parseInt(m.get("read")), Long.parseLong(m.get("rate")),
            Boolean.parseBoolean(m.get("crc")), ReceiveTechnique.parse(m.get("recv")), "busy".equals(m.get("wait")));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s size=%d %s warm-up=%.2fs ring=%d read=%d%s%s", transport.name(), size,
            totalBytes > 0 ? "total=" + totalBytes : "seconds=" + seconds, warmupSeconds, ringBytes,
            effectiveReadSize(), rate > 0 ? " rate=" + rate + "/s" : "", checksum ? " crc" : "");
    }
}
