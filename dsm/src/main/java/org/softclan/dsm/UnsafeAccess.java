package org.softclan.dsm;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;

import java.nio.ByteBuffer;

import net.openhft.chronicle.core.Jvm;

/**
 * Helpers over the JVM's raw memory access (Chronicle's handle on {@code sun.misc.Unsafe}, used as
 * {@code UnsafeMemory.UNSAFE} throughout this package): loads, stores, atomics and copies on
 * (base object, offset) pairs, where a {@code null} base means an absolute native address.
 */
final class UnsafeAccess {
    static final long BYTE_ARRAY_BASE = UNSAFE.arrayBaseOffset(byte[].class);

    /** Copies in slices of this size so a long copy reaches a safepoint now and then. */
    private static final long COPY_SLICE = 1L << 20;

    private UnsafeAccess() {
    }

    /**
     * @param buffer a direct buffer
     * @return the native address of its first byte (index 0, not its position)
     */
    static long address(final ByteBuffer buffer) {
        return Jvm.address(buffer);
    }

    /** Plain copy, sliced; either side may be heap (array base) or native ({@code null} base). */
    static void copy(final Object srcBase, final long srcOffset, final Object dstBase, final long dstOffset,
                     final long length) {
        long done = 0;
        while (done < length) {
            final long n = Math.min(COPY_SLICE, length - done);
            UNSAFE.copyMemory(srcBase, srcOffset + done, dstBase, dstOffset + done, n);
            done += n;
        }
    }

    /** Allocates {@code size} bytes of native memory, zeroed; free with {@link #free}. */
    static long allocateZeroed(final long size) {
        final long address = UNSAFE.allocateMemory(size);
        UNSAFE.setMemory(address, size, (byte) 0);
        return address;
    }

    /** Frees native memory {@link #allocateZeroed} returned. */
    static void free(final long address) {
        UNSAFE.freeMemory(address);
    }

    /** Plain store on a (base, offset) pair: a heap array and its byte offset, or {@code null} and an address. */
    static void putLong(final Object base, final long offset, final long value) {
        UNSAFE.putLong(base, offset, value);
    }

    /** Plain load on a (base, offset) pair. */
    static long getLong(final Object base, final long offset) {
        return UNSAFE.getLong(base, offset);
    }

    /** Plain store of a byte on a (base, offset) pair. */
    static void putByte(final Object base, final long offset, final byte value) {
        UNSAFE.putByte(base, offset, value);
    }

    /** Plain load of a byte on a (base, offset) pair. */
    static byte getByte(final Object base, final long offset) {
        return UNSAFE.getByte(base, offset);
    }

    /** Volatile load of an int at an absolute address. */
    static int getIntVolatile(final long address) {
        return UNSAFE.getIntVolatile(null, address);
    }
}
