package org.softclan.vmmc;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.TripwireUnit;

/**
 * A message sender run in its own JVM by the message-queue tests.
 *
 * <pre>
 *   args: fabricDir service count senderId [connections]
 *   sends `count` messages {@link #message}(senderId, i) over each of `connections` (default 1)
 *   connections, round-robin, then prints "sent N blocked B" (B: sends that found the ring full) and
 *   waits for a line on standard input before closing.
 * </pre>
 */
public final class MqSenderMain {
    private MqSenderMain() {
    }

    /** Message i of a sender: its length varies from 0 to 1023 bytes; it starts with (sender, i) where it fits. */
    static byte[] message(final int sender, final long i) {
        final byte[] b = new byte[(int) ((i * 7919 + sender * 31) % 1024)];
        for (int k = 0; k < b.length; k++) {
            b[k] = (byte) (i + k * 13 + sender);
        }
        if (b.length >= 12) {
            putLong(b, 0, i);
            putInt(b, 8, sender);
        }
        return b;
    }

    static void putLong(final byte[] b, final int at, final long v) {
        for (int k = 0; k < 8; k++) {
            b[at + k] = (byte) (v >>> (8 * k));
        }
    }

    static void putInt(final byte[] b, final int at, final int v) {
        for (int k = 0; k < 4; k++) {
            b[at + k] = (byte) (v >>> (8 * k));
        }
    }

    public static void main(final String[] args) throws Exception {
        final long count = Long.parseLong(args[2]);
        final int sender = Integer.parseInt(args[3]);
        final int connections = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("sender-" + sender);
             TripwireUnit unit = TripwireUnit.open(ep, new TripwireUnit.Context().queueCapacity(1024))) {
            final List<Connection> cs = new ArrayList<>();
            final ConnectionContext ctx = new ConnectionContext().unit(unit)
                .ringCapacity(connections > 1 ? 4096 : 1 << 20);
            for (int c = 0; c < connections; c++) {
                cs.add(Vmmc.connect(ep, args[1], ctx, 30, TimeUnit.SECONDS));
            }
            System.out.println("connected " + cs.size());
            long blocked = 0;
            for (long i = 0; i < count; i++) {
                final byte[] m = message(sender, i);
                for (final Connection c : cs) {
                    if (!c.offer(m, 0, m.length)) {
                        blocked++;
                        c.send(m, 0, m.length, 60, TimeUnit.SECONDS);
                    }
                }
            }
            System.out.println("sent " + count + " blocked " + blocked);
            System.in.read();
            for (final Connection c : cs) {
                c.close();
            }
        } catch (final PeerGoneException e) {
            System.out.println("peer gone: " + e.getMessage());
        }
    }
}
