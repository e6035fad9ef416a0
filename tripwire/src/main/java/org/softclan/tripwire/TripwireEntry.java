package org.softclan.tripwire;

import static org.softclan.tripwire.TripwireTableDescriptor.*;

import org.softclan.dsm.SharedMemory;

/**
 * One 64-byte entry of a tripwire table (layout in {@link TripwireTableDescriptor}): static accessors
 * over the table's memory and the entry's offset in it, so the snoop, the unit and the table read and
 * write an entry without computing field offsets and without an object per access.
 *
 * <p><b>Memory order.</b> The state is read and written with volatile accesses (a writer's one-shot
 * fire is a compare-and-set from {@link #ARMED} to {@link #FIRED}); the count and the lost counter with
 * atomic adds and volatile reads, as writers in any process bump them. Every other field is written only
 * by the lock holder and read plainly: a reader that needs them consistent reads them inside the table's
 * seqlock ({@link TableSeqlock}), and one that does not (the snoop firing an entry) validates them.
 *
 * <p><b>Trust.</b> The entry offset must come from {@link TripwireTable#entry(int)} with an index the
 * caller checked against the entry capacity; the values read are another process's and unchecked.
 */
final class TripwireEntry {
    /** State of an entry on the free list. */
    static final int FREE = 0;
    /** State of an entry that fires on a matching transfer. */
    static final int ARMED = 1;
    /** State of a one-shot entry that has fired: it waits for a disarm or a re-arm. */
    static final int FIRED = 2;

    private TripwireEntry() {
    }

    /**
     * {@return the entry's state (volatile read)}
     *
     * @param m the table's memory
     * @param e the entry's offset
     */
    static int state(final SharedMemory m, final long e) {
        return m.getIntVolatile(e + ENTRY_STATE_OFFSET);
    }

    /**
     * Sets the entry's state (volatile store).
     *
     * @param m     the table's memory
     * @param e     the entry's offset
     * @param state {@link #FREE}, {@link #ARMED} or {@link #FIRED}
     */
    static void state(final SharedMemory m, final long e, final int state) {
        m.putIntVolatile(e + ENTRY_STATE_OFFSET, state);
    }

    /**
     * Changes the entry's state if it holds {@code expected} (compare-and-set: a full barrier).
     *
     * @param m        the table's memory
     * @param e        the entry's offset
     * @param expected the state it must hold
     * @param state    the new state
     * @return whether it was changed
     */
    static boolean compareAndSetState(final SharedMemory m, final long e, final int expected, final int state) {
        return m.compareAndSetInt(e + ENTRY_STATE_OFFSET, expected, state);
    }

    /**
     * {@return the entry's flags, or its free-list link if free (plain read)}
     *
     * @param m the table's memory
     * @param e the entry's offset
     */
    static int flags(final SharedMemory m, final long e) {
        return m.getInt(e + ENTRY_FLAGS_OFFSET);
    }

    /**
     * Sets the entry's flags, or its free-list link if free (plain store; the lock holder only).
     *
     * @param m     the table's memory
     * @param e     the entry's offset
     * @param flags the flags
     */
    static void flags(final SharedMemory m, final long e, final int flags) {
        m.putInt(e + ENTRY_FLAGS_OFFSET, flags);
    }

    /**
     * {@return the first watched byte (plain read)}
     *
     * @param m the table's memory
     * @param e the entry's offset
     */
    static long start(final SharedMemory m, final long e) {
        return m.getLong(e + ENTRY_START_OFFSET);
    }

    /**
     * {@return the number of watched bytes (plain read)}
     *
     * @param m the table's memory
     * @param e the entry's offset
     */
    static long length(final SharedMemory m, final long e) {
        return m.getLong(e + ENTRY_LENGTH_OFFSET);
    }

    /**
     * {@return the tripwire id (plain read)}
     *
     * @param m the table's memory
     * @param e the entry's offset
     */
    static long id(final SharedMemory m, final long e) {
        return m.getLong(e + ENTRY_ID_OFFSET);
    }

    /**
     * {@return the value the condition compares with (plain read)}
     *
     * @param m the table's memory
     * @param e the entry's offset
     */
    static long condition(final SharedMemory m, final long e) {
        return m.getLong(e + ENTRY_CONDITION_OFFSET);
    }

    /**
     * {@return times fired with the COUNTER action (volatile read)}
     *
     * @param m the table's memory
     * @param e the entry's offset
     */
    static long count(final SharedMemory m, final long e) {
        return m.getLongVolatile(e + ENTRY_COUNT_OFFSET);
    }

    /**
     * {@return events lost to a full queue (volatile read)}
     *
     * @param m the table's memory
     * @param e the entry's offset
     */
    static long lost(final SharedMemory m, final long e) {
        return m.getLongVolatile(e + ENTRY_LOST_OFFSET);
    }

    /**
     * Counts one event lost to a full or unreachable queue (atomic add: a full barrier).
     *
     * @param m the table's memory
     * @param e the entry's offset
     */
    static void incrementLost(final SharedMemory m, final long e) {
        m.getAndAddLong(e + ENTRY_LOST_OFFSET, 1);
    }

    /**
     * Takes the lost counter and sets it to 0, atomically (a compare-and-set loop: the window offers no
     * atomic exchange; a full barrier). It retries while writers keep counting losses, at most
     * {@value #TAKE_LOST_ATTEMPTS} times (a peer that rewrites the word without pause must not hold the
     * caller); then it gives up and reports none, and the count stays for the next call.
     *
     * @param m the table's memory
     * @param e the entry's offset
     * @return the count taken, 0 if none (or it kept changing)
     */
    static long takeLost(final SharedMemory m, final long e) {
        for (int attempt = 0; attempt < TAKE_LOST_ATTEMPTS; attempt++) {
            final long lost = m.getLongVolatile(e + ENTRY_LOST_OFFSET);
            if (m.compareAndSetLong(e + ENTRY_LOST_OFFSET, lost, 0)) {
                return lost;
            }
        }
        return 0;
    }

    /** Compare-and-set attempts of {@link #takeLost} before it gives up for this call. */
    static final int TAKE_LOST_ATTEMPTS = 1_000;

    /**
     * Fills a free entry's fields for arming, all but the state (plain stores for those only the lock
     * holder writes, volatile for the counters writers bump); the caller then stores the state.
     *
     * @param m         the table's memory
     * @param e         the entry's offset
     * @param flags     the flags
     * @param start     the first watched byte
     * @param length    the number of watched bytes
     * @param id        the tripwire id
     * @param cookie    the user's cookie
     * @param condition the value the condition compares with
     */
    static void fill(final SharedMemory m, final long e, final int flags, final long start, final long length,
                     final long id, final long cookie, final long condition) {
        m.putInt(e + ENTRY_FLAGS_OFFSET, flags);
        m.putLong(e + ENTRY_START_OFFSET, start);
        m.putLong(e + ENTRY_LENGTH_OFFSET, length);
        m.putLong(e + ENTRY_ID_OFFSET, id);
        m.putLong(e + ENTRY_COOKIE_OFFSET, cookie);
        m.putLong(e + ENTRY_CONDITION_OFFSET, condition);
        m.putLongVolatile(e + ENTRY_COUNT_OFFSET, 0);
        m.putLongVolatile(e + ENTRY_LOST_OFFSET, 0);
    }

    /**
     * Whether the entry is armed (volatile read), watches {@code directionBit} and overlaps a transfer
     * (plain reads).
     *
     * @param m            the table's memory
     * @param e            the entry's offset
     * @param offset       the transfer's first byte
     * @param length       the transfer's length
     * @param directionBit {@link Tripwire#IN} or {@link Tripwire#OUT}
     * @return whether it accepts the transfer
     */
    static boolean accepts(final SharedMemory m, final long e, final long offset, final long length,
                           final int directionBit) {
        if (m.getIntVolatile(e + ENTRY_STATE_OFFSET) != ARMED) {
            return false;
        }
        if ((m.getInt(e + ENTRY_FLAGS_OFFSET) & directionBit) == 0) {
            return false;
        }
        final long start = m.getLong(e + ENTRY_START_OFFSET);
        final long len = m.getLong(e + ENTRY_LENGTH_OFFSET);
        return start < offset + length && offset < start + len;
    }

    // ------------------------------------------------------------------ by absolute address (the fire path)

    // The snoop's fire path reads an entry between volatile accesses (the watched word, the state, the
    // queue directory): by window and offset each read would reload the window's address. It computes the
    // entry's address once (window address + entry offset, the offset checked by the table) and uses these.

    /** @return the flags of the entry at native address {@code a}, plain */
    static int flagsAt(final long a) {
        return SharedMemory.getIntAt(a + ENTRY_FLAGS_OFFSET);
    }

    /** @return the watched range's first byte of the entry at {@code a}, plain (validate before use) */
    static long startAt(final long a) {
        return SharedMemory.getLongAt(a + ENTRY_START_OFFSET);
    }

    /** @return the watched range's length in bytes of the entry at {@code a}, plain (validate before use) */
    static long lengthAt(final long a) {
        return SharedMemory.getLongAt(a + ENTRY_LENGTH_OFFSET);
    }

    /** @return the state of the entry at {@code a}, volatile */
    static int stateAt(final long a) {
        return SharedMemory.getIntVolatileAt(a + ENTRY_STATE_OFFSET);
    }

    /** @return whether the state of the entry at {@code a} went from {@code expected} to {@code state} (atomic) */
    static boolean compareAndSetStateAt(final long a, final int expected, final int state) {
        return SharedMemory.compareAndSetIntAt(a + ENTRY_STATE_OFFSET, expected, state);
    }

    /** Adds one to the fired count of the entry at {@code a} (atomic). */
    static void incrementCountAt(final long a) {
        SharedMemory.getAndAddLongAt(a + ENTRY_COUNT_OFFSET, 1);
    }

    /** @return the tripwire id of the entry at {@code a}, plain */
    static long idAt(final long a) {
        return SharedMemory.getLongAt(a + ENTRY_ID_OFFSET);
    }

    /** @return the cookie of the entry at {@code a}, plain */
    static long cookieAt(final long a) {
        return SharedMemory.getLongAt(a + ENTRY_COOKIE_OFFSET);
    }
}
