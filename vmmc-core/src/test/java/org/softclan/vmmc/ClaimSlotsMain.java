package org.softclan.vmmc;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;

/**
 * A client that dies inside connect, run in its own JVM: it claims every request slot of a listener
 * the way {@link Vmmc#connect} does (claimant word, then state), prints "claimed N", and waits to be
 * killed before it fills any of them. With {@code bad-names} it fills each slot it claimed with a
 * request naming a receive region that cannot exist ("../not a region I") and publishes it, as a live
 * hostile client would, before it prints "claimed N". With {@code garbage:STATE:CLAIMANT} it writes those
 * two words into every slot and exits.
 *
 * <pre>
 *   args: fabricDir service [bad-names | garbage:STATE:CLAIMANT]
 * </pre>
 */
public final class ClaimSlotsMain {
    private ClaimSlotsMain() {
    }

    public static void main(final String[] args) throws Exception {
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("claimer");
             OutboundMapping listen = ep.importRegion(Rendezvous.listenRegion(args[1]))) {
            final long me = ep.owner().livenessId();
            final String mode = args.length > 2 ? args[2] : "";
            if (mode.startsWith("garbage:")) {
                // garbage:STATE:CLAIMANT into every slot, as a faulty peer could leave it, then exit
                final String[] w = mode.split(":");
                for (int i = 0; i < ListenRegionDescriptor.SLOT_COUNT; i++) {
                    final long at = ListenRegionDescriptor.slotOffset(i);
                    listen.putLongVolatile(at + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET, Long.parseLong(w[2]));
                    listen.putLongVolatile(at + ListenRegionDescriptor.SLOT_STATE_OFFSET, Long.parseLong(w[1]));
                }
                System.out.println("claimed " + ListenRegionDescriptor.SLOT_COUNT);
                return;
            }
            final boolean badNames = mode.equals("bad-names");
            int claimed = 0;
            for (int i = 0; i < ListenRegionDescriptor.SLOT_COUNT; i++) {
                final long at = ListenRegionDescriptor.slotOffset(i);
                if (listen.compareAndSetLong(at + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET, 0, me)) {
                    listen.putLongVolatile(at + ListenRegionDescriptor.SLOT_STATE_OFFSET, ListenRegionDescriptor.CLAIMED);
                    if (badNames) {
                        listen.putLong(at + ListenRegionDescriptor.SLOT_CLIENT_KEY_OFFSET, 1);
                        // every other one a name with '@' and no host: it must not send the listener to another host
                        Rendezvous.putName(listen, at + ListenRegionDescriptor.SLOT_CLIENT_NAME_OFFSET,
                            i % 2 == 0 ? "../not a region " + i : "victim" + i + "@elsewhere");
                        Rendezvous.putName(listen, at + ListenRegionDescriptor.SLOT_CLIENT_HOST_OFFSET, "");
                        listen.putLongVolatile(at + ListenRegionDescriptor.SLOT_STATE_OFFSET, ListenRegionDescriptor.REQUESTED);
                    }
                    claimed++;
                }
            }
            System.out.println("claimed " + claimed);
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
    }
}
