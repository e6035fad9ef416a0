package org.softclan.dsm;

import java.util.concurrent.atomic.AtomicLong;

/** A {@link DmaEngine}'s statistics: commands issued and how they ended, bytes moved each way. */
final class DmaCounts {
    final AtomicLong issued = new AtomicLong();
    final AtomicLong completed = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong bytesWritten = new AtomicLong();
    final AtomicLong bytesRead = new AtomicLong();

    /** Counts a command's end: failed, or completed with its bytes (a read's as read, others as written). */
    void count(final DmaTransfer t, final Throwable failure) {
        if (failure != null) {
            failed.incrementAndGet();
        } else {
            completed.incrementAndGet();
            (t.type == DmaTransfer.Type.READ ? bytesRead : bytesWritten).addAndGet(t.length);
        }
    }
}
