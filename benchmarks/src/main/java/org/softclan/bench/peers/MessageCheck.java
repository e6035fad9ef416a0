package org.softclan.bench.peers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import org.HdrHistogram.Histogram;

/**
 * The content of the benchmark's messages and the receiver's check of it.
 *
 * <p>Every message is {@code size} bytes: a 16-byte header (the message's sequence number and its
 * intended send time in {@link System#nanoTime()} units, or 0 when not sending at a fixed rate, both
 * little-endian longs), then a body that depends on the sender's buffer slot ({@code seq % slots})
 * and the offset. The receiver sees a plain byte stream (reads may split or join messages), counts
 * every byte and, per message, checks the sequence number and two body bytes: the last one and one
 * at an offset that moves from message to message. With {@code crc} it also computes a CRC32C of
 * every byte, to compare with the sender's.
 */
public final class MessageCheck {
    /** Header bytes: sequence number, intended send time. */
    static final int HEADER = 16;
    /** The smallest message the check supports. */
    static final int MIN_SIZE = 32;

    private final int size;
    private final int slots;
    private final CRC32C crc;
    private final Histogram latency;
    private final long warmupMessages;
    private final ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    private long position;
    private long messages;
    private String failure;

    /**
     * @param size           bytes per message
     * @param slots          the sender's buffer slots
     * @param crc            whether to compute a CRC32C of every byte
     * @param latency        where to record each message's latency from its intended send time, or null
     * @param warmupMessages messages not recorded in {@code latency}
     */
    public MessageCheck(final int size, final int slots, final boolean crc, final Histogram latency, final long warmupMessages) {
        if (size < MIN_SIZE) {
            throw new IllegalArgumentException("message size " + size + " is below the minimum of " + MIN_SIZE);
        }
        this.size = size;
        this.slots = slots;
        this.crc = crc ? new CRC32C() : null;
        this.latency = latency;
        this.warmupMessages = warmupMessages;
    }

    /** @return the body byte at {@code offset} (at least {@link #HEADER}) of a message sent from {@code slot} */
    static byte body(final int slot, final int offset) {
        return (byte) (offset * 131 + (offset >>> 8) * 7 + slot * 29 + 5);
    }

    /** Fills the body of a slot's buffer (bytes {@link #HEADER} to {@code size}); the header is left alone. */
    static void fill(final ByteBuffer buffer, final int size, final int slot) {
        for (int i = HEADER; i < size; i++) {
            buffer.put(i, body(slot, i));
        }
    }

    /** Writes the header of message {@code seq} into {@code buffer} (absolute, little-endian). */
    static void header(final ByteBuffer buffer, final long seq, final long intendedNanos) {
        buffer.order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(0, seq);
        buffer.putLong(8, intendedNanos);
    }

    /**
     * Takes the next {@code n} bytes of the stream from {@code buf} (absolute indices from {@code from}).
     *
     * @param nowNanos when these bytes were read (used only for latencies)
     */
    public void accept(final ByteBuffer buf, final int from, final int n, final long nowNanos) {
        if (crc != null) {
            final ByteBuffer view = buf.duplicate();
            view.limit(from + n).position(from);
            crc.update(view);
        }
        final long end = position + n;
        long p = position;
        while (p < end) {
            final long m = p / size;
            final long msgStart = m * size;
            final int off = (int) (p - msgStart);
            if (off < HEADER) {
                final int k = (int) Math.min(HEADER - off, end - p);
                for (int i = 0; i < k; i++) {
                    header.put(off + i, buf.get(from + (int) (p - position) + i));
                }
            }
            final int slot = (int) (m % slots);
            final int moving = HEADER + (int) ((m * 40503L) % (size - HEADER));
            checkBody(buf, from, msgStart + moving, end, slot, moving, m);
            checkBody(buf, from, msgStart + size - 1, end, slot, size - 1, m);
            final long msgEnd = msgStart + size;
            if (msgEnd <= end) {
                final long seq = header.getLong(0);
                if (seq != m && failure == null) {
                    failure = "message " + m + " carried sequence number " + seq;
                }
                if (latency != null && m >= warmupMessages) {
                    final long intended = header.getLong(8);
                    latency.recordValue(Math.max(0, Math.min(nowNanos - intended, latency.getHighestTrackableValue())));
                }
                messages++;
                p = msgEnd;
            } else {
                p = end;
            }
        }
        position = end;
    }

    private void checkBody(final ByteBuffer buf, final int from, final long streamPos, final long end, final int slot,
                           final int offset, final long m) {
        if (streamPos >= position && streamPos < end && failure == null) {
            final byte got = buf.get(from + (int) (streamPos - position));
            final byte want = body(slot, offset);
            if (got != want) {
                failure = "message " + m + " byte " + offset + " is " + got + ", expected " + want;
            }
        }
    }

    /** @return bytes taken so far */
    public long bytes() {
        return position;
    }

    /** @return whole messages taken so far */
    long messages() {
        return messages;
    }

    /** @return the CRC32C of every byte taken, or -1 without {@code crc} */
    long crc() {
        return crc == null ? -1 : crc.getValue();
    }

    /** @return the first content mismatch, or null */
    public String failure() {
        return failure;
    }
}
