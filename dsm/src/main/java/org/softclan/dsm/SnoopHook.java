package org.softclan.dsm;

/**
 * Called by the NIC write path for every transfer it moves, after the bytes are stored (so data is
 * always visible before anything the hook publishes). This is where the Tripwire unit plugs in.
 *
 * <p>Each transfer through an {@link OutboundMapping} (a PIO store, a bulk put, one burst of a DMA
 * transfer) is reported twice: once with {@link Direction#OUTBOUND}, as the initiator's NIC sends it,
 * and once with {@link Direction#INBOUND}, where it lands in the region's memory. On one host both
 * NICs are this library in the writer's process, so both calls happen on the writing thread (or the
 * DMA engine's thread). A network link makes the {@code INBOUND} call in the owner's NIC agent.
 * Stores an owner makes to its own {@link InboundMapping} do not pass through the NIC and are not
 * snooped. Remote reads are not snooped.
 *
 * <p>A hook runs on the write path: it must be fast, must not block, and must not throw. The cost of
 * having no hook installed is one volatile read and a null check per transfer.
 */
@FunctionalInterface
public interface SnoopHook {
    /**
     * Reports one transfer, once its bytes are stored.
     *
     * @param mapping   the mapping the transfer went through (gives the region name and generation)
     * @param offset    first byte of the transfer, from the start of the region's data area
     * @param length    bytes transferred
     * @param direction which NIC saw the transfer
     */
    void onTransfer(Mapping mapping, long offset, long length, Direction direction);

    /**
     * Called once when {@code mapping} closes, after its last transfer and after it is unmapped: the
     * hook releases what it holds for that mapping (the Tripwire unit's imports of event queues). Must
     * not throw. The default holds nothing.
     *
     * @param mapping the mapping that closed
     */
    default void detach(Mapping mapping) {
    }

    /**
     * Counts what the hook did for the endpoint's statistics: for the Tripwire unit's hook, the tripwires
     * its transfers fired. Called by the statistics publisher, not on the write path; any thread. The default
     * counts nothing.
     *
     * @return actions taken since the hook was installed (0 by default)
     */
    default long actions() {
        return 0;
    }
}
