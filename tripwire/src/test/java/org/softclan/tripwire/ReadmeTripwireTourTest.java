package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;

/** The Tripwire part of the README's tour, compiled and run here so it cannot rot. */
class ReadmeTripwireTourTest {
    @Test
    void tour() throws Exception {
        try (Fabric fabric = Fabric.createTemporary()) {
            Endpoint server = fabric.openEndpoint("server");
            Endpoint client = fabric.openEndpoint("client");
            // --- README tripwire tour begins
            InboundMapping inbox = server.export("inbox", 1 << 20);      // the sidecar holds its tripwire table
            OutboundMapping remote = client.importRegion("inbox");

            try (TripwireUnit unit = TripwireUnit.open(server)) {
                // Watch the length word; fire when a write lands there (from any process).
                Tripwire.Options length = Tripwire.Options.word(0).cookie(1);
                TripwireUnit.Armed armed = unit.armAndCheck(inbox, length, 0);   // arm, then re-check
                if (!armed.changed()) {
                    remote.put(64, new byte[] {'h', 'i'});
                    remote.putLongRelease(0, 2);                                // the write is the signal
                    unit.events().await(WaitStrategy.competitive(), 1, TimeUnit.SECONDS);  // spin, then block
                }
                unit.events().poll((seq, id, cookie, region, offset, len, value) ->
                    System.out.println("tripwire " + id + " fired: " + len + " bytes at " + offset + ", word now " + value),
                    16);
            }
            // --- README tripwire tour ends
            assertEquals(2, inbox.getLong(0));
            assertTrue(inbox.getByte(64) == 'h');
        }
    }
}
