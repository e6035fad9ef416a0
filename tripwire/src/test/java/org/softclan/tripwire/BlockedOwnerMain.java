package org.softclan.tripwire;

import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;

/**
 * An owner run in its own JVM: exports a region, arms a tripwire on word 0, prints "blocking", and
 * blocks on its event queue (no spinning) until an event arrives; prints "woken VALUE", or "timeout".
 * args: fabricDir region
 */
public final class BlockedOwnerMain {
    private BlockedOwnerMain() {
    }

    public static void main(final String[] args) throws Exception {
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("blocked-owner");
             TripwireUnit unit = TripwireUnit.open(ep)) {
            final InboundMapping in = ep.export(args[1], 4096);
            unit.arm(in, Tripwire.Options.word(0));
            System.out.println("blocking");
            if (unit.events().await(WaitStrategy.block(), 120, TimeUnit.SECONDS)) {
                final long[] value = new long[1];
                unit.events().poll((s, i, k, g, o, l, v) -> value[0] = v, 1);
                System.out.println("woken " + value[0]);
            } else {
                System.out.println("timeout");
            }
        }
    }
}
