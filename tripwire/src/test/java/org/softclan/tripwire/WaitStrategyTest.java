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

    @Test
    void everyStrategyMadeHereHasANameThatNamedTurnsBackIntoIt() {
        final WaitStrategy[] all = {WaitStrategy.poll(), WaitStrategy.busySpin(), WaitStrategy.spinThenYield(5_000),
            WaitStrategy.spinThenYield(WaitStrategy.DEFAULT_SPIN_NANOS), WaitStrategy.parkWithBackoff(1_000, 100_000),
            WaitStrategy.parkWithBackoff(10, 20), WaitStrategy.block(), WaitStrategy.competitive(),
            WaitStrategy.competitive(20_000)};
        final java.util.Set<String> names = new java.util.HashSet<>();
        for (final WaitStrategy w : all) {
            org.junit.jupiter.api.Assertions.assertEquals(w.name(), WaitStrategy.named(w.name()).name());
            names.add(w.name());
        }
        org.junit.jupiter.api.Assertions.assertEquals(all.length, names.size(), "distinct strategies, distinct names: " + names);
        org.junit.jupiter.api.Assertions.assertEquals("busy-spin", WaitStrategy.named(" Busy ").name());
        org.junit.jupiter.api.Assertions.assertEquals("competitive:20000", WaitStrategy.named("competitive:20000").name());
        org.junit.jupiter.api.Assertions.assertEquals("custom", ((WaitStrategy) (r, b, t) -> true).name());
    }

    @Test
    void aNameThatIsNoStrategyIsRefusedNamingTheChoices() {
        for (final String bad : new String[] {"", "sleep", "poll:5", "park:1", "park:0:5", "competitive:x", "yield:-1"}) {
            final IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> WaitStrategy.named(bad), bad);
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }
}
