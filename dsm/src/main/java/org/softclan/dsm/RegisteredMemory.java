package org.softclan.dsm;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Memory registered with an endpoint, the only memory its {@link DmaEngine} moves data from or into:
 * the JVM's analogue of pinning memory for a NIC. Off-heap memory (allocated here, a direct buffer, or
 * a native Chronicle store) is registered by address; a heap array only when asked explicitly
 * ({@link Endpoint#registerHeap(byte[])}).
 *
 * <p>Local accesses ({@code putLong}, {@code put}, ...) are plain, bounds-checked loads and stores.
 * Closing waits for DMA transfers using this memory to finish, then frees memory this registration
 * allocated; memory it only wraps stays with its owner.
 */
public final class RegisteredMemory implements AutoCloseable {
    private final Endpoint endpoint;
    final Object base;
    final long baseOffset;
    private final long size;
    private final boolean allocated;
    private final String description;
    /** Keeps a wrapped buffer or store reachable while registered. */
    @SuppressWarnings("unused")
    private final Object keepAlive;
    private final AtomicInteger inFlight = new AtomicInteger();
    private long limit;
    private volatile boolean closed;

    private RegisteredMemory(final Endpoint endpoint, final Object base, final long baseOffset, final long size,
                             final boolean allocated, final String description, final Object keepAlive) {
        this.endpoint = endpoint;
        this.base = base;
        this.baseOffset = baseOffset;
        this.size = size;
        this.allocated = allocated;
        this.description = description;
        this.keepAlive = keepAlive;
        this.limit = size;
    }

    static RegisteredMemory allocate(final Endpoint endpoint, final long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("registered memory: size " + size + " must be positive");
        }
        final long address = UnsafeAccess.allocateZeroed(size);
        return new RegisteredMemory(endpoint, null, address, size, true, "off-heap " + size + " bytes", null);
    }

    static RegisteredMemory wrap(final Endpoint endpoint, final Object owner, final long address, final long size,
                                 final String what) {
        return new RegisteredMemory(endpoint, null, address, size, false, what + " " + size + " bytes", owner);
    }

    static RegisteredMemory heap(final Endpoint endpoint, final byte[] array) {
        return new RegisteredMemory(endpoint, array, UnsafeAccess.BYTE_ARRAY_BASE, array.length, false,
            "heap array " + array.length + " bytes", array);
    }

    /** {@return the endpoint this memory is registered with} */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** {@return bytes registered} */
    public long size() {
        return size;
    }

    /** {@return whether this is a registered heap array} */
    public boolean isHeap() {
        return base != null;
    }

    /** {@return DMA transfers in flight that use this memory} */
    public int transfersInFlight() {
        return inFlight.get();
    }

    void checkBounds(final long offset, final long length) {
        if ((offset | length) < 0 || offset > limit - length) {
            if (closed) {
                throw new ClosedException(this + " is closed");
            }
            throw RegionBoundsException.of(toString(), offset, length, size);
        }
    }

    /**
     * Counts a transfer in, then re-checks the closed flag: with {@link #close()}'s flag-then-count order
     * (both sequentially consistent), either this sees the flag or close sees the count and waits, so
     * memory a queued transfer will read is never freed under it (a bounds check alone, before the count,
     * could pass just before a close that then frees the memory).
     *
     * @throws ClosedException if this registration is closed (the transfer is counted out again)
     */
    void transferStarted() {
        inFlight.incrementAndGet();
        if (closed) {
            inFlight.decrementAndGet();
            throw new ClosedException(this + " is closed");
        }
    }

    void transferEnded() {
        inFlight.decrementAndGet();
    }

    /**
     * Plain store of a long.
     *
     * @param offset first of the 8 bytes, from the start of the registered memory
     * @param value  the long to store, in native byte order
     * @throws RegionBoundsException if the range is outside the registered memory
     * @throws ClosedException       if this registration is closed
     */
    public void putLong(final long offset, final long value) {
        checkBounds(offset, 8);
        UnsafeAccess.putLong(base, baseOffset + offset, value);
    }

    /**
     * Plain load of a long.
     *
     * @param offset first of the 8 bytes, from the start of the registered memory
     * @return the long at {@code offset}, in native byte order
     * @throws RegionBoundsException if the range is outside the registered memory
     * @throws ClosedException       if this registration is closed
     */
    public long getLong(final long offset) {
        checkBounds(offset, 8);
        return UnsafeAccess.getLong(base, baseOffset + offset);
    }

    /**
     * Plain store of one byte.
     *
     * @param offset the byte's offset from the start of the registered memory
     * @param value  the byte to store
     * @throws RegionBoundsException if the range is outside the registered memory
     * @throws ClosedException       if this registration is closed
     */
    public void putByte(final long offset, final byte value) {
        checkBounds(offset, 1);
        UnsafeAccess.putByte(base, baseOffset + offset, value);
    }

    /**
     * Plain load of one byte.
     *
     * @param offset the byte's offset from the start of the registered memory
     * @return the byte at {@code offset}
     * @throws RegionBoundsException if the range is outside the registered memory
     * @throws ClosedException       if this registration is closed
     */
    public byte getByte(final long offset) {
        checkBounds(offset, 1);
        return UnsafeAccess.getByte(base, baseOffset + offset);
    }

    /**
     * Copies {@code src[srcOffset .. srcOffset+length)} to {@code offset} (plain stores).
     *
     * @param offset    where {@code src[srcOffset]} lands, from the start of the registered memory
     * @param src       the source array
     * @param srcOffset index in {@code src} of the first byte to copy
     * @param length    bytes to copy
     * @throws RegionBoundsException if either range is out of bounds (nothing is copied)
     * @throws ClosedException       if this registration is closed
     */
    public void put(final long offset, final byte[] src, final int srcOffset, final int length) {
        if ((srcOffset | length) < 0 || srcOffset > src.length - length) {
            throw RegionBoundsException.of("source array", srcOffset, length, src.length);
        }
        checkBounds(offset, length);
        UnsafeAccess.copy(src, UnsafeAccess.BYTE_ARRAY_BASE + srcOffset, base, baseOffset + offset, length);
    }

    /**
     * Copies {@code length} bytes from {@code offset} into {@code dst[dstOffset ..)} (plain loads).
     *
     * @param offset    first byte to copy, from the start of the registered memory
     * @param dst       the destination array
     * @param dstOffset index in {@code dst} where the first byte copied goes
     * @param length    bytes to copy
     * @throws RegionBoundsException if either range is out of bounds (nothing is copied)
     * @throws ClosedException       if this registration is closed
     */
    public void get(final long offset, final byte[] dst, final int dstOffset, final int length) {
        if ((dstOffset | length) < 0 || dstOffset > dst.length - length) {
            throw RegionBoundsException.of("destination array", dstOffset, length, dst.length);
        }
        checkBounds(offset, length);
        UnsafeAccess.copy(base, baseOffset + offset, dst, UnsafeAccess.BYTE_ARRAY_BASE + dstOffset, length);
    }

    /**
     * Deregisters: waits for DMA transfers using this memory to end (the engine completes or fails
     * each), then frees it if this registration allocated it. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            limit = -1;
        }
        while (inFlight.get() != 0) {
            if (!endpoint.runDmaQueue()) {
                LockSupport.parkNanos(50_000);
            }
        }
        if (allocated) {
            UnsafeAccess.free(baseOffset);
        }
        endpoint.forget(this);
    }

    @Override
    public String toString() {
        return "registered memory (" + description + ") of endpoint '" + endpoint.name() + "'";
    }
}
