package org.softclan.sockets;

/**
 * Whether a {@link LayerSelector}'s select spins for the spin window before it blocks: it learns from
 * its recent waits and spins. Used by the selecting thread only.
 */
final class SpinPolicy {
    /** How many selects skip the spin after spins mostly failed, before spinning is tried again. */
    static final int SPIN_PAUSE = 256;

    /** Whether each of the last waits for readiness was short, newest in bit 0 ({@link #learnWait}). */
    private int shortWaits = 0xFF;
    /** Whether each of the last spins found a ready channel, newest in bit 0. */
    private int spinResults = 0xFF;
    /** Selects left without a spin after spins mostly failed. */
    private int spinPause;

    /**
     * {@return whether this select spins before it blocks}: while most recent waits were short
     * ({@link #learnWait}) and most recent spins found a ready channel. Spins that mostly fail mean the
     * event the selector waits for needs the CPU it spins on (an HTTP server's worker thread writing the
     * response that brings the next request, on two cores): then it stops spinning for
     * {@value #SPIN_PAUSE} selects, and tries again.
     */
    boolean shouldSpin() {
        if (spinPause > 0) {
            if (--spinPause == 0) {
                spinResults = 0xFF;
            }
            return false;
        }
        if (Integer.bitCount(spinResults & 0xFF) < 4) {
            spinPause = SPIN_PAUSE;
            return false;
        }
        return Integer.bitCount(shortWaits & 0xFF) >= 4;
    }

    /**
     * Learns whether this selector's waits for readiness are short (within the spin window): a select
     * spins before it blocks only while at least four of the last eight were. An event loop whose
     * channels answer within microseconds (a ping-pong) keeps spinning; one whose waits are longer (an
     * HTTP server between requests, whose program threads need the CPUs) blocks at once instead of
     * burning the window every time. Spinning resumes when blocked waits get short again (a blocked wait
     * measures the arrival plus the wake-up). A majority of recent waits, not their mean, so that a few
     * long ones (a pause of the peer) do not stop a ping-pong from spinning.
     */
    void learnWait(final long nanos) {
        shortWaits = (shortWaits << 1) | (nanos <= SocketLayer.SPIN_NANOS ? 1 : 0);
    }

    /** Records whether a spin found a ready channel. @param found whether it did */
    void spun(final boolean found) {
        spinResults = (spinResults << 1) | (found ? 1 : 0);
    }
}
