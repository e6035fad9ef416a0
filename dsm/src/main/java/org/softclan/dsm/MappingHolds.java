package org.softclan.dsm;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The holds on one {@link Mapping}'s memory ({@link Mapping#retain()}): the memory is unmapped once the
 * mapping is closed and no holder is left, exactly once, by whichever of close and the last release
 * comes last.
 *
 * <p>One atomic word: bit 0 is set by close, the bits above count holders (two per hold). A hold is
 * refused once bit 0 is set, so the count can only fall after close, and the call that takes it to
 * "closed, no holder" unmaps (a second flag keeps that to once, whatever the interleaving).
 */
final class MappingHolds {
    private final AtomicInteger word = new AtomicInteger();
    private final AtomicBoolean unmapped = new AtomicBoolean();
    private final MappedRegion file;
    private final Supplier<String> describe;

    MappingHolds(final MappedRegion file, final Supplier<String> describe) {
        this.file = file;
        this.describe = describe;
    }

    /** @return whether a hold was taken; false once closed */
    boolean retain() {
        for (;;) {
            final int w = word.get();
            if ((w & 1) != 0) {
                return false;
            }
            if (w >= Integer.MAX_VALUE - 1) {
                throw new IllegalStateException(describe.get() + ": too many holds");
            }
            if (word.compareAndSet(w, w + 2)) {
                return true;
            }
        }
    }

    /** Drops a hold; the last one after close unmaps. */
    void release() {
        for (;;) {
            final int w = word.get();
            if (w < 2) {
                throw new IllegalStateException(describe.get() + ": released more often than retained");
            }
            if (word.compareAndSet(w, w - 2)) {
                if (w - 2 == 1) {
                    unmapOnce();
                }
                return;
            }
        }
    }

    /** Marks the mapping closed; unmaps now if no holder is left. */
    void close() {
        if (word.getAndUpdate(w -> w | 1) == 0) {
            unmapOnce();
        }
    }

    private void unmapOnce() {
        if (unmapped.compareAndSet(false, true)) {
            file.unmap();
        }
    }
}
