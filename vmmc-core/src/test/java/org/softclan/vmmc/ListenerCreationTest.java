package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.CALLS_REAL_METHODS;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.mockStatic;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.mockito.MockedStatic;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.RegionInfo;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;

/** A listener that cannot be made leaves nothing behind: no listen region, no tripwire unit. */
class ListenerCreationTest {
    private static List<String> regionNames(final Fabric fabric) {
        return fabric.regions().stream().map(RegionInfo::name).toList();
    }

    @Test
    void aListenerWhoseUnitCannotOpenLeavesNoListenRegionAndTheNameCanBeListenedOnAgain() throws Exception {
        try (Fabric fabric = Fabric.createTemporary(); Endpoint ep = fabric.openEndpoint("server")) {
            final List<String> before = regionNames(fabric);
            final IllegalStateException refused = new IllegalStateException("no unit today");
            try (MockedStatic<TripwireUnit> units = mockStatic(TripwireUnit.class, CALLS_REAL_METHODS)) {
                units.when(() -> TripwireUnit.open(any(Endpoint.class), any(TripwireUnit.Context.class))).thenThrow(refused);
                assertSame(refused, assertThrows(IllegalStateException.class,
                    () -> Vmmc.listen(ep, "svc", new ConnectionContext())));
            }
            assertEquals(before, regionNames(fabric), "the listen region was removed");
            try (Listener again = Vmmc.listen(ep, "svc", new ConnectionContext())) {
                assertEquals("svc", again.service());
            }
        }
    }

    @Test
    void aListenerWhoseTripwireCannotBeArmedClosesItsUnitAndRemovesItsListenRegion() throws Exception {
        try (Fabric fabric = Fabric.createTemporary(); Endpoint ep = fabric.openEndpoint("server")) {
            final List<String> before = regionNames(fabric);
            final TripwireUnit unit = mock(TripwireUnit.class);
            final IllegalStateException refused = new IllegalStateException("no tripwire today");
            when(unit.arm(any(), any(Tripwire.Options.class))).thenThrow(refused);
            try (MockedStatic<TripwireUnit> units = mockStatic(TripwireUnit.class, CALLS_REAL_METHODS)) {
                units.when(() -> TripwireUnit.open(any(Endpoint.class), any(TripwireUnit.Context.class))).thenReturn(unit);
                assertSame(refused, assertThrows(IllegalStateException.class,
                    () -> Vmmc.listen(ep, "svc", new ConnectionContext())));
            }
            verify(unit).close();
            assertEquals(before, regionNames(fabric), "the listen region was removed");
        }
    }
}
