package org.softclan.sockets;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Rings with nothing ready, counted per wait: a peer of the fabric that rings the doorbell in a loop
 * (it may: it imports the queue) would make every waiter of the process look at its keys at that rate.
 * More than {@value #FLOOD_WAKES} such wake-ups within a millisecond end the wait, and the waiter pauses
 * before waiting again (100 us, doubling to 8 ms while the flood lasts): a flooding peer delays this
 * selector's arrivals by at most that pause, and costs it a bounded share of a CPU.
 */
final class FloodGuard {
    static final int FLOOD_WAKES = 4;
    static final long FLOOD_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    static final long FLOOD_PAUSE_MIN_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    static final long FLOOD_PAUSE_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(8);

    private int wakes;
    private long since;
    private boolean flooded;
    private long pauseNanos = FLOOD_PAUSE_MIN_NANOS;

    void reset() {
        wakes = 0;
        flooded = false;
    }

    /** Counts one look at the condition; {@return whether the wake-ups came too fast} */
    boolean tooMany() {
        final int w = ++wakes;
        if (w == 2) {
            since = System.nanoTime();   // the first look is before any wake-up
        } else if (w > FLOOD_WAKES + 1) {
            if (System.nanoTime() - since < FLOOD_WINDOW_NANOS) {
                flooded = true;
                return true;
            }
            wakes = 1;
        }
        return false;
    }

    void backOffIfFlooded() {
        if (!flooded) {
            pauseNanos = FLOOD_PAUSE_MIN_NANOS;
            return;
        }
        LockSupport.parkNanos(pauseNanos);
        pauseNanos = Math.min(FLOOD_PAUSE_MAX_NANOS, pauseNanos * 2);
    }
}
