package org.softclan.tripwire;

import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.SnoopHook;
import org.softclan.dsm.SnoopHookProvider;

/**
 * Plugs the Tripwire unit into the NIC: registered as a {@link SnoopHookProvider} service, it gives
 * every outbound mapping made in this JVM a {@link TripwireSnoop}, and asks for a sidecar big enough
 * for {@link TripwireUnit#DEFAULT_TRIPWIRES} tripwires in every region exported without an explicit
 * sidecar size.
 */
public final class TripwireSnoopProvider implements SnoopHookProvider {
    /** Used by {@link java.util.ServiceLoader}. */
    public TripwireSnoopProvider() {
    }

    @Override
    public SnoopHook hookFor(final OutboundMapping mapping) {
        return new TripwireSnoop(mapping);
    }

    @Override
    public long sidecarBytes(final long dataSize) {
        return TripwireUnit.sidecarBytes(dataSize, TripwireUnit.DEFAULT_TRIPWIRES);
    }
}
