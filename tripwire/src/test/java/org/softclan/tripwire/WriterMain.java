package org.softclan.tripwire;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegisteredMemory;

/**
 * A writer run in its own JVM by the tripwire tests: imports a region, then obeys one command per
 * line and answers one line.
 *
 * <pre>
 *   args: fabricDir region          -> "ready"
 *   pio OFF VALUE                   -> "done"   release store of a long
 *   bulk OFF LEN                    -> "done"   one bulk put of LEN bytes
 *   dma OFF LEN                     -> "done"   one DMA write of LEN bytes, waited for
 *   out-arm OFF                     -> "armed"  an outbound tripwire on this process's own mapping
 *   out-events                      -> "events N"  events its unit has received so far
 *   stress ID N WATCHED UNWATCHED   -> "done"   N writes alternating between the word at WATCHED + 8 * ID
 *                                               (value ID << 40 | i) and UNWATCHED + 8 * ID
 *   exit                            -> "bye"
 * </pre>
 */
public final class WriterMain {
    private WriterMain() {
    }

    public static void main(final String[] args) throws Exception {
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("writer-" + ProcessHandle.current().pid());
             TripwireUnit unit = TripwireUnit.open(ep)) {
            final OutboundMapping out = ep.importRegion(args[1]);
            final RegisteredMemory staging = ep.allocate(1 << 20);
            long ownEvents = 0;
            System.out.println("ready");
            final BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                final String[] c = line.trim().split(" ");
                try {
                    switch (c[0]) {
                        case "pio":
                            out.putLongRelease(Long.parseLong(c[1]), Long.parseLong(c[2]));
                            System.out.println("done");
                            break;
                        case "bulk":
                            out.put(Long.parseLong(c[1]), new byte[Integer.parseInt(c[2])]);
                            System.out.println("done");
                            break;
                        case "dma":
                            ep.dma().write(staging, 0, out, Long.parseLong(c[1]), Long.parseLong(c[2]))
                                .join(30, TimeUnit.SECONDS);
                            System.out.println("done");
                            break;
                        case "out-arm":
                            unit.arm(out, Tripwire.Options.word(Long.parseLong(c[1])).watch(Tripwire.Watch.OUTBOUND));
                            System.out.println("armed");
                            break;
                        case "out-events":
                            ownEvents += unit.events().poll((s, i, k, g, o, l, v) -> { }, Integer.MAX_VALUE);
                            System.out.println("events " + ownEvents);
                            break;
                        case "stress": {
                            final long id = Long.parseLong(c[1]);
                            final long n = Long.parseLong(c[2]);
                            final long watched = Long.parseLong(c[3]) + 8 * id;
                            final long unwatched = Long.parseLong(c[4]) + 8 * id;
                            for (long i = 0; i < n; i++) {
                                if ((i & 1) == 0) {
                                    out.putLongRelease(watched, id << 40 | i);
                                } else {
                                    out.putLongRelease(unwatched, i);
                                }
                            }
                            System.out.println("done");
                            break;
                        }
                        case "exit":
                            System.out.println("bye");
                            return;
                        default:
                            System.out.println("error unknown command " + c[0]);
                    }
                } catch (final RuntimeException e) {
                    System.out.println("error " + e);
                }
            }
        }
    }
}
