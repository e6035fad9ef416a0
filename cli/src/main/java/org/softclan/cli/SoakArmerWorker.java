package org.softclan.cli;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Vmmc;

/**
 * The armer of {@code vmmc soak}: it connects to a worker's service like any client, then arms and
 * disarms tripwires on the worker's receive region of that connection in a loop, so that each
 * iteration takes that region's shared table lock twice. The soak kills it with -9 at a random moment:
 * the worker must still close the connection (its disarms take the same lock, which a dead holder may
 * have left held) and go on serving its well-behaved peer.
 */
final class SoakArmerWorker {
    private SoakArmerWorker() {
    }

    static String run(final SoakWorker w, final Path dir, final String service, final long seed) {
        try (Fabric fabric = Fabric.open(dir);
             Endpoint ep = fabric.openEndpoint("soak-armer");
             Connection c = Vmmc.connect(ep, service, new ConnectionContext().ringCapacity(1 << 16), 10,
                 TimeUnit.SECONDS);
             TripwireUnit unit = TripwireUnit.open(ep)) {
            final OutboundMapping peer = c.outbound();
            final SplittableRandom rnd = new SplittableRandom(seed);
            final long words = Math.max(1, Math.min(peer.size(), 1 << 16) / 8);
            w.line("connected");
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long rounds = 0;
            while (!w.stopping() && System.nanoTime() < end) {
                final Tripwire t = unit.arm(peer, Tripwire.Options.word(8 * rnd.nextLong(words)).actions(Tripwire.WAKE));
                t.disarm();
                if (++rounds % 10_000 == 0) {
                    w.line("stat armed=" + rounds);
                }
            }
            return "stopped";
        }
    }
}
