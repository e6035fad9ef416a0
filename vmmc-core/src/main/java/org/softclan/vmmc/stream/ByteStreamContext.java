package org.softclan.vmmc.stream;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Fluent settings of one {@link ByteStream} end, fixed when the stream is made; defaults work out of the
 * box. Given to {@link ByteStreams#connect(org.softclan.dsm.Endpoint, String, org.softclan.vmmc.ConnectionContext,
 * ByteStreamContext, long, TimeUnit) ByteStreams.connect}, {@link StreamListener#accept(long, TimeUnit,
 * ByteStreamContext) StreamListener.accept} or {@link ByteStreams#over ByteStreams.over}, which read the
 * settings while they make the stream: changing a context afterwards changes only the streams made with it
 * later, so one context may serve many streams. The settings of the connection underneath (ring
 * capacity, wait strategy, ...) are in {@link org.softclan.vmmc.ConnectionContext}. Not thread-safe: set
 * it up, then make streams with it.
 *
 * <pre>{@code
 * ByteStream s = ByteStreams.connect(endpoint, "files", new ConnectionContext(),
 *     new ByteStreamContext().sendTechnique(SendTechnique.COPY_DMA).writeTimeout(5, TimeUnit.SECONDS),
 *     10, TimeUnit.SECONDS);
 * }</pre>
 */
public final class ByteStreamContext {
    /** Default size of the deposit region a receiver exports for posted buffers, in bytes (8 MiB). */
    public static final int DEFAULT_DEPOSIT_CAPACITY = 8 << 20;
    /** Default size of the buffers {@link ByteStream#read} posts itself in PRE_POSTED mode, in bytes (1 MiB). */
    public static final int DEFAULT_INTERNAL_POST_SIZE = 1 << 20;

    long readTimeoutNanos;
    long writeTimeoutNanos;
    SendTechnique sendTechnique = SendTechnique.PIO;
    ReceiveTechnique receiveTechnique = ReceiveTechnique.BUFFERED;
    int depositCapacity = DEFAULT_DEPOSIT_CAPACITY;
    int internalPostSize = DEFAULT_INTERNAL_POST_SIZE;

    /**
     * Settings with the defaults: reads and writes wait forever, sends use {@link SendTechnique#PIO},
     * this end receives {@link ReceiveTechnique#BUFFERED}, a deposit region of
     * {@value #DEFAULT_DEPOSIT_CAPACITY} bytes and internal posts of {@value #DEFAULT_INTERNAL_POST_SIZE}
     * bytes.
     */
    public ByteStreamContext() {
    }

    /**
     * Sets how long a read waits for the first byte (default: forever). The stream's reads then throw
     * {@link StreamTimeoutException} when no byte came in time; {@link ByteStream#receivePage} and
     * {@link PostedBuffer#awaitFilled} take a timeout of their own instead.
     *
     * @param timeout the longest wait, 0 for forever
     * @param unit    its unit
     * @return this
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public ByteStreamContext readTimeout(final long timeout, final TimeUnit unit) {
        this.readTimeoutNanos = StreamEnd.toNanos(timeout, unit);
        return this;
    }

    /**
     * Sets how long a write waits for room in the peer's ring (or for a posted buffer), overall
     * (default: forever). The stream's writes then throw {@link StreamTimeoutException} when the wait
     * passes it, saying how many bytes were sent; {@link ByteStream#close()} waits for room for its
     * end-of-stream marker at most this long, or 10 s if that is shorter.
     *
     * @param timeout the longest wait, 0 for forever
     * @param unit    its unit
     * @return this
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public ByteStreamContext writeTimeout(final long timeout, final TimeUnit unit) {
        this.writeTimeoutNanos = StreamEnd.toNanos(timeout, unit);
        return this;
    }

    /**
     * Sets the send technique that the stream's
     * {@link ByteStream#write(java.nio.ByteBuffer) write(ByteBuffer)},
     * {@link ByteStream#send(java.nio.ByteBuffer) send(ByteBuffer)} and {@link StreamOutputStream} use
     * (default {@link SendTechnique#PIO}). Any other technique may be chosen per send ({@link ByteStream#send(java.nio.ByteBuffer, SendTechnique)},
     * {@link ByteStream#write(java.nio.ByteBuffer, SendTechnique)}): bytes arrive in the order sent,
     * whatever moved them.
     *
     * @param technique the technique of the sends that name none
     * @return this
     * @throws NullPointerException if {@code technique} is {@code null}
     */
    public ByteStreamContext sendTechnique(final SendTechnique technique) {
        this.sendTechnique = Objects.requireNonNull(technique, "technique");
        return this;
    }

    /**
     * Sets how this end receives (default {@link ReceiveTechnique#BUFFERED}). With
     * {@link ReceiveTechnique#PRE_POSTED} the peer's writes deposit into the buffers this end
     * {@linkplain ByteStream#post(int) posts} (waiting while there is none), with
     * {@link ReceiveTechnique#REDIRECTION} they deposit into a buffer posted in time and use the ring
     * otherwise. For these two modes, making the stream exports this end's deposit region, then writes the
     * mode word into the peer's control area with an ordered (release) store and nudges the peer; the
     * peer's writes adapt from their next send on, and bytes it sent through the ring before it saw the
     * mode are still delivered, to {@link ByteStream#read}. If the deposit region cannot be exported,
     * making the stream fails and closes the connection.
     *
     * @param technique how this end receives
     * @return this
     * @throws NullPointerException if {@code technique} is {@code null}
     */
    public ByteStreamContext receiveTechnique(final ReceiveTechnique technique) {
        this.receiveTechnique = Objects.requireNonNull(technique, "technique");
        return this;
    }

    /**
     * Sets the size of the deposit region this end exports for posted buffers (default
     * {@value #DEFAULT_DEPOSIT_CAPACITY} bytes). Lowers the {@linkplain #internalPostSize internal post
     * size} to half of it if that is larger.
     *
     * @param bytes size of the deposit region, at least 4096
     * @return this
     * @throws IllegalArgumentException if {@code bytes} is less than 4096
     */
    public ByteStreamContext depositCapacity(final int bytes) {
        if (bytes < 4096) {
            throw new IllegalArgumentException("deposit capacity " + bytes + " must be at least 4096");
        }
        this.depositCapacity = bytes;
        this.internalPostSize = Math.min(internalPostSize, bytes / PostTable.INTERNAL_POSTS);
        return this;
    }

    /**
     * Sets the size of the buffers {@link ByteStream#read} posts by itself in
     * {@link ReceiveTechnique#PRE_POSTED} mode (default {@value #DEFAULT_INTERNAL_POST_SIZE} bytes, at
     * most half the deposit region): the largest single send the peer can make to a reader that only
     * reads.
     *
     * @param bytes size of each internal post, 1 to half the {@linkplain #depositCapacity deposit capacity}
     * @return this
     * @throws IllegalArgumentException if {@code bytes} is less than 1 or more than half the deposit capacity
     */
    public ByteStreamContext internalPostSize(final int bytes) {
        if (bytes < 1 || bytes > depositCapacity / PostTable.INTERNAL_POSTS) {
            throw new IllegalArgumentException("internal post size " + bytes + " must be 1.." + depositCapacity
                / PostTable.INTERNAL_POSTS + " (half the deposit region)");
        }
        this.internalPostSize = bytes;
        return this;
    }
}
