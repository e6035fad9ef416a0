package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * from their publisher: a peer writing garbage that changes with every write is counted in full and makes
 * one log record with a count, not a record per value.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProtocolErrorsTest {
    private static List<StatReader.ErrorRecord> errorsOf(final Endpoint ep) {
        return StatReader.read(ep.stats().file()).errors();
    }

    @Test
    void garbageFoundIsLoggedInTheEndpointsThatUseTripwiresOneRecordPerKind() {
        try (Fabric fabric = Fabric.createTemporary();
             Endpoint user = fabric.openEndpoint("user");
             Endpoint bystander = fabric.openEndpoint("bystander");
             TripwireUnit unit = TripwireUnit.open(user)) {
            assertTrue(ProtocolErrors.logsTo(user.stats()), "opening " + unit + " makes 'user' get the errors");
            final long before = ProtocolErrors.count();
            ProtocolErrors.record(new TripwireTableCorruptException("victim", "header", "seq", 7, "a test's garbage"));
            final AtomicReference<List<StatReader.ErrorRecord>> seen = new AtomicReference<>();
            TestThreads.awaitTrue(() -> {
                seen.set(errorsOf(user));
                return !seen.get().isEmpty();
            }, 10, TimeUnit.SECONDS);
            assertEquals(1, seen.get().size(), seen.get().toString());
            final String text = seen.get().get(0).text();
            assertTrue(text.contains("a test's garbage") && text.contains("TripwireTableCorruptException"), text);
            assertFalse(text.contains("7"), "numbers a peer chooses are shown as #: " + text);
            // a flood of errors whose values change every time (as a peer's garbage can): all counted, one record
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 10_000; i++) {
                    ProtocolErrors.record(new TripwireTableCorruptException("victim", "header", "seq", i, "flood " + i));
                }
                final int r = round;
                TestThreads.awaitTrue(() -> errorsOf(user).stream().filter(x -> x.text().contains("flood"))
                    .mapToLong(StatReader.ErrorRecord::count).sum() > r, 10, TimeUnit.SECONDS);
            }
            assertEquals(before + 30_001, ProtocolErrors.count());
            final List<StatReader.ErrorRecord> after = errorsOf(user);
            assertEquals(2, after.size(), "the first error, and one record for all the flood: " + after);
            assertTrue(after.get(1).count() >= 3, "one record, counted at each publication that saw new errors: " + after);
            assertTrue(errorsOf(bystander).isEmpty(), "an endpoint without tripwires is not sent them");
            assertFalse(ProtocolErrors.logsTo(bystander.stats()));
        }
    }

    @Test
    void aClosedEndpointIsForgotten() {
        try (Fabric fabric = Fabric.createTemporary(); Endpoint other = fabric.openEndpoint("other")) {
            final Endpoint gone = fabric.openEndpoint("gone");
            TripwireUnit.open(gone).close();
            assertTrue(ProtocolErrors.logsTo(gone.stats()));
            gone.close();
            TripwireUnit.open(other).close();   // a registration forgets the endpoints closed meanwhile
            assertFalse(ProtocolErrors.logsTo(gone.stats()), "a closed endpoint's statistics are not kept");
            assertTrue(ProtocolErrors.logsTo(other.stats()));
        }
    }
}
