package org.softclan.vmmc.stream;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A send page for {@link SendTechnique#PAGE_EXCHANGE}: registered memory that
 * {@link ByteStream#send(Page, int, int)} moves by DMA without a copy, with classical semantics
 * through software copy-on-write. Every write method first checks whether a send of this page is still
 * in flight; if so the page is <em>duplicated</em>: the in-flight transfer keeps reading the old
 * memory, which goes back to the stream's pool once that transfer ended, and this page continues on a
 * fresh copy. So bytes handed to a send are never changed by later writes and the page may be written
 * again as soon as {@code send} returns. Reading never duplicates.
 *
 * <p>Made by {@link ByteStream#newPage(int)}; used by one thread at a time. {@link #close()} returns
 * its memory to the stream's pool (after any transfer still reading it).
 */
public final class Page implements AutoCloseable {
    private final PagePool pool;
    private PageMemory mem;
    private long duplications;

    Page(final PagePool pool, final PageMemory mem) {
        this.pool = pool;
        this.mem = mem;
    }

    /** {@return the page's capacity, in bytes} */
    public int capacity() {
        return mem.capacity;
    }

    /** {@return whether a send of this page is still being moved (a write now would duplicate it)} */
    public boolean inFlight() {
        return mem.inFlight();
    }

    /** {@return how often writes to this page found it in flight and duplicated it} */
    public long duplications() {
        return duplications;
    }

    PageMemory memory() {
        checkOpen();
        return mem;
    }

    private void checkOpen() {
        if (mem == null) {
            throw new IllegalStateException("page is closed");
        }
    }

    private void beforeWrite(final int index, final int length) {
        checkOpen();
        Objects.checkFromIndexSize(index, length, mem.capacity);
        if (mem.inFlight()) {
            final PageMemory copy = pool.acquire(mem.capacity);
            copy.buffer.put(0, mem.buffer, 0, mem.capacity);
            pool.retire(mem);
            mem = copy;
            duplications++;
            pool.countDuplication();
        }
    }

    /**
     * Copies {@code length} bytes of {@code src} from {@code offset} to {@code index} (duplicating first
     * if in flight).
     *
     * @param index  where the first byte goes in the page
     * @param src    the array copied from
     * @param offset the first byte of {@code src} to copy
     * @param length bytes to copy
     * @return this
     * @throws IndexOutOfBoundsException if the range is outside {@code src} or the page (nothing is written)
     * @throws IllegalStateException     if the page is closed
     */
    public Page put(final int index, final byte[] src, final int offset, final int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        beforeWrite(index, length);
        mem.buffer.put(index, src, offset, length);
        return this;
    }

    /**
     * Copies the remaining bytes of {@code src} to {@code index} (duplicating first if in flight);
     * {@code src}'s position advances to its limit.
     *
     * @param index where the first byte goes in the page
     * @param src   the buffer copied from, from its position to its limit
     * @return this
     * @throws IndexOutOfBoundsException if the bytes do not fit the page from {@code index} (nothing is written)
     * @throws IllegalStateException     if the page is closed
     */
    public Page put(final int index, final ByteBuffer src) {
        final int length = src.remaining();
        beforeWrite(index, length);
        mem.buffer.put(index, src, src.position(), length);
        src.position(src.limit());
        return this;
    }

    /**
     * Stores one byte (duplicating first if in flight).
     *
     * @param index the byte's offset in the page
     * @param value the byte to store
     * @return this
     * @throws IndexOutOfBoundsException if {@code index} is outside the page
     * @throws IllegalStateException     if the page is closed
     */
    public Page putByte(final int index, final byte value) {
        beforeWrite(index, 1);
        mem.buffer.put(index, value);
        return this;
    }

    /**
     * Stores a long, native byte order (duplicating first if in flight); {@code index} need not be
     * aligned.
     *
     * @param index the offset of the long's first byte in the page
     * @param value the 8 bytes to store, in native byte order
     * @return this
     * @throws IndexOutOfBoundsException if the 8 bytes are not all inside the page
     * @throws IllegalStateException     if the page is closed
     */
    public Page putLong(final int index, final long value) {
        beforeWrite(index, 8);
        mem.buffer.putLong(index, value);   // the buffer is in native order
        return this;
    }

    /**
     * Reads one byte (never duplicates).
     *
     * @param index the byte's offset in the page
     * @return the byte at {@code index}
     * @throws IndexOutOfBoundsException if {@code index} is outside the page
     * @throws IllegalStateException     if the page is closed
     */
    public byte getByte(final int index) {
        checkOpen();
        Objects.checkIndex(index, mem.capacity);
        return mem.buffer.get(index);
    }

    /**
     * Copies {@code length} bytes from {@code index} into {@code dst} at {@code offset} (never duplicates).
     *
     * @param index  the first byte to copy, from the start of the page
     * @param dst    the array copied into
     * @param offset where the first byte goes in {@code dst}
     * @param length bytes to copy
     * @throws IndexOutOfBoundsException if the range is outside the page or {@code dst}
     * @throws IllegalStateException     if the page is closed
     */
    public void get(final int index, final byte[] dst, final int offset, final int length) {
        checkOpen();
        Objects.checkFromIndexSize(index, length, mem.capacity);
        Objects.checkFromIndexSize(offset, length, dst.length);
        mem.buffer.get(index, dst, offset, length);
    }

    /**
     * Views the page's memory without a copy.
     *
     * @return a read-only view of the page's current memory (a later duplication moves the page off it)
     * @throws IllegalStateException if the page is closed
     */
    public ByteBuffer asReadOnlyBuffer() {
        checkOpen();
        return mem.buffer.asReadOnlyBuffer();
    }

    /** Returns the memory to the stream's pool once no transfer reads it. Idempotent. */
    @Override
    public void close() {
        if (mem != null) {
            pool.retire(mem);
            mem = null;
        }
    }

    @Override
    public String toString() {
        return mem == null ? "closed page" : "page of " + mem.capacity + " bytes" + (mem.inFlight() ? ", in flight" : "")
            + ", " + duplications + " duplications";
    }
}
