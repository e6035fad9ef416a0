package org.softclan.bench.throughput;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.softclan.bench.peers.PeerTransport;
import org.softclan.bench.peers.Transports;
import org.softclan.vmmc.stream.ReceiveTechnique;

/**
 * One throughput measurement's settings (fluent). Defaults: 64 KiB messages, 2 s measured after a
 * 1 s warm-up, 64 MiB rings, reads of one message's size, busy-spin waits, no fixed rate, sampled
 * content checks without a CRC.
 */
public final class Config {
    /**
     * Ring bytes of the raw ring and of the stream's receive ring, the Aeron term length (and the TCP/UDS
     * socket buffers asked for): 64 MiB, Aeron's own default term length for IPC. With rings of 1-4 MiB
     * the shared-memory transports swing between two speeds on one machine (measured: raw 2.0-2.3 or
     * 12-16 GB/s at 64 KiB messages from one run to the next, as the two CPUs' placement changes),
     * which 64 MiB rings do not show.
     */
    public static final int DEFAULT_RING = 64 << 20;

    private PeerTransport transport = Transports.oneWay("raw");
    private int size = 64 * 1024;
    private long totalBytes;
    private double seconds = 2;
    private double warmupSeconds = 1;
    private int ringBytes = DEFAULT_RING;
    private int readSize;
    private long rate;
    private boolean checksum;
    private ReceiveTechnique receiveTechnique = ReceiveTechnique.BUFFERED;
    private boolean busySpin = true;

    /** @return a copy */
    public Config copy() {
        return fromMap(toMap());
    }

    /**
     * @param t a transport with one-way ends ({@link Transports#oneWay()})
     * @return this
     * @throws IllegalArgumentException if {@code t} measures round trips only
     */
    public Config transport(final PeerTransport t) {
        if (!Objects.requireNonNull(t, "transport").oneWay()) {
            throw new IllegalArgumentException("--transport " + t.name() + " measures round trips only; choose one of "
                + String.join(", ", Transports.names(Transports.oneWay())));
        }
        this.transport = t;
        return this;
    }

    /** @param bytes bytes per message (write), at least {@value MessageCheck#MIN_SIZE} @return this */
    public Config size(final int bytes) {
        if (bytes < MessageCheck.MIN_SIZE) {
            throw new IllegalArgumentException("--size " + bytes + " is below the minimum of " + MessageCheck.MIN_SIZE);
        }
        this.size = bytes;
        return this;
    }

    /**
     * @param bytes send this many bytes in all (rounded up to whole messages) instead of for a time;
     *              0 to send for {@link #seconds(double)} after the warm-up
     * @return this
     */
    public Config totalBytes(final long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("--total " + bytes + " is negative");
        }
        this.totalBytes = bytes;
        return this;
    }

    /** @param s measured seconds (when no total is set) @return this */
    public Config seconds(final double s) {
        if (!(s > 0)) {
            throw new IllegalArgumentException("--seconds " + s + " must be positive");
        }
        this.seconds = s;
        return this;
    }

    /** @param s seconds from the first byte received before measuring starts @return this */
    public Config warmupSeconds(final double s) {
        if (!(s >= 0)) {
            throw new IllegalArgumentException("--warmup " + s + " must not be negative");
        }
        this.warmupSeconds = s;
        return this;
    }

    /** @param bytes ring capacity, a power of two of at least 64 KiB @return this */
    public Config ringBytes(final int bytes) {
        if (bytes < 64 * 1024 || Integer.bitCount(bytes) != 1) {
            throw new IllegalArgumentException("--ring " + bytes + " must be a power of two of at least 65536");
        }
        this.ringBytes = bytes;
        return this;
    }

    /** @param bytes the receiver's read buffer; 0 for the message size @return this */
    public Config readSize(final int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("--read-size " + bytes + " is negative");
        }
        this.readSize = bytes;
        return this;
    }

    /** @param messagesPerSecond send at this fixed rate and record latencies; 0 for as fast as possible @return this */
    public Config rate(final long messagesPerSecond) {
        if (messagesPerSecond < 0) {
            throw new IllegalArgumentException("--rate " + messagesPerSecond + " is negative");
        }
        this.rate = messagesPerSecond;
        return this;
    }

    /** @param on compute a CRC32C of every byte on both sides and compare @return this */
    public Config checksum(final boolean on) {
        this.checksum = on;
        return this;
    }

    /** @param t how the stream receiver takes delivery (stream transports only) @return this */
    public Config receiveTechnique(final ReceiveTechnique t) {
        this.receiveTechnique = Objects.requireNonNull(t, "receive technique");
        return this;
    }

    /** @param on busy-spin waits (true) or competitive ones, for stream connections @return this */
    public Config busySpin(final boolean on) {
        this.busySpin = on;
        return this;
    }

    /** @return the transport */
    public PeerTransport transport() {
        return transport;
    }

    /** @return bytes per message */
    public int size() {
        return size;
    }

    /** @return total bytes, 0 when sending for a time */
    public long totalBytes() {
        return totalBytes;
    }

    /** @return measured seconds */
    public double seconds() {
        return seconds;
    }

    /** @return warm-up seconds */
    public double warmupSeconds() {
        return warmupSeconds;
    }

    /** @return ring bytes */
    public int ringBytes() {
        return ringBytes;
    }

    /** @return the read buffer's bytes */
    public int effectiveReadSize() {
        return readSize == 0 ? size : readSize;
    }

    /** @return messages per second, 0 for unthrottled */
    public long rate() {
        return rate;
    }

    /** @return whether a full CRC32C is computed */
    public boolean checksum() {
        return checksum;
    }

    /** @return the receive technique */
    public ReceiveTechnique receiveTechnique() {
        return receiveTechnique;
    }

    /** @return whether stream waits busy-spin */
    public boolean busySpin() {
        return busySpin;
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
        return new Config()
            .transport(Transports.oneWay(m.get("transport")))
            .size(Integer.parseInt(m.get("size")))
            .totalBytes(Long.parseLong(m.get("total")))
            .seconds(Double.parseDouble(m.get("seconds")))
            .warmupSeconds(Double.parseDouble(m.get("warmup")))
            .ringBytes(Integer.parseInt(m.get("ring")))
            .readSize(Integer.parseInt(m.get("read")))
            .rate(Long.parseLong(m.get("rate")))
            .checksum(Boolean.parseBoolean(m.get("crc")))
            .receiveTechnique(ReceiveTechnique.parse(m.get("recv")))
            .busySpin("busy".equals(m.get("wait")));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s size=%d %s warm-up=%.2fs ring=%d read=%d%s%s", transport.name(), size,
            totalBytes > 0 ? "total=" + totalBytes : "seconds=" + seconds, warmupSeconds, ringBytes,
            effectiveReadSize(), rate > 0 ? " rate=" + rate + "/s" : "", checksum ? " crc" : "");
    }
}
