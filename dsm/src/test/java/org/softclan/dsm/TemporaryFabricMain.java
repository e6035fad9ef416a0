package org.softclan.dsm;

/**
 * Creates a temporary fabric with an endpoint and a region, prints "dir PATH", then waits to be killed
 * ({@link TemporaryFabricSweepTest}).
 */
public final class TemporaryFabricMain {
    private TemporaryFabricMain() {
    }

    public static void main(final String[] args) throws Exception {
        final Fabric fabric = Fabric.createTemporary();
        final Endpoint ep = fabric.openEndpoint("doomed");
        ep.export("left", 4096);
        System.out.println("dir " + fabric.root());
        System.in.read();   // until killed (or its input closes)
        fabric.close();
    }
}
