package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * An exporter killed with -9 while this JVM writes into its region. Before, the writes kept succeeding
 * (about a million in the next second, {@code isValid()} true) and nobody would ever read them. Now the
 * owner watchdog revokes the dead owner's region in its shared header within about 100 ms, and the next
 * write fails with {@link StaleRegionException} naming the dead owner; no system call is made per write.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OwnerDeathTest {
    private Fabric fabric;
    private Endpoint importer;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        importer = fabric.openEndpoint("importer");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void writesIntoTheRegionOfAKilledOwnerFailWithinABoundedTime() throws Exception {
        try (JvmProcess owner = JvmProcess.start(RegionOwnerMain.class, fabric.root().toString(), "victim", "65536", "5")) {
            owner.expectLine("ready", 30, TimeUnit.SECONDS);
            try (OutboundMapping out = importer.importRegion("victim", 5)) {
                out.putLong(0, 1);
                assertTrue(out.isValid());
                owner.kill();
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                StaleRegionException stale = null;
                long writes = 0;
                while (stale == null && System.nanoTime() < deadline) {
                    try {
                        out.putLong(8 * (writes & 1023), writes);
                        writes++;
                    } catch (final StaleRegionException e) {
                        stale = e;
                    }
                }
                assertNotNull(stale, "writes into a dead owner's region still succeed 10 s after it died (" + writes
                    + " writes)");
                assertTrue(stale.getMessage().contains("died"), stale.getMessage());
                assertFalse(out.isValid());
            }
        }
    }
}
