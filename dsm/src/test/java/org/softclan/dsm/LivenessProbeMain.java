package org.softclan.dsm;

import java.nio.file.Paths;

/**
 * Another process's view of a region's owner, run in its own JVM by {@link OwnerLivenessTest}.
 *
 * <pre>
 *   args: fabricDir region
 *   -> "alive true|false"                      what RegionInfo.ownerAlive() says
 *   -> "export refused|exported GENERATION"    whether it may export the name itself (it closes
 *                                              what it exported at once)
 * </pre>
 */
public final class LivenessProbeMain {
    private LivenessProbeMain() {
    }

    public static void main(final String[] args) {
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("probe-" + ProcessHandle.current().pid())) {
            System.out.println("alive " + fabric.region(args[1]).orElseThrow().ownerAlive());
            try (InboundMapping in = ep.export(args[1], 64)) {
                System.out.println("exported " + in.generation());
            } catch (final RegionExistsException e) {
                System.out.println("export refused");
            }
        }
    }
}
