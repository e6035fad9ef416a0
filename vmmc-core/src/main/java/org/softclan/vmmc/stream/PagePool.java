package org.softclan.vmmc.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The registered page memory of a stream's {@link Page}s ({@link SendTechnique#PAGE_EXCHANGE}): memory
 * a page left is retired until no transfer reads it any more, then kept free for the next page of
 * its size (at most 16 free ones are kept).
 *
 * <p><b>Lock</b>: the pool guards itself (its free list is the lock); any thread that writes or
 * closes a page takes it, and the writer takes it after the write lock when the stream closes.
 */
final class PagePool {
    private final StreamEnd end;
    private final ArrayDeque<PageMemory> freePages = new ArrayDeque<>();
    private final ArrayList<PageMemory> retiredPages = new ArrayList<>();
    private final AtomicLong pageDuplications = new AtomicLong();

    /**
     * @param end the stream's shared state
     */
    PagePool(final StreamEnd end) {
        this.end = end;
    }

    /**
     * As {@link ByteStream#newPage}: a page over memory from this pool.
     *
     * @param capacity bytes
     * @return the page, zero-filled if its memory is newly allocated
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    Page newPage(final int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("page capacity " + capacity + " must be positive");
        }
        return new Page(this, acquire(capacity));
    }

    /**
     * {@return page memory of {@code capacity} bytes: a free one that no transfer reads any more, or a
     * new registration}
     */
    PageMemory acquire(final int capacity) {
        synchronized (freePages) {
            for (int i = retiredPages.size() - 1; i >= 0; i--) {
                final PageMemory m = retiredPages.get(i);
                if (!m.inFlight()) {
                    retiredPages.remove(i);
                    freePages.add(m);
                }
            }
            for (final PageMemory m : freePages) {
                if (m.capacity == capacity) {
                    freePages.remove(m);
                    return m;
                }
            }
        }
        return new PageMemory(end.endpoint, capacity);
    }

    /** Takes back memory a page left (deregistered at once if the stream is closed). */
    void retire(final PageMemory m) {
        synchronized (freePages) {
            if (end.closed) {
                m.memory.close();
                return;
            }
            retiredPages.add(m);
            while (freePages.size() > 16) {
                freePages.poll().memory.close();
            }
        }
    }

    /** Counts a page write that found its page in flight and duplicated it. */
    void countDuplication() {
        pageDuplications.incrementAndGet();
    }

    /** {@return how often page writes found their page in flight and duplicated it} */
    long duplications() {
        return pageDuplications.get();
    }

    /** Empties the pool on close, adding every registration it held to {@code toClose}. */
    void drainInto(final List<AutoCloseable> toClose) {
        synchronized (freePages) {
            for (final PageMemory m : freePages) {
                toClose.add(m.memory);
            }
            for (final PageMemory m : retiredPages) {
                toClose.add(m.memory);
            }
            freePages.clear();
            retiredPages.clear();
        }
    }

    @Override
    public String toString() {
        return "page pool of " + end;
    }
}
