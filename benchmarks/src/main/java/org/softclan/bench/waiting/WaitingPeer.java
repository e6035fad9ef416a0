package org.softclan.bench.waiting;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.softclan.bench.peers.PeerProcess;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Vmmc;

/**
 * The sending JVM of {@code vmmc bench waiting}: connects to a service of the measuring JVM and sends it
 * messages after gaps drawn from a distribution, each stamped with the {@link System#nanoTime()} read just
 * before its send (the two JVMs share the host's monotonic clock). Commands on standard input, one answer
 * line each ({@code OK ...} or {@code error ...}):
 *
 * <pre>
 * send SERVICE GAP_NS fixed|exponential COUNT SEED   COUNT messages, the gap before each fixed or drawn with
 *                                                    mean GAP_NS; answers OK sent=COUNT late=L (sends that
 *                                                    left more than a gap after their time)
 * exit
 * </pre>
 */
public final class WaitingPeer {
    /** Bytes of each message: its number and its send time. */
    static final int MESSAGE = 16;
    /** Below this much time to wait, the sender spins; above, it parks until this much is left. */
    private static final long SPIN_TAIL_NANOS = TimeUnit.MICROSECONDS.toNanos(80);

    private WaitingPeer() {
    }

    /**
     * @param args the fabric's directory
     * @throws IOException if standard input fails
     */
    public static void main(final String[] args) throws IOException {
        try (Fabric fabric = Fabric.open(Path.of(args[0])); Endpoint ep = fabric.openEndpoint("waiting-sender")) {
            PeerProcess.serveCommands(c -> {
                if (!c[0].equals("send") || c.length != 6) {
                    throw new IllegalArgumentException("the commands are: send SERVICE GAP_NS DIST COUNT SEED, exit");
                }
                return send(ep, c[1], Long.parseLong(c[2]), c[3], Integer.parseInt(c[4]), Long.parseLong(c[5]));
            });
        }
    }

    private static String send(final Endpoint ep, final String service, final long gapNanos, final String dist,
                               final int count, final long seed) {
        final boolean exponential = switch (dist) {
            case "fixed" -> false;
            case "exponential" -> true;
            default -> throw new IllegalArgumentException("distribution '" + dist + "': fixed or exponential");
        };
        final SplittableRandom random = new SplittableRandom(seed);
        final ByteBuffer msg = ByteBuffer.allocate(MESSAGE).order(ByteOrder.nativeOrder());
        int late = 0;
        try (Connection c = Vmmc.connect(ep, service, new ConnectionContext(), 30, TimeUnit.SECONDS)) {
            long last = System.nanoTime();
            for (int i = 0; i < count; i++) {
                final long gap = exponential ? (long) (-gapNanos * Math.log(1 - random.nextDouble())) : gapNanos;
                final long due = last + gap;
                long now;
                while ((now = System.nanoTime()) - due < 0) {
                    final long left = due - now;
                    if (left > SPIN_TAIL_NANOS) {
                        LockSupport.parkNanos(left - SPIN_TAIL_NANOS);
                    } else {
                        Thread.onSpinWait();
                    }
                }
                if (now - due > Math.max(gapNanos, 1_000)) {
                    late++;
                }
                msg.putLong(0, i).putLong(8, System.nanoTime());
                c.send(msg.array(), 10, TimeUnit.SECONDS);
                last = now;
            }
        }
        return "sent=" + count + " late=" + late;
    }
}
