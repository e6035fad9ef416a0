package org.softclan.dsm.stat;

import java.nio.file.Paths;

import org.agrona.concurrent.status.AtomicCounter;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * An endpoint in its own JVM for the statistics tests.
 *
 * <pre>
 *   args: fabricDir endpoint regions count [region]
 *   exports `regions` regions, counts `count` in an application counter "messages sent", records one error
 *   three times, if `region` is given imports it and writes 10 longs and 4096 bytes into it (4176 bytes by
 *   PIO) and closes the mapping, prints "ready", then waits for a line on standard input and closes
 * </pre>
 */
public final class StatChildMain {
    private StatChildMain() {
    }

    public static void main(final String[] args) throws Exception {
        final int regions = Integer.parseInt(args[2]);
        final long count = Long.parseLong(args[3]);
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint(args[1])) {
            for (int i = 0; i < regions; i++) {
                ep.export("child-region-" + i, 4096);
            }
            final AtomicCounter sent = ep.stats().counter("messages sent, test child", StatTypes.APPLICATION);
            for (long i = 0; i < count; i++) {
                sent.incrementRelease();
            }
            for (int i = 0; i < 3; i++) {
                ep.stats().recordError(new IllegalStateException("a test error of the child"));
            }
            if (args.length > 4) {
                final org.softclan.dsm.OutboundMapping out = ep.importRegion(args[4]);
                for (int i = 0; i < 10; i++) {
                    out.putLongRelease(8L * i, i);
                }
                out.put(4096, new byte[4096]);
                out.close();   // its count moves to the endpoint's totals
            }
            System.out.println("ready");
            System.in.read();
        }
    }
}
