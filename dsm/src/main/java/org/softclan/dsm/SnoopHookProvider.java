package org.softclan.dsm;

/**
 * A source of snoop hooks for new outbound mappings, found with {@link java.util.ServiceLoader}: a
 * layer above the NIC (the Tripwire unit) registers one in
 * {@code META-INF/services/org.softclan.dsm.SnoopHookProvider}, and from then on every outbound
 * mapping made in this JVM is snooped, whoever imported it. This is how a write from any process on
 * the host reaches the tripwires of the region it lands in.
 *
 * <p>An endpoint's {@link Endpoint#defaultSnoopHook(SnoopHook)} takes precedence over providers.
 */
public interface SnoopHookProvider {
    /**
     * Offers a hook for a new outbound mapping whose endpoint has no default hook. Providers are asked
     * in the order {@link java.util.ServiceLoader} finds them; the first hook offered is installed.
     *
     * @param mapping a new outbound mapping, not yet used
     * @return the hook for transfers through it, or {@code null} for none
     */
    SnoopHook hookFor(OutboundMapping mapping);

    /**
     * Asks how much sidecar this layer wants in a region exported without an explicit sidecar size.
     *
     * @param dataSize the data size of a region being exported without an explicit sidecar size
     * @return the sidecar bytes this layer wants in such a region (the largest wish of all providers
     *         is granted); 0 for none
     */
    default long sidecarBytes(final long dataSize) {
        return 0;
    }
}
