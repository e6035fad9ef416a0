package org.softclan.dsm;

import java.nio.file.Paths;

/**
 * Opens the fabric at {@code args[0]} and exports a region, then prints {@code exported}, or
 * {@code refused CLASS: MESSAGE} for whatever was thrown. Run by {@link JvmFlagsTest} in a JVM started
 * without the build's {@code --add-opens}/{@code --add-exports} flags.
 */
public final class ExportWithoutFlagsMain {
    private ExportWithoutFlagsMain() {
    }

    public static void main(final String[] args) {
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("no-flags");
             InboundMapping in = ep.export("r", 4 << 20)) {
            System.out.println("exported " + in.generation());
        } catch (final Throwable t) {
            System.out.println("refused " + t.getClass().getSimpleName() + ": " + t.getMessage());
        }
    }
}
