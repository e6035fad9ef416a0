package org.softclan.dsm;

/** Which side of the NIC saw a transfer. */
public enum Direction {
    /** The initiator's NIC, as the transfer leaves through an outbound mapping. */
    OUTBOUND,
    /** The owner's NIC, where the transfer lands in the region's memory. */
    INBOUND
}
