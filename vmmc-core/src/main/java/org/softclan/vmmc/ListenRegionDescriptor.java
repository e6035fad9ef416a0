package org.softclan.vmmc;

/**
 * The layout of a service's listen region ({@code <service>.listen}, exported by the server): the one
 * place its offsets and slot states are defined. Any process that may import the region (every client)
 * can write any of it, so every word is input to the {@link Listener} (a state it does not know, a name
 * length out of bounds and a dead claimant are each handled, never trusted).
 *
 * <pre>
 *  offset                      word                                          written by
 *     0 .. 4095                region header and tripwire sidecar             the NIC (see RegionLayout)
 *  4096 + 256 * i              slot i of {@value #SLOT_COUNT}:
 *    + 0    state (long)       {@link #FREE}, {@link #CLAIMED},               the client (CAS to claim, then
 *                              {@link #REQUESTED}, {@link #ACCEPTING}        requested); the listener (accepting,
 *                                                                             free); its store of requested fires
 *                                                                             the listener's tripwire
 *    + 8    client pid (long)                                                 the client, after claiming
 *    + 16   client key (long): its receive region's access key                the client, after claiming
 *    + 24   client name (int length + at most {@value #NAME_MAX} bytes):      the client, after claiming
 *           its receive region's name
 *    + 128  claimant (long): the liveness id of the client's endpoint        the client's claiming CAS; whoever
 *           (0: free)                                                        frees the slot, after the state
 *    + 136  client host (int length + at most {@value #NAME_MAX} bytes):      the client, after claiming
 *           empty for a client of this host; else the host whose NIC agent
 *           serves its receive region (the listener imports NAME@HOST, and
 *           a claimant there is alive while that host is reachable)
 * </pre>
 *
 * The answer to a request is not here: the listener writes it into the client's receive region
 * ({@link ReceiveRegionDescriptor#ANSWER_OFFSET}).
 */
final class ListenRegionDescriptor {
    /** Request slots in a listen region. */
    static final int SLOT_COUNT = 64;
    /** Bytes of one slot. */
    static final int SLOT_LENGTH = 256;
    /** Offset of slot 0 (the first page holds nothing of the protocol). */
    static final int FIRST_SLOT_OFFSET = 4096;
    /** Bytes of a listen region's data area. */
    static final long REGION_LENGTH = FIRST_SLOT_OFFSET + (long) SLOT_COUNT * SLOT_LENGTH;

    /** Offset in a slot of its state (long). */
    static final int SLOT_STATE_OFFSET = 0;
    /** Offset in a slot of the client's pid (long). */
    static final int SLOT_CLIENT_PID_OFFSET = 8;
    /** Offset in a slot of the client receive region's access key (long). */
    static final int SLOT_CLIENT_KEY_OFFSET = 16;
    /** Offset in a slot of the client receive region's name (int length, then the bytes). */
    static final int SLOT_CLIENT_NAME_OFFSET = 24;
    /**
     * Offset in a slot of the claimant (long): the liveness id of the client's endpoint, stored by the
     * compare-and-set that claims the slot (0: the slot is free). Whoever frees the slot sets the state
     * first, then this word. A listener frees a slot whose claimant is dead ({@link Listener}), so a client
     * killed inside connect holds its slot only until the listener's next look.
     */
    static final int SLOT_CLAIMANT_OFFSET = 128;
    /** Offset in a slot of the client's host (int length, then the bytes; length 0: this host). */
    static final int SLOT_CLIENT_HOST_OFFSET = 136;
    /** Longest region name in a slot or an answer, in bytes. */
    static final int NAME_MAX = 100;

    /** Slot state: free to claim. */
    static final long FREE = 0;
    /** Slot state: claimed by a client, which is writing its request. */
    static final long CLAIMED = 1;
    /** Slot state: the request is complete; the listener may take it. */
    static final long REQUESTED = 2;
    /** Slot state: the listener is making the connection. */
    static final long ACCEPTING = 3;

    private ListenRegionDescriptor() {
    }

    /** @return the offset of slot {@code i} ({@code 0 <= i < SLOT_COUNT}, not checked) */
    static long slotOffset(final int i) {
        return FIRST_SLOT_OFFSET + (long) SLOT_LENGTH * i;
    }
}
