package org.softclan.bench.peers;

import java.io.IOException;

import org.softclan.dsm.SharedMemory;

/**
 * A bare single-producer single-consumer byte ring at a raw address in a shared mapping: the floor
 * the byte streams are compared to ({@code raw} one way, {@link SharedMemoryTransport}). The writer copies each chunk in, then publishes its position
 * with a release store; the reader copies bytes out, then publishes its position the same way. Both
 * wait by spinning. No framing, no signalling, no checks beyond the ring's own arithmetic.
 *
 * <pre>
 *    0 write position (bytes written in all), stored by the writer    own cache line
 *   64 read position (bytes read in all), stored by the reader        own cache line
 *  128 end: the final write position + 1 once the writer has finished
 *  192 abort: non-zero once the reader gave up (the writer stops waiting for room)
 * 4096 ring data, a power of two of bytes
 * </pre>
 */
final class RawRing {
    static final int WRITE_POS = 0;
    static final int READ_POS = 64;
    static final int END = 128;
    static final int ABORT = 192;
    static final int DATA = 4096;

    /** How many spins pass between checks of the time limit and the other side's liveness. */
    private static final int CHECK_EVERY = 1 << 16;

    /** The header and the ring (header words at their offsets, data from {@code DATA}). */
    private final SharedMemory base;
    private final long capacity;
    private final long mask;
    private final PeerTransport.Liveness liveness;
    private long position;
    private long otherCache;

    /**
     * @param base     the ring's memory: its header (offset 0 of the layout), then the data
     * @param capacity ring bytes, a power of two
     * @param liveness checked while spinning
     */
    RawRing(final SharedMemory base, final long capacity, final PeerTransport.Liveness liveness) {
        if (Long.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("ring capacity " + capacity + " is not a power of two");
        }
        this.base = base;
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.liveness = liveness;
    }

    /** @return the bytes a region holding a ring of {@code capacity} bytes needs */
    static long regionBytes(final long capacity) {
        return DATA + capacity;
    }

    /**
     * Writer: copies {@code length} bytes from {@code address} into the ring, waiting for room.
     *
     * @throws IOException if the reader aborted or the liveness check failed
     */
    void write(final long address, final int length) throws IOException {
        int done = 0;
        while (done < length) {
            final int n = (int) Math.min(length - done, capacity);
            long free = capacity - (position - otherCache);
            if (free < n) {
                int spins = 0;
                while (true) {
                    otherCache = base.getLongVolatile(READ_POS);
                    free = capacity - (position - otherCache);
                    if (free >= n) {
                        break;
                    }
                    Thread.onSpinWait();
                    if (++spins == CHECK_EVERY) {
                        spins = 0;
                        if (base.getLongVolatile(ABORT) != 0) {
                            throw new IOException("the reader of the raw ring gave up");
                        }
                        liveness.check();
                    }
                }
            }
            final int at = (int) (position & mask);
            final int first = (int) Math.min(n, capacity - at);
            base.copyFromAddress(DATA + at, address + done, first);
            if (first < n) {
                base.copyFromAddress(DATA, address + done + first, n - first);
            }
            position += n;
            base.putLongRelease(WRITE_POS, position);
            done += n;
        }
    }

    /** Writer: marks the end of the data (after the last write). */
    void finish() {
        base.putLongRelease(END, position + 1);
    }

    /**
     * Reader: copies up to {@code max} available bytes to {@code address}, spinning until at least
     * one is there.
     *
     * @return the bytes copied, or -1 once the writer finished and everything was read
     * @throws IOException if the liveness check failed
     */
    int read(final long address, final int max) throws IOException {
        long available = otherCache - position;
        if (available == 0) {
            int spins = 0;
            while (true) {
                otherCache = base.getLongVolatile(WRITE_POS);
                available = otherCache - position;
                if (available > 0) {
                    break;
                }
                final long end = base.getLongVolatile(END);
                if (end != 0 && end - 1 == position) {
                    return -1;
                }
                Thread.onSpinWait();
                if (++spins == CHECK_EVERY) {
                    spins = 0;
                    liveness.check();
                }
            }
        }
        final int n = (int) Math.min(available, max);
        final int at = (int) (position & mask);
        final int first = (int) Math.min(n, capacity - at);
        base.copyToAddress(DATA + at, address, first);
        if (first < n) {
            base.copyToAddress(DATA, address + first, n - first);
        }
        position += n;
        base.putLongRelease(READ_POS, position);
        return n;
    }

    /** Reader: tells the writer to stop waiting for room. */
    void abort() {
        base.putLongVolatile(ABORT, 1);
    }
}
