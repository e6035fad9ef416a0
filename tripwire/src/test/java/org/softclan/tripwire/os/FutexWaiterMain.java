package org.softclan.tripwire.os;

import java.nio.file.Paths;

import net.openhft.chronicle.core.UnsafeMemory;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;

/**
 * A futex waiter run in its own JVM by the cross-process tests. It exports a region, then blocks in
 * {@link Futex#wait} on the int at data offset 0 (initially 0) until the word changes.
 *
 * <pre>
 *   args: fabricDir region warmUpCalls
 *   -> "available BOOLEAN DESCRIPTION"
 *   -> "waiting PID"                    after warm-up, just before blocking
 *   -> "woken VALUE OUTCOME CALLS"      the word's new value, the last wait's outcome, waits made
 * </pre>
 */
public final class FutexWaiterMain {
    /** Size of the region's data area. */
    static final long REGION_SIZE = 4096;

    private FutexWaiterMain() {
    }

    /**
     * Runs the waiter.
     *
     * @param args the fabric's directory, the region's name, how many zero-timeout waits to make
     *             before blocking (so the code the wait runs is loaded and compiled by then)
     */
    public static void main(final String[] args) {
        final int warmUps = Integer.parseInt(args[2]);
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("futex-waiter");
             InboundMapping in = ep.export(args[1], REGION_SIZE)) {
            final long word = in.localBytes().addressForRead(0);
            System.out.println("available " + Futex.isAvailable() + " " + Futex.describe());
            for (int i = 0; i < warmUps; i++) {
                Futex.wait(word, 0, 0);
                Futex.wait(word, 1, 0);
            }
            System.out.println("waiting " + ProcessHandle.current().pid());
            int value;
            int outcome = -1;
            int calls = 0;
            while ((value = UnsafeMemory.MEMORY.readVolatileInt(word)) == 0) {
                outcome = Futex.wait(word, 0, Futex.NO_TIMEOUT);
                calls++;
            }
            System.out.println("woken " + value + " " + Futex.outcomeName(outcome) + " " + calls);
        }
    }
}
