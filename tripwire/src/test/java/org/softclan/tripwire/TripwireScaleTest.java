package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;

/** 10^6 tripwires armed in one region: writes fire exactly the tripwires they touch, no others. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TripwireScaleTest {
    private static final int TRIPWIRES = 1_000_000;
    private static final long SIZE = 128L << 20;   // 2M cache lines: every other line carries a tripwire

    @Test
    void aMillionTripwiresMatchExactly() {
        try (Fabric fabric = Fabric.createTemporary();
             Endpoint owner = fabric.openEndpoint("owner");
             Endpoint writer = fabric.openEndpoint("writer");
             TripwireUnit unit = TripwireUnit.open(owner)) {
            final InboundMapping in = owner.export("big", SIZE, 0, TripwireUnit.sidecarBytes(SIZE, TRIPWIRES));
            final OutboundMapping out = writer.importRegion("big");
            final List<Tripwire> all = new ArrayList<>(TRIPWIRES);
            for (int i = 0; i < TRIPWIRES; i++) {
                all.add(unit.arm(in, Tripwire.Options.word(128L * i).cookie(i)));
            }
            final Random rnd = new Random(7);
            final long[] got = new long[2];
            for (int k = 0; k < 20_000; k++) {
                final int i = rnd.nextInt(TRIPWIRES);
                out.putLong(128L * i, k);          // armed line
                out.putLong(128L * i + 64, k);     // the unarmed line after it
                final int n = unit.events().poll((s, id, cookie, r, off, len, v) -> {
                    got[0] = cookie;
                    got[1] = off;
                }, 10);
                assertEquals(1, n, "write " + k);
                assertEquals(i, got[0]);
                assertEquals(128L * i, got[1]);
            }
            // disarm every other one: those stay silent, the rest still fire
            for (int i = 0; i < TRIPWIRES; i += 2) {
                all.get(i).disarm();
            }
            for (int k = 0; k < 20_000; k++) {
                final int i = rnd.nextInt(TRIPWIRES);
                out.putLong(128L * i, k);
                assertEquals(i % 2 == 0 ? 0 : 1, unit.events().poll((s, id, c, r, o, l, v) -> { }, 10), "write " + k);
            }
        }
    }
}
