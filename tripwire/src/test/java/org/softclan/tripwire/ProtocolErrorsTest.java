package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.stat.StatReader;
import org.softclan.dsm.testing.TestThreads;

/**
 * Garbage the Tripwire code finds in shared state reaches the error logs of the endpoints that use tripwires,
 * at a bounded rate: a peer writing garbage all the time is counted in full, not logged on every write.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProtocolErrorsTest {
    private static List<StatReader.ErrorRecord> errorsOf(final Endpoint ep) {
        return StatReader.read(ep.stats().file()).errors();
    }

    /** Waits out the rate limit: the condition is the interval's time itself. */
    private static void pastTheInterval() {
        final long end = System.nanoTime() + 2 * ProtocolErrors.LOG_INTERVAL_NANOS;
        for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
        }
    }

    @Test
    void garbageFoundIsLoggedInTheEndpointsThatUseTripwiresAtABoundedRate() {
        try (Fabric fabric = Fabric.createTemporary();
             Endpoint user = fabric.openEndpoint("user");
             Endpoint bystander = fabric.openEndpoint("bystander");
             TripwireUnit unit = TripwireUnit.open(user)) {
            assertTrue(unit.events().regionName().startsWith("evq-"), "the unit that makes 'user' use tripwires");
            pastTheInterval();
            final long before = ProtocolErrors.count();
            ProtocolErrors.record(new TripwireTableCorruptException("victim", "header", "seq", 7, "a test's garbage"));
            final AtomicReference<List<StatReader.ErrorRecord>> seen = new AtomicReference<>();
            TestThreads.awaitTrue(() -> {
                seen.set(errorsOf(user));
                return !seen.get().isEmpty();
            }, 10, TimeUnit.SECONDS);
            assertEquals(1, seen.get().size(), seen.get().toString());
            assertTrue(seen.get().get(0).text().contains("a test's garbage"), seen.get().get(0).text());
            // a flood of distinct errors: all counted, at most one per interval logged
            final long start = System.nanoTime();
            for (int i = 0; i < 10_000; i++) {
                ProtocolErrors.record(new TripwireTableCorruptException("victim", "header", "seq", i, "flood"));
            }
            final long took = System.nanoTime() - start;
            assertEquals(before + 10_001, ProtocolErrors.count());
            final long intervals = 1 + took / ProtocolErrors.LOG_INTERVAL_NANOS;
            TestThreads.awaitTrue(() -> errorsOf(user).size() > 1 || took < ProtocolErrors.LOG_INTERVAL_NANOS, 10,
                TimeUnit.SECONDS);
            final int logged = errorsOf(user).size() - 1;
            assertTrue(logged <= intervals, logged + " flood errors logged in " + took + " ns: at most " + intervals);
            assertTrue(errorsOf(bystander).isEmpty(), "an endpoint without tripwires is not sent them");
        }
    }

    @Test
    void aClosedEndpointIsNoLongerLoggedTo() {
        try (Fabric fabric = Fabric.createTemporary()) {
            final Endpoint gone = fabric.openEndpoint("gone");
            TripwireUnit.open(gone).close();
            gone.close();
            pastTheInterval();
            ProtocolErrors.record(new IllegalStateException("after the endpoint closed"));   // neither throws nor writes
            assertTrue(ProtocolErrors.count() > 0);
        }
    }
}
