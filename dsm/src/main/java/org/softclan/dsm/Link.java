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
    /** @return a short description for messages, e.g. {@code "same-host"} */
    String describe();

    /** @return {@code true} when stores land directly in memory mapped by this process */
    boolean isSameHost();

    /** Plain store of one byte. */
    void putByte(Mapping target, long offset, byte value);

    /** Plain store of an int (may be unaligned). */
    void putInt(Mapping target, long offset, int value);

    /** Plain store of a long (may be unaligned). */
    void putLong(Mapping target, long offset, long value);

    /** Release (ordered) store of an aligned long: earlier stores are visible before it. */
    void putLongOrdered(Mapping target, long offset, long value);

    /** Volatile (sequentially consistent) store of an aligned long. */
    void putLongVolatile(Mapping target, long offset, long value);

    /** Atomic compare-and-set of an aligned long, with volatile semantics. */
    boolean compareAndSetLong(Mapping target, long offset, long expected, long update);

    /** Atomic get-and-add of an aligned long, with volatile semantics. */
    long getAndAddLong(Mapping target, long offset, long delta);

    /** A burst: plain stores of {@code length} bytes from {@code (srcBase, srcOffset)}. */
    void write(Mapping target, long offset, Object srcBase, long srcOffset, long length);

    /** Plain load of one byte. */
    byte getByte(Mapping target, long offset);

    /** Plain load of an int (may be unaligned). */
    int getInt(Mapping target, long offset);

    /** Plain load of a long (may be unaligned). */
    long getLong(Mapping target, long offset);

    /** Volatile (acquire or stronger) load of an aligned long. */
    long getLongVolatile(Mapping target, long offset);

    /** A remote read of {@code length} bytes into {@code (dstBase, dstOffset)}, plain loads. */
    void read(Mapping target, long offset, Object dstBase, long dstOffset, long length);
}
