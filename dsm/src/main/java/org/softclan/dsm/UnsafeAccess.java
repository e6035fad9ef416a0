package org.softclan.dsm;

import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;

import sun.misc.Unsafe;

/**
 * The one place that touches {@code sun.misc.Unsafe}: raw loads, stores, atomics and copies on
 * (base object, offset) pairs, where a {@code null} base means an absolute native address.
 */
final class UnsafeAccess {
    static final Unsafe UNSAFE;
    static final long BYTE_ARRAY_BASE;
    private static final long BUFFER_ADDRESS_OFFSET;

    static {
        try {
            final Field f = Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            UNSAFE = (Unsafe) f.get(null);
            BYTE_ARRAY_BASE = UNSAFE.arrayBaseOffset(byte[].class);
            BUFFER_ADDRESS_OFFSET = UNSAFE.objectFieldOffset(Buffer.class.getDeclaredField("address"));
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Copies in slices of this size so a long copy reaches a safepoint now and then. */
    private static final long COPY_SLICE = 1L << 20;

    private UnsafeAccess() {
    }

    /**
     * @param buffer a direct buffer
     * @return the native address of its first byte (index 0, not its position)
     */
    static long address(final ByteBuffer buffer) {
        return UNSAFE.getLong(buffer, BUFFER_ADDRESS_OFFSET);
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
}
