package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void exportImportWriteRead() {
        try (Fabric f = Fabric.createTemporary()) {
            final Endpoint a = f.openEndpoint("a");
            final Endpoint b = f.openEndpoint("b");
            final InboundMapping in = a.export("r", 4096);
            final OutboundMapping out = b.importRegion("r");
            out.putLongOrdered(128, 42);
            assertEquals(42, in.getLongVolatile(128));
        }
    }
}
