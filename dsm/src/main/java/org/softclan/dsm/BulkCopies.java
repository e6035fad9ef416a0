package org.softclan.dsm;

import java.nio.ByteBuffer;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * The bulk transfers of a {@link Mapping}: copies between its data area and the caller's memory of each
 * kind (a byte array, a heap, direct or read-only {@link ByteBuffer}, a heap or native Chronicle
 * {@link BytesStore}), each turned into the link's one bulk operation on an (object, address) pair where
 * the memory allows it, byte by byte where it does not. Both ranges are checked before anything is
 * copied; a store is snooped as one transfer once it is complete; a fault of a region cut from outside is
 * translated as by every access of the mapping.
 */
final class BulkCopies {
    private BulkCopies() {
    }

    /** Stores {@code length} bytes of an array: see {@link Mapping#put(long, byte[], int, int)}. */
    static void putArray(final Mapping m, final long offset, final byte[] src, final int srcOffset, final int length) {
        try {
            m.checkBounds(offset, length);
            RegionBoundsException.checkArray("source array", src.length, srcOffset, length);
            m.beforeRemoteAccess();
            m.link.write(m, offset, src, UnsafeAccess.BYTE_ARRAY_BASE + srcOffset, length);
            m.afterWrite(offset, length);
        } catch (final InternalError e) {
            throw m.fault(e, offset, length);
        }
    }

    /** Stores a buffer's remaining bytes: see {@link Mapping#put(long, ByteBuffer)}. */
    static void putBuffer(final Mapping m, final long offset, final ByteBuffer src) {
        final int length = src.remaining();
        try {
            m.checkBounds(offset, length);
            m.beforeRemoteAccess();
            if (src.isDirect()) {
                m.link.write(m, offset, null, UnsafeAccess.address(src) + src.position(), length);
            } else if (src.hasArray()) {
                m.link.write(m, offset, src.array(),
                    UnsafeAccess.BYTE_ARRAY_BASE + src.arrayOffset() + src.position(), length);
            } else {
                final byte[] copy = new byte[length];
                src.duplicate().get(copy);
                m.link.write(m, offset, copy, UnsafeAccess.BYTE_ARRAY_BASE, length);
            }
            src.position(src.limit());
            m.afterWrite(offset, length);
        } catch (final InternalError e) {
            throw m.fault(e, offset, length);
        }
    }

    /** Stores bytes of a Chronicle store: see {@link Mapping#put(long, BytesStore, long, long)}. */
    static void putStore(final Mapping m, final long offset, final BytesStore<?, ?> src, final long srcOffset, final long length) {
        try {
            m.checkBounds(offset, length);
            RegionBoundsException.checkStore("source store", src, srcOffset, length);
            m.beforeRemoteAccess();
            if (src.isDirectMemory()) {
                m.link.write(m, offset, null, src.addressForRead(srcOffset), length);
            } else {
                for (long i = 0; i < length; i++) {
                    m.link.putByte(m, offset + i, src.readByte(srcOffset + i));
                }
            }
            m.afterWrite(offset, length);
        } catch (final InternalError e) {
            throw m.fault(e, offset, length);
        }
    }

    /** Loads into an array: see {@link Mapping#get(long, byte[], int, int)}. */
    static void getArray(final Mapping m, final long offset, final byte[] dst, final int dstOffset, final int length) {
        try {
            m.checkBounds(offset, length);
            RegionBoundsException.checkArray("destination array", dst.length, dstOffset, length);
            m.beforeRemoteAccess();
            m.link.read(m, offset, dst, UnsafeAccess.BYTE_ARRAY_BASE + dstOffset, length);
        } catch (final InternalError e) {
            throw m.fault(e, offset, length);
        }
    }

    /** Loads into a buffer's remaining bytes: see {@link Mapping#get(long, ByteBuffer)}. */
    static void getBuffer(final Mapping m, final long offset, final ByteBuffer dst) {
        final int length = dst.remaining();
        try {
            if (dst.isReadOnly()) {
                throw new IllegalArgumentException("destination buffer is read-only");
            }
            m.checkBounds(offset, length);
            m.beforeRemoteAccess();
            if (dst.isDirect()) {
                m.link.read(m, offset, null, UnsafeAccess.address(dst) + dst.position(), length);
            } else {
                m.link.read(m, offset, dst.array(), UnsafeAccess.BYTE_ARRAY_BASE + dst.arrayOffset() + dst.position(),
                    length);
            }
            dst.position(dst.limit());
        } catch (final InternalError e) {
            throw m.fault(e, offset, length);
        }
    }

    /** Loads into a Chronicle store: see {@link Mapping#get(long, BytesStore, long, long)}. */
    static void getStore(final Mapping m, final long offset, final BytesStore<?, ?> dst, final long dstOffset, final long length) {
        try {
            m.checkBounds(offset, length);
            RegionBoundsException.checkStore("destination store", dst, dstOffset, length);
            m.beforeRemoteAccess();
            if (dst.isDirectMemory()) {
                m.link.read(m, offset, null, dst.addressForWrite(dstOffset), length);
            } else {
                for (long i = 0; i < length; i++) {
                    dst.writeByte(dstOffset + i, m.link.getByte(m, offset + i));
                }
            }
        } catch (final InternalError e) {
            throw m.fault(e, offset, length);
        }
    }
}
