package org.softclan.dsm;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;

import java.lang.invoke.VarHandle;

/**
 * A window on memory that other processes may write and that does not pass the NIC: a region's
 * sidecar (its tripwire table), an event queue, the local side of a ring, or a private block. Every
 * structure kept in such memory reads and writes it through one of these, by offset from the window's
 * start, with the memory order in the method's name. {@link Mapping} is the other way in: the NIC's path
 * (bounds, keys, the snoop), with the same names.
 *
 * <h2>Memory order</h2>
 * <table>
 *   <caption>the names, and what they promise</caption>
 *   <tr><th>name</th><th>order</th></tr>
 *   <tr><td>{@code get*} / {@code put*}</td><td>plain: no order with other accesses; may tear
 *       only if misaligned (every field of the structures here is naturally aligned)</td></tr>
 *   <tr><td>{@code get*Acquire}</td><td>acquire: later loads and stores of this thread stay after it
 *       (a load-acquire pairs with another process's store-release of the same word)</td></tr>
 *   <tr><td>{@code put*Release}</td><td>release: earlier loads and stores of this thread stay before
 *       it (the publishing store of a record, after its fields)</td></tr>
 *   <tr><td>{@code get*Volatile} / {@code put*Volatile}</td><td>sequentially consistent with every
 *       other volatile access and atomic (a store-load barrier where a protocol needs one)</td></tr>
 *   <tr><td>{@code compareAndSet*}, {@code getAndAdd*}</td><td>atomic, and a full barrier</td></tr>
 * </table>
 *
 * <p><b>Trust.</b> The window does not check offsets on the hot path: a structure validates every value
 * it read from shared memory before it computes an offset from it (the "never trust shared memory" rule),
 * and only constants and checked values reach these methods. With assertions on (the tests run with
 * {@code -ea}), every access is checked against the window and an offset outside it fails with an
 * {@link AssertionError} naming the window, the offset and the limit.
 *
 * <p><b>Mapping.</b> The window does not own its memory: whoever made it (a mapping, an allocation) must
 * keep that memory mapped while the window is used, and must not use it after unmapping.
 *
 * <p>The class is final so every call inlines to one machine access; tests pin the order of a
 * protocol's accesses with a Mockito mock of it (the inline mock maker mocks final classes).
 *
 * <p>Anchor: Agrona's {@code AtomicBuffer}/{@code UnsafeBuffer} (one flyweight through which all memory
 * is touched, with {@code putLongRelease}/{@code getLongAcquire} as a named pair). Agrona's class was
 * not taken: its bounds checks are per access (or off for the whole JVM), it carries byte-order and
 * string codecs these structures do not need, and it would add a dependency to the {@code dsm} module
 * for one small class.
 */
public final class SharedMemory {
    private final long address;
    private final long length;
    private final String name;

    private SharedMemory(final long address, final long length, final String name) {
        this.address = address;
        this.length = length;
        this.name = name;
    }

    /**
     * A window on memory this process owns at a raw address (an allocation, a mapping it made).
     *
     * @param address the first byte's native address; not 0, a multiple of 8
     * @param length  the window's size in bytes, at least 0
     * @param name    what the memory is, for messages ("sidecar of region 'r'")
     * @return the window
     * @throws IllegalArgumentException if the address is 0 or not 8-byte aligned, or the length negative
     */
    public static SharedMemory wrap(final long address, final long length, final String name) {
        if (address == 0 || (address & 7) != 0) {
            throw new IllegalArgumentException(name + ": address 0x" + Long.toHexString(address)
                + " is null or not 8-byte aligned");
        }
        if (length < 0) {
            throw new IllegalArgumentException(name + ": length " + length + " is negative");
        }
        return new SharedMemory(address, length, name);
    }

    /**
     * A window on part of a mapping's data area (memory this process reaches without the NIC's checks:
     * for structures of its own kept in a region, such as an event queue).
     *
     * @param mapping the mapping; the window is valid while it stays mapped
     * @param offset  where the window starts, in bytes from the start of the data area
     * @param length  its size in bytes
     * @return the window
     * @throws RegionBoundsException if the range does not lie inside the data area
     * @throws ClosedException       if the mapping is closed
     */
    public static SharedMemory of(final Mapping mapping, final long offset, final long length) {
        return new SharedMemory(mapping.address(offset, length), length,
            "region '" + mapping.regionName() + "' at " + offset);
    }

    /**
     * A window on a mapping's whole sidecar (the region's tripwire table).
     *
     * @param mapping the mapping; the window is valid while it stays mapped
     * @return the window, {@link Mapping#sidecarSize()} bytes
     * @throws IllegalStateException if the region has no sidecar
     * @throws ClosedException       if the mapping is closed
     */
    public static SharedMemory sidecarOf(final Mapping mapping) {
        return new SharedMemory(mapping.sidecarAddress(), mapping.sidecarSize(),
            "sidecar of region '" + mapping.regionName() + "'");
    }

    /** {@return the native address of the window's first byte} */
    public long address() {
        return address;
    }

    /** {@return the window's size in bytes} */
    public long length() {
        return length;
    }

    /** {@return what the memory is, as given when the window was made} */
    public String name() {
        return name;
    }

    /**
     * A window on part of this one.
     *
     * @param offset where the part starts, in bytes from this window's start
     * @param length its size in bytes
     * @return the part
     * @throws IndexOutOfBoundsException if the part does not lie inside this window
     */
    public SharedMemory slice(final long offset, final long length) {
        if (offset < 0 || length < 0 || offset > this.length - length) {
            throw new IndexOutOfBoundsException(name + ": slice at " + offset + " of " + length
                + " bytes does not fit in " + this.length + " bytes");
        }
        return new SharedMemory(address + offset, length, name + " + " + offset);
    }

    /**
     * Whether accesses are checked against the window: the JVM's assertion status for this class ({@code -ea}
     * or {@code -ea:org.softclan.dsm.SharedMemory}), read once. A static final the JIT folds: unchecked,
     * the test costs nothing, and each accessor stays small enough to be inlined at any call site (the
     * JIT's limit for calls that are not hot is 35 bytes of bytecode; an {@code assert} statement took an
     * accessor past it).
     */
    private static final boolean CHECKED = SharedMemory.class.desiredAssertionStatus();

    private boolean inside(final long offset, final int size) {
        if (offset < 0 || offset > length - size) {
            throw new AssertionError(name + ": " + size + "-byte access at offset " + offset + " outside "
                + length + " bytes");
        }
        return true;
    }

    private void check(final long offset, final int size) {
        inside(offset, size);
    }

    // ------------------------------------------------------------------------------------ long

    /**
     * {@return the long at {@code offset} (plain load)}
     *
     * @param offset bytes from the window's start
     */
    public long getLong(final long offset) {
        if (CHECKED) {
            check(offset, 8);
        }
        return UNSAFE.getLong(address + offset);
    }

    /**
     * {@return the long at {@code offset} (load-acquire)}
     *
     * @param offset bytes from the window's start
     */
    public long getLongAcquire(final long offset) {
        if (CHECKED) {
            check(offset, 8);
        }
        return UNSAFE.getLongVolatile(null, address + offset);   // sun.misc.Unsafe has no acquire: volatile
    }

    /**
     * {@return the long at {@code offset} (volatile load)}
     *
     * @param offset bytes from the window's start
     */
    public long getLongVolatile(final long offset) {
        if (CHECKED) {
            check(offset, 8);
        }
        return UNSAFE.getLongVolatile(null, address + offset);
    }

    /**
     * Stores {@code value} at {@code offset} (plain).
     *
     * @param offset bytes from the window's start
     * @param value the value
     */
    public void putLong(final long offset, final long value) {
        if (CHECKED) {
            check(offset, 8);
        }
        UNSAFE.putLong(address + offset, value);
    }

    /**
     * Stores {@code value} at {@code offset} (store-release: this thread's earlier accesses come first).
     *
     * @param offset bytes from the window's start
     * @param value  the value
     */
    public void putLongRelease(final long offset, final long value) {
        if (CHECKED) {
            check(offset, 8);
        }
        UNSAFE.putOrderedLong(null, address + offset, value);
    }

    /**
     * Stores {@code value} at {@code offset} (volatile).
     *
     * @param offset bytes from the window's start
     * @param value the value
     */
    public void putLongVolatile(final long offset, final long value) {
        if (CHECKED) {
            check(offset, 8);
        }
        UNSAFE.putLongVolatile(null, address + offset, value);
    }

    /**
     * Atomically sets the long at {@code offset} to {@code value} if it holds {@code expected} (full barrier).
     *
     * @param offset   bytes from the window's start
     * @param expected the value it must hold
     * @param value    the new value
     * @return whether it was set
     */
    public boolean compareAndSetLong(final long offset, final long expected, final long value) {
        if (CHECKED) {
            check(offset, 8);
        }
        return UNSAFE.compareAndSwapLong(null, address + offset, expected, value);
    }

    /**
     * Atomically adds {@code delta} to the long at {@code offset} (full barrier).
     *
     * @param offset bytes from the window's start
     * @param delta  what to add
     * @return the value before the add
     */
    public long getAndAddLong(final long offset, final long delta) {
        if (CHECKED) {
            check(offset, 8);
        }
        return UNSAFE.getAndAddLong(null, address + offset, delta);
    }

    // ------------------------------------------------------------------------------------- int

    /**
     * {@return the int at {@code offset} (plain load)}
     *
     * @param offset bytes from the window's start
     */
    public int getInt(final long offset) {
        if (CHECKED) {
            check(offset, 4);
        }
        return UNSAFE.getInt(address + offset);
    }

    /**
     * {@return the int at {@code offset} (load-acquire)}
     *
     * @param offset bytes from the window's start
     */
    public int getIntAcquire(final long offset) {
        if (CHECKED) {
            check(offset, 4);
        }
        return UNSAFE.getIntVolatile(null, address + offset);
    }

    /**
     * {@return the int at {@code offset} (volatile load)}
     *
     * @param offset bytes from the window's start
     */
    public int getIntVolatile(final long offset) {
        if (CHECKED) {
            check(offset, 4);
        }
        return UNSAFE.getIntVolatile(null, address + offset);
    }

    /**
     * Stores {@code value} at {@code offset} (plain).
     *
     * @param offset bytes from the window's start
     * @param value the value
     */
    public void putInt(final long offset, final int value) {
        if (CHECKED) {
            check(offset, 4);
        }
        UNSAFE.putInt(address + offset, value);
    }

    /**
     * Stores {@code value} at {@code offset} (store-release: this thread's earlier accesses come first).
     *
     * @param offset bytes from the window's start
     * @param value  the value
     */
    public void putIntRelease(final long offset, final int value) {
        if (CHECKED) {
            check(offset, 4);
        }
        UNSAFE.putOrderedInt(null, address + offset, value);
    }

    /**
     * Stores {@code value} at {@code offset} (volatile).
     *
     * @param offset bytes from the window's start
     * @param value the value
     */
    public void putIntVolatile(final long offset, final int value) {
        if (CHECKED) {
            check(offset, 4);
        }
        UNSAFE.putIntVolatile(null, address + offset, value);
    }

    /**
     * Atomically sets the int at {@code offset} to {@code value} if it holds {@code expected} (full barrier).
     *
     * @param offset   bytes from the window's start
     * @param expected the value it must hold
     * @param value    the new value
     * @return whether it was set
     */
    public boolean compareAndSetInt(final long offset, final int expected, final int value) {
        if (CHECKED) {
            check(offset, 4);
        }
        return UNSAFE.compareAndSwapInt(null, address + offset, expected, value);
    }

    /**
     * Atomically adds {@code delta} to the int at {@code offset} (full barrier).
     *
     * @param offset bytes from the window's start
     * @param delta  what to add
     * @return the value before the add
     */
    public int getAndAddInt(final long offset, final int delta) {
        if (CHECKED) {
            check(offset, 4);
        }
        return UNSAFE.getAndAddInt(null, address + offset, delta);
    }

    // ----------------------------------------------------------------------------------- bytes

    /**
     * {@return the byte at {@code offset} (plain load)}
     *
     * @param offset bytes from the window's start
     */
    public byte getByte(final long offset) {
        if (CHECKED) {
            check(offset, 1);
        }
        return UNSAFE.getByte(address + offset);
    }

    /**
     * Stores {@code value} at {@code offset} (plain).
     *
     * @param offset bytes from the window's start
     * @param value the value
     */
    public void putByte(final long offset, final byte value) {
        if (CHECKED) {
            check(offset, 1);
        }
        UNSAFE.putByte(address + offset, value);
    }

    /**
     * Copies bytes out of the window (plain loads).
     *
     * @param offset    where to start, in bytes from the window's start
     * @param dst       where to copy them
     * @param dstOffset the first index of {@code dst} to write
     * @param length    how many bytes
     * @throws IndexOutOfBoundsException if {@code dst} has no room for them
     */
    public void getBytes(final long offset, final byte[] dst, final int dstOffset, final int length) {
        java.util.Objects.checkFromIndexSize(dstOffset, length, dst.length);
        assert length == 0 || inside(offset, length);
        UNSAFE.copyMemory(null, address + offset, dst, UnsafeAccess.BYTE_ARRAY_BASE + dstOffset, length);
    }

    /**
     * Copies bytes into the window (plain stores).
     *
     * @param offset    where to start, in bytes from the window's start
     * @param src       the bytes
     * @param srcOffset the first index of {@code src} to copy
     * @param length    how many bytes
     * @throws IndexOutOfBoundsException if {@code src} holds fewer
     */
    public void putBytes(final long offset, final byte[] src, final int srcOffset, final int length) {
        java.util.Objects.checkFromIndexSize(srcOffset, length, src.length);
        assert length == 0 || inside(offset, length);
        UNSAFE.copyMemory(src, UnsafeAccess.BYTE_ARRAY_BASE + srcOffset, null, address + offset, length);
    }

    /**
     * Copies bytes into the window from native memory this process owns (a direct buffer, an allocation).
     *
     * @param offset     where to start writing, in bytes from the window's start
     * @param srcAddress the absolute address of the first byte to copy; the caller vouches for the range
     * @param length     how many bytes, at least 0
     */
    public void copyFromAddress(final long offset, final long srcAddress, final long length) {
        assert length == 0 || length > 0 && inside(offset, 1) && inside(offset + length - 1, 1);
        UnsafeAccess.copy(null, srcAddress, null, address + offset, length);
    }

    /**
     * Copies bytes out of the window into native memory this process owns.
     *
     * @param offset     where to start reading, in bytes from the window's start
     * @param dstAddress the absolute address the first byte goes to; the caller vouches for the range
     * @param length     how many bytes, at least 0
     */
    public void copyToAddress(final long offset, final long dstAddress, final long length) {
        assert length == 0 || length > 0 && inside(offset, 1) && inside(offset + length - 1, 1);
        UnsafeAccess.copy(null, address + offset, null, dstAddress, length);
    }

    /**
     * Sets {@code length} bytes from {@code offset} to {@code value} (plain stores).
     *
     * @param offset where to start, in bytes from the window's start
     * @param length how many bytes
     * @param value  the byte to store
     */
    public void setMemory(final long offset, final long length, final byte value) {
        assert length == 0 || length > 0 && inside(offset, 1) && inside(offset + length - 1, 1);
        UNSAFE.setMemory(address + offset, length, value);
    }

    // ------------------------------------------------------------------------- absolute addresses

    // A hot loop (an event queue's post and poll) that makes several accesses between volatile ones pays,
    // with the instance methods, a reload of the window's address after each of them: the JIT does not
    // trust a final instance field across an acquire. These take an absolute address the loop computed
    // from address() once, kept in a register. They are not checked, even with assertions on: the caller
    // owns the bounds (only constants and masked values reach them).

    /**
     * A plain load of 8 bytes at an absolute address.
     *
     * @param address the native address ({@link #address()} plus an offset inside the window)
     * @return the value
     */
    public static long getLongAt(final long address) {
        return UNSAFE.getLong(address);
    }

    /**
     * A load-acquire of 8 bytes at an absolute address (see {@link #getLongAcquire}).
     *
     * @param address the native address ({@link #address()} plus an offset inside the window)
     * @return the value
     */
    public static long getLongAcquireAt(final long address) {
        return UNSAFE.getLongVolatile(null, address);
    }

    /**
     * A volatile load of 8 bytes at an absolute address (see {@link #getLongVolatile}).
     *
     * @param address the native address ({@link #address()} plus an offset inside the window)
     * @return the value
     */
    public static long getLongVolatileAt(final long address) {
        return UNSAFE.getLongVolatile(null, address);
    }

    /**
     * A plain store of 8 bytes at an absolute address.
     *
     * @param address the native address ({@link #address()} plus an offset inside the window)
     * @param value   the value
     */
    public static void putLongAt(final long address, final long value) {
        UNSAFE.putLong(address, value);
    }

    /**
     * A store-release of 8 bytes at an absolute address (see {@link #putLongRelease}).
     *
     * @param address the native address ({@link #address()} plus an offset inside the window)
     * @param value   the value
     */
    public static void putLongReleaseAt(final long address, final long value) {
        UNSAFE.putOrderedLong(null, address, value);
    }

    /**
     * A volatile store of 8 bytes at an absolute address (see {@link #putLongVolatile}).
     *
     * @param address the native address ({@link #address()} plus an offset inside the window)
     * @param value   the value
     */
    public static void putLongVolatileAt(final long address, final long value) {
        UNSAFE.putLongVolatile(null, address, value);
    }

    /**
     * An atomic compare-and-set of 8 bytes at an absolute address (see {@link #compareAndSetLong}).
     *
     * @param address  the native address ({@link #address()} plus an offset inside the window)
     * @param expected the value the word must hold
     * @param value    the value to store if it does
     * @return whether the word held {@code expected} and now holds {@code value}
     */
    public static boolean compareAndSetLongAt(final long address, final long expected, final long value) {
        return UNSAFE.compareAndSwapLong(null, address, expected, value);
    }

    /**
     * A volatile load of 4 bytes at an absolute address (see {@link #getIntVolatile}).
     *
     * @param address the native address ({@link #address()} plus an offset inside the window)
     * @return the value
     */
    public static int getIntVolatileAt(final long address) {
        return UNSAFE.getIntVolatile(null, address);
    }

    /**
     * An atomic add to 8 bytes at an absolute address (see {@link #getAndAddLong}).
     *
     * @param address the native address ({@link #address()} plus an offset inside the window)
     * @param delta   the amount to add
     * @return the value before the add
     */
    public static long getAndAddLongAt(final long address, final long delta) {
        return UNSAFE.getAndAddLong(null, address, delta);
    }

    /**
     * A plain load of 4 bytes at an absolute address.
     *
     * @param address the native address ({@link #address()} plus an offset inside the window)
     * @return the value
     */
    public static int getIntAt(final long address) {
        return UNSAFE.getInt(address);
    }

    /**
     * An atomic compare-and-set of 4 bytes at an absolute address (see {@link #compareAndSetInt}).
     *
     * @param address  the native address ({@link #address()} plus an offset inside the window)
     * @param expected the value the word must hold
     * @param value    the value to store if it does
     * @return whether the word held {@code expected} and now holds {@code value}
     */
    public static boolean compareAndSetIntAt(final long address, final int expected, final int value) {
        return UNSAFE.compareAndSwapInt(null, address, expected, value);
    }

    // ---------------------------------------------------------------------------------- fences

    /** Loads before it stay before later loads and stores (an acquire fence; {@link VarHandle#acquireFence}). */
    public static void acquireFence() {
        VarHandle.acquireFence();
    }

    /** Loads and stores before it stay before later stores (a release fence; {@link VarHandle#releaseFence}). */
    public static void releaseFence() {
        VarHandle.releaseFence();
    }

    /** No access crosses it (a full fence; {@link VarHandle#fullFence}). */
    public static void fullFence() {
        VarHandle.fullFence();
    }

    @Override
    public String toString() {
        return name + " (" + length + " bytes at 0x" + Long.toHexString(address) + ")";
    }
}
