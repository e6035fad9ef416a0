package org.softclan.tripwire.os;

import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.core.UnsafeMemory;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;

/**
 * The far end of the futex ping-pong latency test, run in its own JVM. It exports a region with a
 * ping word at data offset {@link #PING} and a pong word at {@link #PONG}; for round {@code i} it
 * blocks until ping reads {@code i}, then stores {@code i} into pong and wakes it.
 *
 * <pre>
 *   args: fabricDir region rounds
 *   -> "ready"
 *   -> "done"        after the last round, or "stalled ROUND" if a round waited over 10 s
 * </pre>
 */
public final class FutexPingPongMain {
    /** Data offset of the word the test JVM writes. */
    static final long PING = 0;
    /** Data offset of the word this JVM writes, on its own cache line. */
    static final long PONG = 64;
    /** Size of the region's data area. */
    static final long REGION_SIZE = 4096;

    private FutexPingPongMain() {
    }

    /**
     * Runs the far end.
     *
     * @param args the fabric's directory, the region's name, the number of rounds
     */
    public static void main(final String[] args) {
        final int rounds = Integer.parseInt(args[2]);
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("futex-pong");
             InboundMapping in = ep.export(args[1], REGION_SIZE)) {
            final long ping = in.localBytes().addressForRead(PING);
            final long pong = in.localBytes().addressForRead(PONG);
            System.out.println("ready");
            for (int i = 1; i <= rounds; i++) {
                if (!awaitValue(ping, i, TimeUnit.SECONDS.toNanos(10))) {
                    System.out.println("stalled " + i);
                    return;
                }
                UnsafeMemory.MEMORY.writeVolatileInt(pong, i);
                Futex.wake(pong, 1);
            }
            System.out.println("done");
        }
    }

    /** Blocks until the word at {@code address} reads {@code want}; false if that takes over the timeout. */
    static boolean awaitValue(final long address, final int want, final long timeoutNanos) {
        final long deadline = System.nanoTime() + timeoutNanos;
        int v;
        while ((v = UnsafeMemory.MEMORY.readVolatileInt(address)) != want) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            Futex.wait(address, v, left);
        }
        return true;
    }
}
