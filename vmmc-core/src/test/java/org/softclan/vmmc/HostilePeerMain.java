package org.softclan.vmmc;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;

/**
 * A hostile peer run in its own JVM: it connects to a service like any client, then writes garbage
 * into the server's receive region through its own (legitimate) outbound mapping of it.
 *
 * <pre>
 *   args: fabricDir service mode [seed]
 *   modes: huge-length      a record header claiming 0x7ffffff0 bytes
 *          negative-length  a record length of -2
 *          far-pointer      the write pointer set to 2^62 over a zeroed ring
 *          back-pointer     the write pointer set to -8
 *          pad-overrun      a wrap marker at the ring's start with only 8 bytes written
 *          short-frame      a well-formed 4-byte record (shorter than any RPC frame header)
 *          random           random words over the ring, its header and the control area, then a
 *                           random write pointer, many times
 *   prints "connected", writes, prints "written", then waits for a line on stdin before closing.
 * </pre>
 */
public final class HostilePeerMain {
    private HostilePeerMain() {
    }

    public static void main(final String[] args) throws Exception {
        final String mode = args[2];
        final long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("hostile-" + ProcessHandle.current().pid());
             Connection c = Vmmc.connect(ep, args[1], new ConnectionContext().ringCapacity(1 << 16), 20,
                 TimeUnit.SECONDS)) {
            System.out.println("connected");
            final OutboundMapping server = c.outbound();
            final long ring = server.getLong(ReceiveRegionDescriptor.RING_CAPACITY_OFFSET);
            try {
                scribble(server, mode, seed, ring);
                System.out.println("written");
            } catch (final RuntimeException dropped) {
                // the server dropped this connection meanwhile (its region is gone): that is the point
                System.out.println("written, cut off: " + dropped);
            }
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
    }

    private static void scribble(final OutboundMapping server, final String mode, final long seed, final long ring) {
        switch (mode) {
            case "huge-length":
                server.putLong(ReceiveRegionDescriptor.RING_OFFSET, 0x7ffffff0L);
                server.putLongVolatile(ReceiveRegionDescriptor.WRITE_POINTER_OFFSET, 64);
                break;
            case "negative-length":
                server.putLong(ReceiveRegionDescriptor.RING_OFFSET, -2L & 0xFFFFFFFFL);
                server.putLongVolatile(ReceiveRegionDescriptor.WRITE_POINTER_OFFSET, 64);
                break;
            case "far-pointer":
                server.putLongVolatile(ReceiveRegionDescriptor.WRITE_POINTER_OFFSET, 1L << 62);
                break;
            case "back-pointer":
                server.putLongVolatile(ReceiveRegionDescriptor.WRITE_POINTER_OFFSET, -8);
                break;
            case "pad-overrun":
                server.putLong(ReceiveRegionDescriptor.RING_OFFSET, ReceiveRegionDescriptor.PAD_LENGTH & 0xFFFFFFFFL);
                server.putLongVolatile(ReceiveRegionDescriptor.WRITE_POINTER_OFFSET, 8);
                break;
            case "short-frame":
                server.putLong(ReceiveRegionDescriptor.RING_OFFSET, 4);
                server.putLongVolatile(ReceiveRegionDescriptor.WRITE_POINTER_OFFSET, 16);
                break;
            case "random":
                final SplittableRandom rnd = new SplittableRandom(seed);
                for (int round = 0; round < 2000; round++) {
                    for (int k = 0; k < 16; k++) {
                        // anywhere in the region's first pages: pointers, flags, control area, ring
                        final long at = 8L * rnd.nextLong((ReceiveRegionDescriptor.RING_OFFSET + Math.min(ring, 1 << 12)) / 8);
                        server.putLong(at, rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextInt(-16, 4096));
                    }
                    final long w = switch (rnd.nextInt(4)) {
                        case 0 -> rnd.nextLong();
                        case 1 -> 8L * rnd.nextInt(0, 1 << 14);
                        case 2 -> rnd.nextInt(-64, 64);
                        default -> 8L * rnd.nextInt(0, 64);
                    };
                    server.putLongVolatile(ReceiveRegionDescriptor.WRITE_POINTER_OFFSET, w);
                }
                break;
            default:
                throw new IllegalArgumentException("mode " + mode);
        }
    }
}
