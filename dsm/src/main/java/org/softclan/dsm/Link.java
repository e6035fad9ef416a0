package org.softclan.dsm;

/**
 * How the NIC write path reaches the memory of a region: stores (single words and bursts), remote
 * reads, and remote atomics. Offsets are from the start of the target mapping's data area and have
 * already been bounds-checked by the caller; source and destination buffers are given as a
 * {@code (base, offset)} pair where a {@code null} base means an absolute native address.
 *
 * <p>The same-host link ({@link SameHostLink}) stores straight into the shared mapping. A network link
 * carries bursts to the owning host's NIC agent, which stores them and snoops them there; it reports
 * {@link #isSameHost()} {@code false} and makes remote reads and atomics round trips.
 *
 * <p>Memory order: each method states the order it gives on the target memory. A link must keep the
 * stores of one initiator thread in program order as seen by the owner.
 */
public interface Link {
    /**
     * Where a {@code byte[]}'s first element is in the {@code (base, offset)} pairs of this interface: the
     * source offset of {@code array[i]} is {@code BYTE_ARRAY_BASE + i}.
     */
    long BYTE_ARRAY_BASE = UnsafeAccess.BYTE_ARRAY_BASE;

    /**
     * Plain copy of {@code length} bytes between two {@code (base, offset)} pairs of this interface (each an
     * array and its offset with {@link #BYTE_ARRAY_BASE} included, or {@code null} and a native address), in
     * slices of 1 MiB so that a long copy lets the JVM reach a safepoint. For a link's implementation moving
     * bytes between a caller's pair and its own message buffers; no bounds are checked: the caller checked
     * both ranges.
     *
     * @param srcBase   the source array, or {@code null}
     * @param srcOffset the source's first byte
     * @param dstBase   the destination array, or {@code null}
     * @param dstOffset the destination's first byte
     * @param length    bytes to copy, not negative
     */
    static void copy(final Object srcBase, final long srcOffset, final Object dstBase, final long dstOffset,
                     final long length) {
        UnsafeAccess.copy(srcBase, srcOffset, dstBase, dstOffset, length);
    }

    /** {@return a short description for messages, e.g. {@code "same-host"}} */
    String describe();

    /** {@return {@code true} when stores land directly in memory mapped by this process} */
    boolean isSameHost();

    /**
     * Plain store of one byte.
     *
     * @param target the mapping whose data area is accessed
     * @param offset first byte, from the start of the target's data area (already bounds-checked)
     * @param value  the byte to store
     */
    void putByte(Mapping target, long offset, byte value);

    /**
     * Plain store of an int (may be unaligned).
     *
     * @param target the mapping whose data area is accessed
     * @param offset first byte, from the start of the target's data area (already bounds-checked)
     * @param value  the 4 bytes to store, in native byte order
     */
    void putInt(Mapping target, long offset, int value);

    /**
     * Plain store of a long (may be unaligned).
     *
     * @param target the mapping whose data area is accessed
     * @param offset first byte, from the start of the target's data area (already bounds-checked)
     * @param value  the 8 bytes to store, in native byte order
     */
    void putLong(Mapping target, long offset, long value);

    /**
     * Release (ordered) store of an aligned long: earlier stores are visible before it.
     *
     * @param target the mapping whose data area is accessed
     * @param offset first byte, from the start of the target's data area (already bounds-checked and
     *               8-byte aligned)
     * @param value  the 8 bytes to store, in native byte order
     */
    void putLongOrdered(Mapping target, long offset, long value);

    /**
     * Volatile (sequentially consistent) store of an aligned long.
     *
     * @param target the mapping whose data area is accessed
     * @param offset first byte, from the start of the target's data area (already bounds-checked and
     *               8-byte aligned)
     * @param value  the 8 bytes to store, in native byte order
     */
    void putLongVolatile(Mapping target, long offset, long value);

    /**
     * Atomic compare-and-set of an aligned long, with volatile semantics.
     *
     * @param target   the mapping whose data area is accessed
     * @param offset   first byte, from the start of the target's data area (already bounds-checked and
     *                 8-byte aligned)
     * @param expected the value the word must hold for the store to happen
     * @param update   the value stored if it did
     * @return whether the word held {@code expected} and now holds {@code update}
     */
    boolean compareAndSetLong(Mapping target, long offset, long expected, long update);

    /**
     * Atomic get-and-add of an aligned long, with volatile semantics.
     *
     * @param target the mapping whose data area is accessed
     * @param offset first byte, from the start of the target's data area (already bounds-checked and
     *               8-byte aligned)
     * @param delta  the amount added to the word (two's-complement, wrapping on overflow)
     * @return the word's value before the addition
     */
    long getAndAddLong(Mapping target, long offset, long delta);

    /**
     * A burst: plain stores of {@code length} bytes from {@code (srcBase, srcOffset)}.
     *
     * @param target    the mapping whose data area is accessed
     * @param offset    first byte, from the start of the target's data area (already bounds-checked)
     * @param srcBase   the source array, or {@code null} if {@code srcOffset} is an absolute native
     *                  address
     * @param srcOffset the source's first byte: an array offset as Unsafe counts it (array base
     *                  included), or the native address
     * @param length    bytes to store
     */
    void write(Mapping target, long offset, Object srcBase, long srcOffset, long length);

    /**
     * Plain load of one byte.
     *
     * @param target the mapping whose data area is accessed
     * @param offset first byte, from the start of the target's data area (already bounds-checked)
     * @return the byte at {@code offset}
     */
    byte getByte(Mapping target, long offset);

    /**
     * Plain load of an int (may be unaligned).
     *
     * @param target the mapping whose data area is accessed
     * @param offset first byte, from the start of the target's data area (already bounds-checked)
     * @return the 4 bytes at {@code offset}, in native byte order
     */
    int getInt(Mapping target, long offset);

    /**
     * Plain load of a long (may be unaligned).
     *
     * @param target the mapping whose data area is accessed
     * @param offset first byte, from the start of the target's data area (already bounds-checked)
     * @return the 8 bytes at {@code offset}, in native byte order
     */
    long getLong(Mapping target, long offset);

    /**
     * Volatile (acquire or stronger) load of an aligned long.
     *
     * @param target the mapping whose data area is accessed
     * @param offset first byte, from the start of the target's data area (already bounds-checked and
     *               8-byte aligned)
     * @return the 8 bytes at {@code offset}, in native byte order
     */
    long getLongVolatile(Mapping target, long offset);

    /**
     * A remote read of {@code length} bytes into {@code (dstBase, dstOffset)}, plain loads.
     *
     * @param target    the mapping whose data area is accessed
     * @param offset    first byte, from the start of the target's data area (already bounds-checked)
     * @param dstBase   the destination array, or {@code null} if {@code dstOffset} is an absolute
     *                  native address
     * @param dstOffset the destination's first byte: an array offset as Unsafe counts it (array base
     *                  included), or the native address
     * @param length    bytes to read
     */
    void read(Mapping target, long offset, Object dstBase, long dstOffset, long length);
}
