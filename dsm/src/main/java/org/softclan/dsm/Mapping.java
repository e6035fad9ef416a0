package org.softclan.dsm;

import java.nio.ByteBuffer;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * A mapping of one region's data area: the owner's {@link InboundMapping} or an importer's
 * {@link OutboundMapping}. Offsets count from the first byte of the data area; every access is
 * bounds-checked and fails with a {@link RegionBoundsException} naming the region, offset, length and
 * size before anything is stored.
 *
 * <p><b>Memory order</b>, as each method states: <em>plain</em> accesses give no ordering with
 * respect to other addresses; {@code putLongRelease} is a release store (every earlier store of this
 * thread is visible before it) and {@code getLongAcquire} its load-acquire pair; {@code putLongVolatile},
 * {@code compareAndSetLong} and {@code getAndAddLong} are sequentially consistent and need an
 * 8-byte-aligned offset. A reader that sees a release store with a volatile load also sees the
 * stores before it (the data-then-pointer pattern every layer uses).
 *
 * <p><b>Threads</b>: a mapping may be used by many threads at once. Closing it while another thread
 * is still using it is a programming error (as with any unmapped memory); close it from the thread
 * that owns it once the others are done. A layer whose threads may still be inside the memory when
 * someone else closes the mapping (a connection whose endpoint closes under it) {@linkplain #retain()
 * retains} it: {@link #close()} then ends access through the mapping at once but leaves the memory mapped
 * until the last holder {@linkplain #release() releases} it.
 *
 * <p><b>A file cut from outside</b>: a region's size is fixed, but another process can still cut its
 * file short ({@code truncate}); accesses to mapped pages past the file's new end then fault. Every
 * access method here turns the JVM's {@link InternalError} into a {@link RegionTruncatedException}
 * naming the region, its file, the file's current size and the length mapped (no system call per access).
 * The JVM delivers that error <em>asynchronously</em>, though, possibly after the access method returned
 * (loads that faulted meanwhile return garbage; stores are lost): layers above the NIC call
 * {@link #checkIntact()} on their slow paths (one {@code fstat}) and translate an {@code InternalError}
 * they catch themselves with {@link RegionFaults#explain(InternalError)}. Closing a mapping whose file was cut
 * is safe. One case the NIC cannot guard: on JDK 17, an atomic ({@code compareAndSetLong},
 * {@code getAndAddLong}) run by the interpreter on a cut page kills the JVM with SIGBUS; call
 * {@link #checkIntact()} first where that matters.
 */
public abstract class Mapping implements AutoCloseable {
    final String regionName;
    final long generation;
    final long size;
    final long sidecarSize;
    final long headerAddress;
    final long dataAddress;
    /** The region's header (the NIC's own words: state, generation, owner). */
    final SharedMemory header;
    final Link link;
    final MappedRegion file;
    /** Transfers are checked against this: the size while open, -1 once closed. */
    private long limit;
    private volatile boolean closed;
    /** Set once a check in this process found the file short ({@link #isKnownCut()}); never cleared. */
    private volatile boolean knownCut;
    /** Only outbound mappings ever set this. */
    volatile SnoopHook snoop;
    /** Who still holds the memory ({@link #retain()}); unmaps it once closed and no holder is left. */
    private final MappingHolds holds;
    /**
     * Whether PIO stores are counted ({@link #pioBytes()}): system property {@code softclan.stat.pio}, off by
     * default. A count is one more load, add and store per store: measured with JMH side by side with the
     * code before it ({@code jmh/side-by-side.sh}, medians of 6 rounds), it made a burst of 8-byte release
     * stores 13% slower (0.94 to 1.07 ns a store) and a single one 7%, where the cost of counters must stay
     * within 2%. Read once, so the compiler drops the add when it is off.
     */
    public static final boolean COUNT_PIO = Boolean.getBoolean("softclan.stat.pio");
    /**
     * Bytes this process stored through the mapping's write methods (PIO), for the endpoint's statistics,
     * when {@link #COUNT_PIO}: a plain add by the writing thread (no atomic on the write path), so stores of
     * several threads racing through one mapping may lose some of their counts; read opaquely by the
     * publisher ({@link #pioBytes}).
     */
    private long pioBytes;
    private static final java.lang.invoke.VarHandle PIO_BYTES;

    static {
        try {
            PIO_BYTES = java.lang.invoke.MethodHandles.lookup().findVarHandle(Mapping.class, "pioBytes", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    Mapping(final String regionName, final long generation, final long size, final long sidecarSize,
            final MappedRegion file, final Link link) {
        this.regionName = regionName;
        this.generation = generation;
        this.size = size;
        this.sidecarSize = sidecarSize;
        this.file = file;
        this.headerAddress = file.address;
        this.dataAddress = file.address + RegionLayout.HEADER_LENGTH;
        this.header = SharedMemory.wrap(file.address, RegionLayout.HEADER_LENGTH, "header of region '" + regionName + "'");
        this.link = link;
        this.limit = size;
        this.holds = new MappingHolds(file, this::describe);
        FaultTraces.opened(this);
    }

    /** {@return the region's name in its fabric} */
    public final String regionName() {
        return regionName;
    }

    /** {@return the generation of the region this mapping reaches} */
    public final long generation() {
        return generation;
    }

    /** {@return the size of the data area in bytes, fixed for the region's life} */
    public final long size() {
        return size;
    }

    /** {@return the link transfers go through} */
    public final Link link() {
        return link;
    }

    /**
     * Bytes this process's threads have stored through this mapping's write methods (programmed I/O:
     * puts, compare-and-sets that swapped, get-and-adds), not counting DMA transfers. A plain count kept
     * by the writing threads: exact for one writing thread, possibly short when several write through the
     * mapping at once. An opaque read (never torn), from any thread. Counted only when the JVM runs with
     * {@code -Dsoftclan.stat.pio=true} ({@link #COUNT_PIO}); 0 otherwise.
     *
     * @return bytes written by PIO since the mapping was made
     */
    public final long pioBytes() {
        return (long) PIO_BYTES.getOpaque(this);
    }

    /** {@return whether {@link #close()} was called} */
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

    /** {@return the header's state word (volatile)} */
    final int headerState() {
        // every access of an outbound mapping reads it: by the header's address, one load nearer than the window
        return UnsafeAccess.getIntVolatile(headerAddress + RegionLayout.STATE_OFFSET);
    }

    /** After a PIO store: counts its bytes ({@link #pioBytes()}) and snoops it. */
    final void afterWrite(final long offset, final long length) {
        if (COUNT_PIO) {
            pioBytes += length;
        }
        snoopWrite(offset, length);
    }

    /** After any store through this mapping (PIO or a DMA burst): calls the snoop hook, if any. */
    final void snoopWrite(final long offset, final long length) {
        final SnoopHook hook = snoop;
        if (hook != null) {
            hook.onTransfer(this, offset, length, Direction.OUTBOUND);
            hook.onTransfer(this, offset, length, Direction.INBOUND);
        }
    }

    // ----------------------------------------------------------------------- a file cut from outside

    /**
     * Checks, with one {@code fstat} of the mapped file, that the region's file still holds every byte
     * this mapping maps. For slow paths (wait slices, time-outs, before closing structures kept in
     * the region), never per access. If the file was cut, a fault the JVM recorded for this thread but
     * has not delivered yet is drained first, so it does not surface later in unrelated code.
     *
     * @throws RegionTruncatedException naming the region, its file, the file's size now and the
     *                                  length mapped, if the file is shorter than what was mapped
     * @throws ClosedException          if this mapping is closed
     */
    public final void checkIntact() {
        if (closed) {
            throw new ClosedException(describe() + " is closed");
        }
        final long now = file.fileSize();
        if (now < file.length) {
            final InternalError pending = FaultTraces.drainPendingFault();
            throw truncated(now, "found by a check of the file's size", pending);
        }
    }

    /**
     * One {@code fstat} of the mapped file; see {@link #checkIntact()}, which also drains a pending fault.
     *
     * @return whether the region's file still holds every byte this mapping maps; false once closed
     */
    public final boolean isIntact() {
        if (closed) {
            return false;
        }
        if (file.fileSize() >= file.length) {
            return true;
        }
        knownCut = true;
        return false;
    }

    /**
     * {@return the descriptor through which this process holds the region's file open until
     * {@link #close()}, or -1 where it cannot be read}: a peer compares {@code /proc/PID/fd/N} with the
     * region's file to prove, through the kernel, that this process maps the region.
     */
    public final int descriptor() {
        return file.descriptor;
    }

    /** {@return bytes of the region's file this mapping maps: header, data area and sidecar} */
    public final long mappedLength() {
        return file.length;
    }

    /** The catch of every access method: what the fault means, preferring this mapping's region. */
    final RuntimeException fault(final InternalError fault, final long offset, final long length) {
        return fault(fault, "noticed during an access at offset " + offset + " (length " + length
            + ") of the data area");
    }

    /** As {@link #fault(InternalError, long, long)}, saying in {@code how} where it was noticed. */
    final RuntimeException fault(final InternalError fault, final String how) {
        final RegionTruncatedException t = FaultTraces.explain(this, fault, how);
        if (t == null) {
            throw fault;   // not a region cut short: not ours to explain
        }
        return t;
    }

    RegionTruncatedException truncated(final long fileSize, final String how, final Throwable cause) {
        knownCut = true;
        return FaultTraces.truncated(this, fileSize, how, cause);
    }

    /**
     * {@return whether a check in this process has already found this mapping's file cut short} (by
     * {@link #checkIntact()}, or by the translation of a fault, this mapping's own or
     * {@link RegionFaults#explain}'s). No system call: one volatile load, for hot paths that touch a
     * peer's memory only to notify it (a doorbell) and skip a region known cut rather than fault on it
     * again. Never cleared; {@code false} says nothing about whether the file is intact now.
     */
    public final boolean isKnownCut() {
        return knownCut;
    }

    // ------------------------------------------------------------------------------------ writes

    /**
     * Plain store of one byte.
     *
     * @param offset the byte's offset from the start of the data area
     * @param value  the byte to store
     */
    public final void putByte(final long offset, final byte value) {
        try {
            checkBounds(offset, 1);
            beforeRemoteAccess();
            link.putByte(this, offset, value);
            afterWrite(offset, 1);
        } catch (final InternalError e) {
            throw fault(e, offset, 1);
        }
    }

    /**
     * Plain store of an int; the offset need not be aligned.
     *
     * @param offset first of the 4 bytes, from the start of the data area (any alignment)
     * @param value  the int to store, in native byte order
     */
    public final void putInt(final long offset, final int value) {
        try {
            checkBounds(offset, 4);
            beforeRemoteAccess();
            link.putInt(this, offset, value);
            afterWrite(offset, 4);
        } catch (final InternalError e) {
            throw fault(e, offset, 4);
        }
    }

    /**
     * Plain store of a long; the offset need not be aligned.
     *
     * @param offset first of the 8 bytes, from the start of the data area (any alignment)
     * @param value  the long to store, in native byte order
     */
    public final void putLong(final long offset, final long value) {
        try {
            checkBounds(offset, 8);
            beforeRemoteAccess();
            if (link == SameHostLink.INSTANCE) {
                SameHostLink.storePlain(dataAddress + offset, value);   // the same-host link, without the interface call
            } else {
                link.putLong(this, offset, value);
            }
            afterWrite(offset, 8);
        } catch (final InternalError e) {
            throw fault(e, offset, 8);
        }
    }

    /**
     * Store-release of a long at an 8-byte-aligned offset: every earlier load and store of this thread
     * comes before it (the publishing store of the data-then-pointer pattern).
     *
     * @param offset first of the 8 bytes, from the start of the data area; a multiple of 8
     * @param value  the long to store, in native byte order
     */
    public final void putLongRelease(final long offset, final long value) {
        try {
            checkBounds(offset, 8);
            checkAligned(offset);
            beforeRemoteAccess();
            if (link == SameHostLink.INSTANCE) {
                SameHostLink.storeRelease(dataAddress + offset, value);
            } else {
                link.putLongOrdered(this, offset, value);
            }
            afterWrite(offset, 8);
        } catch (final InternalError e) {
            throw fault(e, offset, 8);
        }
    }

    /**
     * The former name of {@link #putLongRelease}.
     *
     * @param offset as for {@link #putLongRelease}
     * @param value  as for {@link #putLongRelease}
     * @deprecated use {@link #putLongRelease}, the name that says the memory order
     */
    @Deprecated
    public final void putLongOrdered(final long offset, final long value) {
        putLongRelease(offset, value);
    }

    /**
     * Volatile store of a long at an 8-byte-aligned offset.
     *
     * @param offset first of the 8 bytes, from the start of the data area; a multiple of 8
     * @param value  the long to store, in native byte order
     */
    public final void putLongVolatile(final long offset, final long value) {
        try {
            checkBounds(offset, 8);
            checkAligned(offset);
            beforeRemoteAccess();
            if (link == SameHostLink.INSTANCE) {
                SameHostLink.storeVolatile(dataAddress + offset, value);
            } else {
                link.putLongVolatile(this, offset, value);
            }
            afterWrite(offset, 8);
        } catch (final InternalError e) {
            throw fault(e, offset, 8);
        }
    }

    /**
     * Atomic compare-and-set (volatile semantics) at an 8-byte-aligned offset. Snooped only when it
     * succeeds, since only then does it store.
     *
     * @param offset   first of the 8 bytes, from the start of the data area; a multiple of 8
     * @param expected the value the word must hold for the store to happen
     * @param update   the value stored if it does
     * @return whether the value was {@code expected} and is now {@code update}
     */
    public final boolean compareAndSetLong(final long offset, final long expected, final long update) {
        try {
            checkBounds(offset, 8);
            checkAligned(offset);
            beforeRemoteAccess();
            final boolean swapped = link.compareAndSetLong(this, offset, expected, update);
            if (swapped) {
                afterWrite(offset, 8);
            }
            return swapped;
        } catch (final InternalError e) {
            throw fault(e, offset, 8);
        }
    }

    /**
     * Atomic get-and-add (volatile semantics) at an 8-byte-aligned offset.
     *
     * @param offset first of the 8 bytes, from the start of the data area; a multiple of 8
     * @param delta  the amount to add (two's-complement: it wraps on overflow; negative subtracts)
     * @return the value before the addition
     */
    public final long getAndAddLong(final long offset, final long delta) {
        try {
            checkBounds(offset, 8);
            checkAligned(offset);
            beforeRemoteAccess();
            final long previous = link.getAndAddLong(this, offset, delta);
            afterWrite(offset, 8);
            return previous;
        } catch (final InternalError e) {
            throw fault(e, offset, 8);
        }
    }

    /**
     * Bulk plain store of the whole array.
     *
     * @param offset where {@code src[0]} lands, from the start of the data area
     * @param src    the bytes to store, all {@code src.length} of them
     */
    public final void put(final long offset, final byte[] src) {
        put(offset, src, 0, src.length);
    }

    /**
     * Bulk plain store of {@code length} bytes of {@code src} from {@code srcOffset}.
     *
     * @param offset    where {@code src[srcOffset]} lands, from the start of the data area
     * @param src       the source array
     * @param srcOffset index in {@code src} of the first byte to store
     * @param length    bytes to store; both ranges are bounds-checked before anything is stored
     */
    public final void put(final long offset, final byte[] src, final int srcOffset, final int length) {
        BulkCopies.putArray(this, offset, src, srcOffset, length);
    }

    /**
     * Bulk plain store of the remaining bytes of {@code src} (position to limit); on return the
     * buffer's position equals its limit.
     *
     * @param offset where the byte at the buffer's position lands, from the start of the data area
     * @param src    the source: direct, heap or read-only (a read-only heap buffer is copied first)
     */
    public final void put(final long offset, final ByteBuffer src) {
        BulkCopies.putBuffer(this, offset, src);
    }

    /**
     * Bulk plain store of {@code length} bytes of a Chronicle store from {@code srcOffset}. Native
     * stores are copied directly; heap stores byte by byte.
     *
     * @param offset    where the byte at {@code srcOffset} lands, from the start of the data area
     * @param src       the source store
     * @param srcOffset offset in {@code src} of the first byte to store, in the store's own
     *                  addressing (from {@code src.start()} up)
     * @param length    bytes to store; both ranges are bounds-checked before anything is stored
     */
    public final void put(final long offset, final BytesStore<?, ?> src, final long srcOffset, final long length) {
        BulkCopies.putStore(this, offset, src, srcOffset, length);
    }

    // ------------------------------------------------------------------------------------- reads

    /**
     * Plain load of one byte (through an outbound mapping: a remote read).
     *
     * @param offset the byte's offset from the start of the data area
     * @return the byte at {@code offset}
     */
    public final byte getByte(final long offset) {
        try {
            checkBounds(offset, 1);
            beforeRemoteAccess();
            return link.getByte(this, offset);
        } catch (final InternalError e) {
            throw fault(e, offset, 1);
        }
    }

    /**
     * Plain load of an int; the offset need not be aligned.
     *
     * @param offset first of the 4 bytes, from the start of the data area (any alignment)
     * @return the int at {@code offset}, in native byte order
     */
    public final int getInt(final long offset) {
        try {
            checkBounds(offset, 4);
            beforeRemoteAccess();
            return link.getInt(this, offset);
        } catch (final InternalError e) {
            throw fault(e, offset, 4);
        }
    }

    /**
     * Plain load of a long; the offset need not be aligned.
     *
     * @param offset first of the 8 bytes, from the start of the data area (any alignment)
     * @return the long at {@code offset}, in native byte order
     */
    public final long getLong(final long offset) {
        try {
            checkBounds(offset, 8);
            beforeRemoteAccess();
            return link.getLong(this, offset);
        } catch (final InternalError e) {
            throw fault(e, offset, 8);
        }
    }

    /**
     * Load-acquire of a long at an 8-byte-aligned offset: later loads and stores of this thread come after
     * it (it pairs with another thread's {@link #putLongRelease}); implemented as a volatile load.
     *
     * @param offset first of the 8 bytes, from the start of the data area; a multiple of 8
     * @return the long at {@code offset}, in native byte order
     */
    public final long getLongAcquire(final long offset) {
        try {
            checkBounds(offset, 8);
            checkAligned(offset);
            beforeRemoteAccess();
            return link == SameHostLink.INSTANCE ? SameHostLink.loadVolatile(dataAddress + offset)
                : link.getLongVolatile(this, offset);
        } catch (final InternalError e) {
            throw fault(e, offset, 8);
        }
    }

    /**
     * Volatile load of a long at an 8-byte-aligned offset (as {@link #getLongAcquire}, which is one).
     *
     * @param offset as for {@link #getLongAcquire}
     * @return the long at {@code offset}
     * @deprecated use {@link #getLongAcquire}, the pair of {@link #putLongRelease}
     */
    @Deprecated
    public final long getLongVolatile(final long offset) {
        return getLongAcquire(offset);
    }

    /**
     * Bulk plain load into {@code dst[dstOffset .. dstOffset+length)}.
     *
     * @param offset    first byte to read, from the start of the data area
     * @param dst       the destination array
     * @param dstOffset index in {@code dst} where the first byte read goes
     * @param length    bytes to read; both ranges are bounds-checked before anything is read
     */
    public final void get(final long offset, final byte[] dst, final int dstOffset, final int length) {
        BulkCopies.getArray(this, offset, dst, dstOffset, length);
    }

    /**
     * Bulk plain load filling the remaining bytes of {@code dst}; its position advances to its limit.
     *
     * @param offset first byte to read (it goes to the buffer's position), from the start of the data
     *               area
     * @param dst    the destination, direct or heap; {@code dst.remaining()} bytes are read
     * @throws IllegalArgumentException if {@code dst} is read-only (nothing is read)
     */
    public final void get(final long offset, final ByteBuffer dst) {
        BulkCopies.getBuffer(this, offset, dst);
    }

    /**
     * Bulk plain load into a Chronicle store at {@code dstOffset}. Native stores are copied into
     * directly; heap stores byte by byte.
     *
     * @param offset    first byte to read, from the start of the data area
     * @param dst       the destination store
     * @param dstOffset offset in {@code dst} where the first byte read goes, in the store's own
     *                  addressing (from {@code dst.start()} up)
     * @param length    bytes to read; both ranges are bounds-checked before anything is read
     */
    public final void get(final long offset, final BytesStore<?, ?> dst, final long dstOffset, final long length) {
        BulkCopies.getStore(this, offset, dst, dstOffset, length);
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
     * @return the absolute native address of byte {@code offset} of the data area
     * @throws UnsupportedOperationException if the region is another host's (it has no local memory)
     */
    public final long address(final long offset, final long length) {
        checkBounds(offset, length);
        if (file.isDetached()) {
            throw MappedRegion.noLocalMemory(describe());
        }
        return dataAddress + offset;
    }

    /** {@return bytes in the region's sidecar (0 if it has none); see {@link RegionLayout}} */
    public final long sidecarSize() {
        return sidecarSize;
    }

    /**
     * The absolute address of the region's sidecar: memory after the data area that layers above the
     * NIC keep their per-region structures in (the Tripwire unit's table). Same caveats as
     * {@link #address(long, long)}: not checked, not snooped, valid until this mapping closes.
     *
     * @return the absolute native address of the sidecar's first byte; it spans
     *         {@link #sidecarSize()} bytes
     * @throws IllegalStateException if the region has no sidecar
     * @throws UnsupportedOperationException if the region is another host's (it has no local memory)
     * @throws ClosedException       if this mapping is closed
     */
    public final long sidecarAddress() {
        checkBounds(0, 0);
        if (sidecarSize == 0) {
            throw file.isDetached() ? MappedRegion.noLocalMemory(describe()) : new IllegalStateException(describe() + " has no sidecar");
        }
        return headerAddress + RegionLayout.sidecarOffset(size);
    }

    // --------------------------------------------------------------------------------- lifecycle

    /**
     * Keeps the memory of this mapping mapped until {@link #release()}, even if {@link #close()} is
     * called meanwhile by another thread: a layer whose threads may still be inside this memory when
     * it is closed under them (a connection when its endpoint closes) holds it, so a late access reads
     * or writes memory that is still there instead of crashing the JVM. Holding does not keep the
     * mapping open: checked accesses fail with {@link ClosedException} once it is closed; raw addresses
     * taken earlier ({@link #address}, {@link #sidecarAddress}) stay valid until the last release.
     *
     * @return {@code true} if the hold was taken (pair it with one {@link #release()}); {@code false} if
     *         this mapping is already closed (nothing to release)
     */
    public final boolean retain() {
        return holds.retain();
    }

    /**
     * Drops one hold taken by {@link #retain()}; the last one unmaps the memory if the mapping was
     * closed meanwhile.
     *
     * @throws IllegalStateException if no hold is taken
     */
    public final void release() {
        holds.release();
    }

    /**
     * Closes this mapping: later accesses throw {@link ClosedException}, and the memory is unmapped now,
     * or by the last {@link #release()} if a holder still has it. Idempotent. Subclasses add what
     * closing means for them (an inbound mapping also removes the region). Touches no mapped memory, so
     * it is safe after the file was cut from outside.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        limit = -1;
        FaultTraces.closed(this);
        holds.close();
    }

    @Override
    public String toString() {
        return describe() + ", " + size + " bytes via " + link.describe();
    }
}
