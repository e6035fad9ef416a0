package org.softclan.vmmc;

/**
 * The records of a ring that handlers {@linkplain Connection#hold() hold}, oldest first: a ring of
 * (start, released) pairs in two arrays, so holding and releasing allocate nothing once the arrays have
 * grown to the most records held at once (they double when full, starting at 16). Not thread-safe: its
 * owner ({@link RingReceiver}) guards it with the instance's monitor.
 */
final class HeldRecords {
    private long[] starts = new long[16];
    private boolean[] released = new boolean[16];
    /** Index of the oldest entry. */
    private int head;
    /** Entries in the ring, released or not. */
    private int size;
    /** Entries not yet released. */
    private int unreleased;

    /** {@return whether no record is held or waiting behind an older held one} */
    boolean isEmpty() {
        return size == 0;
    }

    /** {@return the start of the oldest record still in the ring (held, or released behind a held one)} */
    long oldestStart() {
        return starts[head];
    }

    /** {@return records held and not yet released} */
    int unreleased() {
        return unreleased;
    }

    /**
     * Adds a held record, the newest.
     *
     * @param start its position in the ring (the hold's token)
     */
    void add(final long start) {
        if (size == starts.length) {
            grow();
        }
        final int i = (head + size) & (starts.length - 1);
        starts[i] = start;
        released[i] = false;
        size++;
        unreleased++;
    }

    /**
     * Marks the record that starts at {@code start} released, then drops the released records at the
     * ring's head (the sender may reuse their space once no older record is held).
     *
     * @param start the hold's token
     * @return whether such a record was held (false: never held, or released already)
     */
    boolean release(final long start) {
        final int mask = starts.length - 1;
        for (int k = 0; k < size; k++) {
            final int i = (head + k) & mask;
            if (starts[i] == start && !released[i]) {
                released[i] = true;
                unreleased--;
                while (size > 0 && released[head]) {
                    head = (head + 1) & mask;
                    size--;
                }
                return true;
            }
        }
        return false;
    }

    private void grow() {
        final int n = starts.length;
        final long[] s = new long[2 * n];
        final boolean[] r = new boolean[2 * n];
        for (int k = 0; k < size; k++) {
            s[k] = starts[(head + k) & (n - 1)];
            r[k] = released[(head + k) & (n - 1)];
        }
        starts = s;
        released = r;
        head = 0;
    }
}
