package org.softclan.dsm;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;

/**
 * The link for regions on this host: every operation is a load or store on the shared mapping of
 * the region's file, so a write is visible to the owner with no copy and no system call.
 */
public final class SameHostLink implements Link {
    /** The one instance; it holds no state. */
    public static final SameHostLink INSTANCE = new SameHostLink();

    private SameHostLink() {
    }

    @Override
    public String describe() {
        return "same-host";
    }

    @Override
    public boolean isSameHost() {
        return true;
    }

    @Override
    public void putByte(final Mapping target, final long offset, final byte value) {
        UNSAFE.putByte(target.dataAddress + offset, value);
    }

    @Override
    public void putInt(final Mapping target, final long offset, final int value) {
        UNSAFE.putInt(target.dataAddress + offset, value);
    }

    @Override
    public void putLong(final Mapping target, final long offset, final long value) {
        UNSAFE.putLong(target.dataAddress + offset, value);
    }

    @Override
    public void putLongOrdered(final Mapping target, final long offset, final long value) {
        UNSAFE.putOrderedLong(null, target.dataAddress + offset, value);
    }

    @Override
    public void putLongVolatile(final Mapping target, final long offset, final long value) {
        UNSAFE.putLongVolatile(null, target.dataAddress + offset, value);
    }

    @Override
    public boolean compareAndSetLong(final Mapping target, final long offset, final long expected,
                                     final long update) {
        return UNSAFE.compareAndSwapLong(null, target.dataAddress + offset, expected, update);
    }

    @Override
    public long getAndAddLong(final Mapping target, final long offset, final long delta) {
        return UNSAFE.getAndAddLong(null, target.dataAddress + offset, delta);
    }

    @Override
    public void write(final Mapping target, final long offset, final Object srcBase, final long srcOffset,
                      final long length) {
        UnsafeAccess.copy(srcBase, srcOffset, null, target.dataAddress + offset, length);
    }

    @Override
    public byte getByte(final Mapping target, final long offset) {
        return UNSAFE.getByte(target.dataAddress + offset);
    }

    @Override
    public int getInt(final Mapping target, final long offset) {
        return UNSAFE.getInt(target.dataAddress + offset);
    }

    @Override
    public long getLong(final Mapping target, final long offset) {
        return UNSAFE.getLong(target.dataAddress + offset);
    }

    @Override
    public long getLongVolatile(final Mapping target, final long offset) {
        return UNSAFE.getLongVolatile(null, target.dataAddress + offset);
    }

    @Override
    public void read(final Mapping target, final long offset, final Object dstBase, final long dstOffset,
                     final long length) {
        UnsafeAccess.copy(null, target.dataAddress + offset, dstBase, dstOffset, length);
    }

    // The same stores and loads by absolute address: Mapping's same-host fast path calls these directly
    // (a static call, inlined), so the raw access stays in this class without an interface call.

    static void storePlain(final long address, final long value) {
        UNSAFE.putLong(address, value);
    }

    static void storeRelease(final long address, final long value) {
        UNSAFE.putOrderedLong(null, address, value);
    }

    static void storeVolatile(final long address, final long value) {
        UNSAFE.putLongVolatile(null, address, value);
    }

    static long loadVolatile(final long address) {
        return UNSAFE.getLongVolatile(null, address);
    }
}
