package org.softclan.dsm;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;

import java.nio.ByteBuffer;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * A mapping of one region's data area: the owner's {@link InboundMapping} or an importer's
 * {@link OutboundMapping}. Offsets count from the first byte of the data area; every access is
 * bounds-checked and fails with a {@link RegionBoundsException} naming the region, offset, length and
 * size before anything is stored.
 *
 * <p><b>Memory order</b>, as each method states: <em>plain</em> accesses give no ordering with
 * respect to other addresses; {@code putLongOrdered} is a release store (every earlier store of this
 * thread is visible before it); {@code putLongVolatile}, {@code getLongVolatile},
 * {@code compareAndSetLong} and {@code getAndAddLong} are sequentially consistent and need an
 * 8-byte-aligned offset. A reader that sees a release store with a volatile load also sees the
 * stores before it (the data-then-pointer pattern every layer uses).
 *
 * <p><b>Threads</b>: a mapping may be used by many threads at once. Closing it while another thread
 * is still using it is a programming error (as with any unmapped memory); close it from the thread
 * that owns it once the others are done.
 */
public abstract class Mapping implements AutoCloseable {
    final String regionName;
    final long generation;
    final long size;
    final long sidecarSize;
    final long headerAddress;
    final long dataAddress;
    final Link link;
    final MappedRegion file;
    /** Transfers are checked against this: the size while open, -1 once closed. */
    private long limit;
    private volatile boolean closed;
    /** Only outbound mappings ever set this. */
    volatile SnoopHook snoop;

    Mapping(final String regionName, final long generation, final long size, final long sidecarSize,
            final MappedRegion file, final Link link) {
        this.regionName = regionName;
        this.generation = generation;
        this.size = size;
        this.sidecarSize = sidecarSize;
        this.file = file;
        this.headerAddress = file.address;
        this.dataAddress = file.address + RegionLayout.HEADER_LENGTH;
        this.link = link;
        this.limit = size;
    }

    /** @return the region's name in its fabric */
    public final String regionName() {
        return regionName;
    }

    /** @return the generation of the region this mapping reaches */
    public final long generation() {
        return generation;
    }

    /** @return the size of the data area in bytes, fixed for the region's life */
    public final long size() {
        return size;
    }

    /** @return the link transfers go through */
    public final Link link() {
        return link;
    }

    /** @return whether {@link #close()} was called */
    public final boolean isClosed() {
        return closed;
    }

    /** @return a word for messages: "inbound" or "outbound" */
    abstract String kind();

    /**
     * Checks for outbound mappings that run before every access: the region is still the generation
     * that was imported, and DMA transfers issued before this access have finished.
     */
    abstract void beforeRemoteAccess();

    // ----------------------------------------------------------------------------------- checks

    final void checkBounds(final long offset, final long length) {
        if ((offset | length) < 0 || offset > limit - length) {
            throw boundsFailure(offset, length);
        }
    }

    private void checkAligned(final long offset) {
        if ((offset & 7) != 0) {
            throw RegionBoundsException.misaligned(describe(), offset, 8);
        }
    }

    private DsmException boundsFailure(final long offset, final long length) {
        if (closed) {
            return new ClosedException(describe() + " is closed");
        }
        return RegionBoundsException.of(describe(), offset, length, size);
    }

    final String describe() {
        return kind() + " mapping of region '" + regionName + "' (generation " + generation + ")";
    }

    final int headerState() {
        return UNSAFE.getIntVolatile(null, headerAddress + RegionLayout.STATE_OFFSET);
    }

    final void afterWrite(final long offset, final long length) {
        final SnoopHook hook = snoop;
        if (hook != null) {
            hook.onTransfer(this, offset, length, Direction.OUTBOUND);
            hook.onTransfer(this, offset, length, Direction.INBOUND);
        }
    }

    // ------------------------------------------------------------------------------------ writes

    /** Plain store of one byte. */
    public final void putByte(final long offset, final byte value) {
        checkBounds(offset, 1);
        beforeRemoteAccess();
        link.putByte(this, offset, value);
        afterWrite(offset, 1);
    }

    /** Plain store of an int; the offset need not be aligned. */
    public final void putInt(final long offset, final int value) {
        checkBounds(offset, 4);
        beforeRemoteAccess();
        link.putInt(this, offset, value);
        afterWrite(offset, 4);
    }

    /** Plain store of a long; the offset need not be aligned. */
    public final void putLong(final long offset, final long value) {
        checkBounds(offset, 8);
        beforeRemoteAccess();
        if (link == SameHostLink.INSTANCE) {
            UNSAFE.putLong(dataAddress + offset, value);   // the same-host link, without the interface call
        } else {
            link.putLong(this, offset, value);
        }
        afterWrite(offset, 8);
    }

    /** Release (ordered) store of a long at an 8-byte-aligned offset. */
    public final void putLongOrdered(final long offset, final long value) {
        checkBounds(offset, 8);
        checkAligned(offset);
        beforeRemoteAccess();
        if (link == SameHostLink.INSTANCE) {
            UNSAFE.putOrderedLong(null, dataAddress + offset, value);
        } else {
            link.putLongOrdered(this, offset, value);
        }
        afterWrite(offset, 8);
    }

    /** Volatile store of a long at an 8-byte-aligned offset. */
    public final void putLongVolatile(final long offset, final long value) {
        checkBounds(offset, 8);
        checkAligned(offset);
        beforeRemoteAccess();
        if (link == SameHostLink.INSTANCE) {
            UNSAFE.putLongVolatile(null, dataAddress + offset, value);
        } else {
            link.putLongVolatile(this, offset, value);
        }
        afterWrite(offset, 8);
    }

    /**
     * Atomic compare-and-set (volatile semantics) at an 8-byte-aligned offset. Snooped only when it
     * succeeds, since only then does it store.
     *
     * @return whether the value was {@code expected} and is now {@code update}
     */
    public final boolean compareAndSetLong(final long offset, final long expected, final long update) {
        checkBounds(offset, 8);
        checkAligned(offset);
        beforeRemoteAccess();
        final boolean swapped = link.compareAndSetLong(this, offset, expected, update);
        if (swapped) {
            afterWrite(offset, 8);
        }
        return swapped;
    }

    /**
     * Atomic get-and-add (volatile semantics) at an 8-byte-aligned offset.
     *
     * @return the value before the addition
     */
    public final long getAndAddLong(final long offset, final long delta) {
        checkBounds(offset, 8);
        checkAligned(offset);
        beforeRemoteAccess();
        final long previous = link.getAndAddLong(this, offset, delta);
        afterWrite(offset, 8);
        return previous;
    }

    /** Bulk plain store of the whole array. */
    public final void put(final long offset, final byte[] src) {
        put(offset, src, 0, src.length);
    }

    /** Bulk plain store of {@code length} bytes of {@code src} from {@code srcOffset}. */
    public final void put(final long offset, final byte[] src, final int srcOffset, final int length) {
        checkBounds(offset, length);
        checkArray("source array", src.length, srcOffset, length);
        beforeRemoteAccess();
        link.write(this, offset, src, UnsafeAccess.BYTE_ARRAY_BASE + srcOffset, length);
        afterWrite(offset, length);
    }

    /**
     * Bulk plain store of the remaining bytes of {@code src} (position to limit); on return the
     * buffer's position equals its limit.
     */
    public final void put(final long offset, final ByteBuffer src) {
        final int length = src.remaining();
        checkBounds(offset, length);
        beforeRemoteAccess();
        if (src.isDirect()) {
            link.write(this, offset, null, UnsafeAccess.address(src) + src.position(), length);
        } else if (src.hasArray()) {
            link.write(this, offset, src.array(),
                UnsafeAccess.BYTE_ARRAY_BASE + src.arrayOffset() + src.position(), length);
        } else {
            final byte[] copy = new byte[length];
            src.duplicate().get(copy);
            link.write(this, offset, copy, UnsafeAccess.BYTE_ARRAY_BASE, length);
        }
        src.position(src.limit());
        afterWrite(offset, length);
    }

    /**
     * Bulk plain store of {@code length} bytes of a Chronicle store from {@code srcOffset}. Native
     * stores are copied directly; heap stores byte by byte.
     */
    public final void put(final long offset, final BytesStore<?, ?> src, final long srcOffset, final long length) {
        checkBounds(offset, length);
        checkStore("source store", src, srcOffset, length);
        beforeRemoteAccess();
        if (src.isDirectMemory()) {
            link.write(this, offset, null, src.addressForRead(srcOffset), length);
        } else {
            for (long i = 0; i < length; i++) {
                link.putByte(this, offset + i, src.readByte(srcOffset + i));
            }
        }
        afterWrite(offset, length);
    }

    // ------------------------------------------------------------------------------------- reads

    /** Plain load of one byte (through an outbound mapping: a remote read). */
    public final byte getByte(final long offset) {
        checkBounds(offset, 1);
        beforeRemoteAccess();
        return link.getByte(this, offset);
    }

    /** Plain load of an int; the offset need not be aligned. */
    public final int getInt(final long offset) {
        checkBounds(offset, 4);
        beforeRemoteAccess();
        return link.getInt(this, offset);
    }

    /** Plain load of a long; the offset need not be aligned. */
    public final long getLong(final long offset) {
        checkBounds(offset, 8);
        beforeRemoteAccess();
        return link.getLong(this, offset);
    }

    /** Volatile (acquire or stronger) load of a long at an 8-byte-aligned offset. */
    public final long getLongVolatile(final long offset) {
        checkBounds(offset, 8);
        checkAligned(offset);
        beforeRemoteAccess();
        return link == SameHostLink.INSTANCE ? UNSAFE.getLongVolatile(null, dataAddress + offset)
            : link.getLongVolatile(this, offset);
    }

    /** Bulk plain load into {@code dst[dstOffset .. dstOffset+length)}. */
    public final void get(final long offset, final byte[] dst, final int dstOffset, final int length) {
        checkBounds(offset, length);
        checkArray("destination array", dst.length, dstOffset, length);
        beforeRemoteAccess();
        link.read(this, offset, dst, UnsafeAccess.BYTE_ARRAY_BASE + dstOffset, length);
    }

    /** Bulk plain load filling the remaining bytes of {@code dst}; its position advances to its limit. */
    public final void get(final long offset, final ByteBuffer dst) {
        final int length = dst.remaining();
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("destination buffer is read-only");
        }
        checkBounds(offset, length);
        beforeRemoteAccess();
        if (dst.isDirect()) {
            link.read(this, offset, null, UnsafeAccess.address(dst) + dst.position(), length);
        } else {
            link.read(this, offset, dst.array(), UnsafeAccess.BYTE_ARRAY_BASE + dst.arrayOffset() + dst.position(),
                length);
        }
        dst.position(dst.limit());
    }

    /** Bulk plain load into a Chronicle store at {@code dstOffset}. */
    public final void get(final long offset, final BytesStore<?, ?> dst, final long dstOffset, final long length) {
        checkBounds(offset, length);
        checkStore("destination store", dst, dstOffset, length);
        beforeRemoteAccess();
        if (dst.isDirectMemory()) {
            link.read(this, offset, null, dst.addressForWrite(dstOffset), length);
        } else {
            for (long i = 0; i < length; i++) {
                dst.writeByte(dstOffset + i, link.getByte(this, offset + i));
            }
        }
    }

    private static void checkArray(final String what, final int arrayLength, final int offset, final int length) {
        if ((offset | length) < 0 || offset > arrayLength - length) {
            throw RegionBoundsException.of(what, offset, length, arrayLength);
        }
    }

    private static void checkStore(final String what, final BytesStore<?, ?> store, final long offset,
                                   final long length) {
        if (offset < store.start() || length < 0 || offset > store.capacity() - length) {
            throw RegionBoundsException.of(what, offset, length, store.capacity());
        }
    }

    // ------------------------------------------------------------------- for layers above the NIC

    /**
     * The absolute address of a byte of the data area, for layers above the NIC that keep shared
     * structures in a region and need atomic access or a futex on them (the Tripwire unit). Stores
     * made at this address bypass the NIC write path: they are not checked after this call and not
     * snooped. Valid until this mapping is closed; using it afterwards crashes the JVM.
     *
     * @param offset  first byte, from the start of the data area
     * @param length  bytes the caller will access from there (bounds-checked now)
     * @return the address
     */
    public final long address(final long offset, final long length) {
        checkBounds(offset, length);
        return dataAddress + offset;
    }

    /** @return bytes in the region's sidecar (0 if it has none); see {@link RegionLayout} */
    public final long sidecarSize() {
        return sidecarSize;
    }

    /**
     * The absolute address of the region's sidecar: memory after the data area that layers above the
     * NIC keep their per-region structures in (the Tripwire unit's table). Same caveats as
     * {@link #address(long, long)}: not checked, not snooped, valid until this mapping closes.
     *
     * @throws IllegalStateException if the region has no sidecar
     */
    public final long sidecarAddress() {
        checkBounds(0, 0);
        if (sidecarSize == 0) {
            throw new IllegalStateException(describe() + " has no sidecar");
        }
        return headerAddress + RegionLayout.sidecarOffset(size);
    }

    /**
     * Volatile load of one of the region header's attachment words, which layers above the NIC use to
     * find structures of theirs that belong to the region (word 0: the Tripwire unit's table).
     *
     * @param index 0 to {@link RegionLayout#ATTACHMENT_WORDS} - 1
     */
    public final long attachment(final int index) {
        return UNSAFE.getLongVolatile(null, attachmentAddress(index));
    }

    /**
     * Atomic compare-and-set of an attachment word (volatile semantics); see {@link #attachment(int)}.
     *
     * @return whether the word was {@code expected} and is now {@code update}
     */
    public final boolean compareAndSetAttachment(final int index, final long expected, final long update) {
        return UNSAFE.compareAndSwapLong(null, attachmentAddress(index), expected, update);
    }

    private long attachmentAddress(final int index) {
        if (index < 0 || index >= RegionLayout.ATTACHMENT_WORDS) {
            throw new IllegalArgumentException("attachment word " + index + " of " + describe()
                + " does not exist (0.." + (RegionLayout.ATTACHMENT_WORDS - 1) + ")");
        }
        checkBounds(0, 0);
        return headerAddress + RegionLayout.ATTACHMENT_OFFSET + 8L * index;
    }

    // --------------------------------------------------------------------------------- lifecycle

    /**
     * Unmaps this mapping; later accesses throw {@link ClosedException}. Idempotent. Subclasses add
     * what closing means for them (an inbound mapping also removes the region).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        limit = -1;
        file.unmap();
    }

    @Override
    public String toString() {
        return describe() + ", " + size + " bytes via " + link.describe();
    }
}
