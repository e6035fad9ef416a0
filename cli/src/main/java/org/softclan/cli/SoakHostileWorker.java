package org.softclan.cli;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Vmmc;

/**
 * The hostile peer of {@code vmmc soak}: it connects to a worker's service like any client, then writes
 * garbage into the worker's receive region of that connection through its own (legitimate) outbound
 * mapping of it, as a buggy or malicious process could. The worker must drop this connection (or
 * deliver only records that lie inside its ring) and go on serving its well-behaved peer.
 *
 * <p>It computes offsets into the peer's region itself, from the layout drawn in {@link Connection}'s
 * documentation (write pointer at 0, ring capacity at 192, ring from 4096, a record length of -1 for a
 * wrap): a hostile process does not go through the library's flyweights.
 */
final class SoakHostileWorker {
    /** The garbage it can write. */
    static final String[] MODES = {"huge-length", "negative-length", "far-pointer", "back-pointer", "pad-overrun",
        "random"};
    private static final long WRITE_PTR = 0;
    private static final long CAPACITY = 192;
    private static final long RING = 4096;

    private SoakHostileWorker() {
    }

    static String run(final SoakWorker w, final Path dir, final String service, final long seed, final String mode) {
        try (Fabric fabric = Fabric.open(dir);
             Endpoint ep = fabric.openEndpoint("soak-hostile");
             Connection c = Vmmc.connect(ep, service, new ConnectionContext().ringCapacity(1 << 16), 10,
                 TimeUnit.SECONDS)) {
            w.line("connected");
            final org.softclan.dsm.OutboundMapping peer = c.outbound();
            try {
                final long ring = peer.getLong(CAPACITY);
                scribble(peer, mode, seed, ring);
                w.line("written mode=" + mode);
            } catch (final RuntimeException cutOff) {
                // the worker dropped this connection meanwhile (its region is gone): that is the point
                w.line("written mode=" + mode + " cut off: " + cutOff);
            }
            w.pause(300);
            return "stopped";
        }
    }

    private static void scribble(final org.softclan.dsm.OutboundMapping peer, final String mode, final long seed,
                                 final long ring) {
        switch (mode) {
            case "huge-length" -> {
                peer.putLong(RING, 0x7ffffff0L);
                peer.putLongVolatile(WRITE_PTR, 64);
            }
            case "negative-length" -> {
                peer.putLong(RING, -2L & 0xFFFFFFFFL);
                peer.putLongVolatile(WRITE_PTR, 64);
            }
            case "far-pointer" -> peer.putLongVolatile(WRITE_PTR, 1L << 62);
            case "back-pointer" -> peer.putLongVolatile(WRITE_PTR, -8);
            case "pad-overrun" -> {
                peer.putLong(RING, 0xFFFFFFFFL);
                peer.putLongVolatile(WRITE_PTR, 8);
            }
            default -> {
                final SplittableRandom rnd = new SplittableRandom(seed);
                for (int round = 0; round < 2000; round++) {
                    for (int k = 0; k < 16; k++) {
                        final long at = 8L * rnd.nextLong((RING + Math.min(Math.max(ring, 0), 1 << 12)) / 8);
                        peer.putLong(at, rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextInt(-16, 4096));
                    }
                    final long wp = switch (rnd.nextInt(4)) {
                        case 0 -> rnd.nextLong();
                        case 1 -> 8L * rnd.nextInt(0, 1 << 14);
                        case 2 -> rnd.nextInt(-64, 64);
                        default -> 8L * rnd.nextInt(0, 64);
                    };
                    peer.putLongVolatile(WRITE_PTR, wp);
                }
            }
        }
    }
}
