package org.softclan.dsm;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;

/**
 * Opens a fabric (private, or shared with the group), exports region {@code r} and imports it, prints
 * {@code ready}, and keeps everything open until it reads a line. Run by {@link FabricPrivacyTest}
 * under a chosen umask.
 *
 * <pre>
 *   args: fabricDir shareWithGroup(true|false)
 * </pre>
 */
public final class FabricModeMain {
    private FabricModeMain() {
    }

    @SuppressWarnings("try")   // the exported region "r" only has to exist while the block runs
    public static void main(final String[] args) throws Exception {
        try (Fabric fabric = Fabric.open(new Fabric.Context().root(Paths.get(args[0]))
                .shareWithGroup(Boolean.parseBoolean(args[1])));
             Endpoint ep = fabric.openEndpoint("modes");
             InboundMapping in = ep.export("r", 4096);
             OutboundMapping out = ep.importRegion("r")) {
            out.putLong(0, 1);
            System.out.println("ready " + ep.owner().livenessFile());
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
    }
}
