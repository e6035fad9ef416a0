package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The timing loop with a simulated transport (no second JVM) whose round trip 50 stalls for 5 ms:
 * back to back, only that round trip is slow; at a fixed rate, the round trips the stall delayed are
 * charged from their intended send times, so many are.
 */
class CoordinatedOmissionTest {
    private static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** Answers at once, except round trip {@code stallAt}, which it holds (busy) for 5 ms. */
    static final class StallingClient implements PeerTransport.Client {
        private final long stallAt;
        long calls;

        StallingClient(final long stallAt) {
            this.stallAt = stallAt;
        }

        @Override
        public Map<String, String> prepare() {
            return Map.of();
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
        }

        @Override
        public void roundTrip(final long seq, final long timeoutNanos) {
            calls++;
            if (seq == stallAt) {
                final long until = System.nanoTime() + STALL_NANOS;
                while (System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
            }
        }

        @Override
        public java.nio.file.Path scratch() {
            return null;
        }

        @Override
        public void disconnect() {
        }

        @Override
        public void close() {
        }
    }

    private static Histogram run(final long rate) throws Exception {
        final StallingClient client = new StallingClient(50);
        final PingPongResult r = PingPongRunner.measure(client, new PingPongRunner.Settings(
            Transports.byName("raw"), 32, 0, 0, 200, rate, 30), null);
        assertEquals(200, client.calls);
        assertEquals(200, r.roundTrips());
        return r.histogram();
    }

    @Test
    void aFixedRateChargesTheStallToTheRoundTripsItDelayed() throws Exception {
        final long oneMs = TimeUnit.MILLISECONDS.toNanos(1);
        final Histogram backToBack = run(0);
        assertTrue(backToBack.getMaxValue() >= STALL_NANOS, "the stalled round trip itself");
        final long slowBackToBack = backToBack.getCountBetweenValues(oneMs, backToBack.getMaxValue());
        // at 10 000/s (every 100 us) a 5 ms stall delays the next ~50 sends, ~40 of them by over 1 ms
        final Histogram paced = run(10_000);
        final long slowPaced = paced.getCountBetweenValues(oneMs, paced.getMaxValue());
        assertTrue(slowBackToBack <= 5, "back to back, " + slowBackToBack + " round trips over 1 ms");
        assertTrue(slowPaced >= 30, "at a fixed rate, only " + slowPaced + " round trips were charged over 1 ms");
    }
}
