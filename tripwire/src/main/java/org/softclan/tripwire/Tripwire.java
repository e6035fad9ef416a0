package org.softclan.tripwire;

/**
 * An armed tripwire: a watched address range of a region, and what happens when a transfer touches
 * it. Made by {@link TripwireUnit#arm}; see {@link Options} for what can be set.
 *
 * <p>A tripwire fires when a transfer that overlaps its range passes the NIC in a watched direction:
 * {@link Watch#INBOUND}, a write landing in the region from any process that maps it (not the owner's
 * own stores to its inbound mapping, which do not pass the NIC); {@link Watch#OUTBOUND}, a transfer
 * this unit's endpoint sends through its outbound mapping (PIO or DMA). It fires after the bytes are
 * stored, so whoever sees the event sees the data. One transfer fires a tripwire at most once.
 *
 * <p>Thread-safe. Methods that read shared state say which ordering they give.
 */
public final class Tripwire {
    /** Flag: watches inbound transfers. */
    static final int IN = 1;
    /** Flag: watches outbound transfers. */
    static final int OUT = 2;
    /** Action: post an event to the arming unit's event queue. */
    public static final int EVENT = 4;
    /** Action: increment the tripwire's counter ({@link #count()}). */
    public static final int COUNTER = 8;
    /** Action: wake threads blocked on the arming unit's event queue (for counter waiters). */
    public static final int WAKE = 16;
    static final int ONE_SHOT = 32;
    static final int COND_EQ = 64;
    static final int COND_GE = 128;
    static final int WIDE = 256;
    static final int QUEUE_SHIFT = 16;
    static final int ACTIONS = EVENT | COUNTER | WAKE;

    /** Which transfers a tripwire watches. */
    public enum Watch {
        /** Writes landing in the region, from any process. */
        INBOUND,
        /** Transfers this endpoint sends through its outbound mapping. */
        OUTBOUND,
        /** Both. */
        BOTH
    }

    /**
     * What to arm: a fluent description with working defaults (8 bytes, inbound, event action,
     * persistent, no condition, cookie 0).
     */
    public static final class Options {
        long offset;
        long length = 8;
        Watch watch = Watch.INBOUND;
        int actions = EVENT;
        boolean oneShot;
        int condition;
        long conditionValue;
        long cookie;

        /**
         * Options with the defaults: the 8 bytes at offset 0, watched inbound, posting an event, persistent,
         * with no condition and cookie 0.
         */
        public Options() {
        }

        /**
         * Options for a range of bytes, with the other defaults.
         *
         * @param offset first watched byte, from the start of the region's data area
         * @param length watched bytes (default 8)
         * @return new options
         */
        public static Options at(final long offset, final long length) {
            final Options o = new Options();
            o.offset = offset;
            o.length = length;
            return o;
        }

        /**
         * Options for an 8-byte word, with the other defaults.
         *
         * @param offset first byte of the watched word, from the start of the region's data area
         * @return new options watching the 8-byte word at {@code offset}
         */
        public static Options word(final long offset) {
            return at(offset, 8);
        }

        /**
         * Sets which transfers fire the tripwire.
         *
         * @param watch the direction of the transfers that fire the tripwire
         * @return this, watching {@code watch} transfers (default inbound)
         */
        public Options watch(final Watch watch) {
            this.watch = watch;
            return this;
        }

        /**
         * Sets what the tripwire does when it fires.
         *
         * @param actions a combination of {@link #EVENT}, {@link #COUNTER}, {@link #WAKE} (default EVENT)
         * @return this
         */
        public Options actions(final int actions) {
            if (actions == 0 || (actions & ~ACTIONS) != 0) {
                throw new IllegalArgumentException("actions must combine EVENT, COUNTER and WAKE: " + actions);
            }
            this.actions = actions;
            return this;
        }

        /**
         * {@return this, one-shot: the tripwire disarms itself when it fires (re-arm with
         * {@link #rearm()})}
         */
        public Options oneShot() {
            this.oneShot = true;
            return this;
        }

        /** {@return this, persistent: fires on every transfer that touches it (the default)} */
        public Options persistent() {
            this.oneShot = false;
            return this;
        }

        /**
         * Makes the tripwire fire only when the word it starts at equals a value.
         *
         * @param value the value the word must hold after the transfer
         * @return this, firing only when, after the transfer, the 8-byte word at the tripwire's start
         *         equals {@code value} (the start must then be 8-byte aligned)
         */
        public Options whenEquals(final long value) {
            this.condition = COND_EQ;
            this.conditionValue = value;
            return this;
        }

        /**
         * Makes the tripwire fire only when the word it starts at is at least a value.
         *
         * @param value the least value (signed) the word must hold after the transfer
         * @return this, firing only when, after the transfer, the 8-byte word at the tripwire's start
         *         is at least {@code value} (signed; the start must then be 8-byte aligned)
         */
        public Options whenAtLeast(final long value) {
            this.condition = COND_GE;
            this.conditionValue = value;
            return this;
        }

        /**
         * Sets the user value events carry.
         *
         * @param cookie a user value, not interpreted by the unit (default 0)
         * @return this, with {@code cookie} carried in every event
         */
        public Options cookie(final long cookie) {
            this.cookie = cookie;
            return this;
        }

        int flags(final int direction, final int queueIndex) {
            return direction | actions | (oneShot ? ONE_SHOT : 0) | condition | (queueIndex << QUEUE_SHIFT);
        }
    }

    /** One armed entry in one table. */
    static final class Entry {
        final TripwireTable table;
        final int index;
        final long id;

        Entry(final TripwireTable table, final int index, final long id) {
            this.table = table;
            this.index = index;
            this.id = id;
        }

        /** @return the entry's offset in its table's memory */
        long offset() {
            return table.entry(index);
        }

        /** @return the table's memory */
        org.softclan.dsm.SharedMemory memory() {
            return table.memory;
        }

        /** @return whether the entry still holds this tripwire (its id, plain read; a state not free, volatile read) */
        boolean current() {
            return TripwireEntry.id(table.memory, offset()) == id
                && TripwireEntry.state(table.memory, offset()) != TripwireEntry.FREE;
        }
    }

    private final TripwireUnit unit;
    private final String regionName;
    private final int regionId;
    private final Options options;
    /** Inbound and outbound entries; either may be null. */
    final Entry in;
    final Entry out;
    private volatile boolean disarmed;

    Tripwire(final TripwireUnit unit, final String regionName, final int regionId, final Options options,
             final Entry in, final Entry out) {
        this.unit = unit;
        this.regionName = regionName;
        this.regionId = regionId;
        this.options = options;
        this.in = in;
        this.out = out;
    }

    /** {@return the id carried in events (the inbound entry's, else the outbound one's)} */
    public long id() {
        return (in != null ? in : out).id;
    }

    /** {@return the user value carried in events} */
    public long cookie() {
        return options.cookie;
    }

    /** {@return the region's name} */
    public String regionName() {
        return regionName;
    }

    /** {@return the unit's id for the region, as carried in events} */
    public int regionId() {
        return regionId;
    }

    /** {@return the first watched byte} */
    public long offset() {
        return options.offset;
    }

    /** {@return the number of watched bytes} */
    public long length() {
        return options.length;
    }

    /** {@return whether it will fire on the next matching transfer (volatile read)} */
    public boolean isArmed() {
        return !disarmed && (stateIs(in, TripwireEntry.ARMED) || stateIs(out, TripwireEntry.ARMED));
    }

    /** {@return whether a one-shot tripwire has fired and awaits {@link #rearm()} (volatile read)} */
    public boolean hasFired() {
        return stateIs(in, TripwireEntry.FIRED) || stateIs(out, TripwireEntry.FIRED);
    }

    private static boolean stateIs(final Entry e, final int state) {
        return e != null && e.current() && TripwireEntry.state(e.memory(), e.offset()) == state;
    }

    /** {@return times fired with the {@link #COUNTER} action, over both directions (volatile read)} */
    public long count() {
        return countOf(in) + countOf(out);
    }

    private static long countOf(final Entry e) {
        return e == null || !e.current() ? 0 : TripwireEntry.count(e.memory(), e.offset());
    }

    /**
     * Waits until {@link #count()} reaches {@code atLeast}; writers wake a blocked waiter if the
     * tripwire has the {@link #WAKE} action.
     *
     * @param atLeast  the count to wait for
     * @param strategy how to wait (spin, yield, park or block on the unit's event queue)
     * @param timeout  how long to wait at most, in {@code timeUnit}s
     * @param timeUnit the unit of {@code timeout}
     * @return whether it did within the timeout
     * @throws org.softclan.dsm.ClosedException if the strategy blocks on the unit's event queue while
     *         the unit is closed, or the unit is closed during the block
     */
    public boolean awaitCount(final long atLeast, final WaitStrategy strategy, final long timeout,
                              final java.util.concurrent.TimeUnit timeUnit) {
        return strategy.await(() -> count() >= atLeast, unit.events(), timeUnit.toNanos(timeout));
    }

    /** {@return events this tripwire could not post because its queue was full (volatile read)} */
    public long lost() {
        return lostOf(in) + lostOf(out);
    }

    private static long lostOf(final Entry e) {
        return e == null || !e.current() ? 0 : TripwireEntry.lost(e.memory(), e.offset());
    }

    long takeLost() {
        return takeLost(in) + takeLost(out);
    }

    private static long takeLost(final Entry e) {
        return e == null || !e.current() ? 0 : TripwireEntry.takeLost(e.memory(), e.offset());
    }

    /**
     * Re-arms a one-shot tripwire that has fired (a volatile store of its state). Use
     * {@link TripwireUnit#rearmAndCheck} when a write may have landed while it was not armed.
     *
     * @return whether it had fired (and is now armed again)
     */
    public boolean rearm() {
        return rearm(in) | rearm(out);
    }

    private static boolean rearm(final Entry e) {
        return e != null && e.current() && TripwireEntry.compareAndSetState(e.memory(), e.offset(),
            TripwireEntry.FIRED, TripwireEntry.ARMED);
    }

    /**
     * Disarms it: no transfer that starts after this returns fires it. Idempotent. Events it posted
     * before are still handed out by the unit's queue; one posted by a transfer that raced with this
     * call may be dropped as unknown ({@link EventQueue#droppedCount()}).
     *
     * @throws TripwireLockTimeoutException if another live process kept the table locked past the bound
     * @throws TripwireTableCorruptException if the table held garbage even after one rebuild
     */
    public void disarm() {
        if (disarmed) {
            return;
        }
        disarmed = true;
        unit.disarm(this);
    }

    Options options() {
        return options;
    }

    @Override
    public String toString() {
        return "tripwire " + id() + " on region '" + regionName + "' [" + options.offset + ", "
            + (options.offset + options.length) + ") " + options.watch.name().toLowerCase()
            + (options.oneShot ? " one-shot" : " persistent");
    }
}
