package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** {@link WaitStrategy} factories: arguments checked, and the park back-off actually backs off. */
class WaitStrategyTest {
    @Test
    void aBackOffThatCouldNeverGrowIsRefusedNamingTheArguments() {
        assertMentions(assertThrows(IllegalArgumentException.class, () -> WaitStrategy.parkWithBackoff(0, 100)),
            "parkWithBackoff(0, 100)", "at least 1 ns");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> WaitStrategy.parkWithBackoff(1_000, 10)),
            "parkWithBackoff(1000, 10)");
    }

    @Test
    void theParkBackOffChecksFewerTimesThanASpinWouldAndGivesUpAtTheTimeout() {
        // parks doubling from 1 us to 1 ms over 50 ms: about 10 doublings, then one check per ms
        final AtomicInteger checks = new AtomicInteger();
        final boolean ready = WaitStrategy.parkWithBackoff(1_000, 1_000_000)
            .await(() -> checks.incrementAndGet() < 0, null, 50_000_000L);
        assertFalse(ready);
        assertTrue(checks.get() > 1 && checks.get() < 1_000, "checks made in 50 ms: " + checks.get());
    }
}
