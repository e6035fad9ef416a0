package org.softclan.vmmc.stream;

import org.softclan.vmmc.Connection;

/**
 * The layout of a byte stream's control area: the one place its offsets and post states are defined.
 * Each direction of a stream has one, in the control area of the sending end's receive region
 * ({@link Connection#controlOffset}), written by the receiver of that direction through its outbound
 * mapping; so every word of it is input to the sender, checked before use ({@link PeerPostTable}).
 * The receiver writes it through {@link PostTable}.
 *
 * <pre>
 *  offset in the control area  word                                            written by
 *     0    receive mode (long): 0 (not set yet) or ReceiveTechnique.ordinal()   the receiver, on a
 *          + 1                                                                  technique change (release)
 *     8    deposit ready (long): 0, or 1 once the deposit region's key and      the receiver, once
 *          name below are written                                               (release)
 *    16    deposit region key (long)                                            the receiver, once
 *    24    deposit region name: int length (1 to {@value #MAX_DEPOSIT_NAME}),   the receiver, once
 *          then UTF-8 bytes; the peer's receive region's name + "-dep"
 *   512    post table: {@value #POST_SLOTS} slots of {@value #POST_SLOT_LENGTH} bytes; post #seq
 *          lives in slot seq % {@value #POST_SLOTS}:
 *            + 0   state (long): seq &lt;&lt; 2 | {@link #POSTED},                   the receiver (posted,
 *                  {@link #SENDER_TAKEN} or {@link #RECEIVER_TAKEN}              release; taken back, CAS);
 *                  (0: never used)                                               the sender (taken, CAS)
 *            + 8   offset of the buffer in the deposit region                   the receiver, before the
 *                  ({@value #DEPOSIT_ALIGN}-byte aligned)                        state
 *            + 16  capacity of the buffer, bytes (1 to Integer.MAX_VALUE,        the receiver, before the
 *                  inside the deposit region)                                    state
 * </pre>
 */
final class StreamControlDescriptor {
    /** Offset (in the receive region) of the receive mode. */
    static final long MODE_OFFSET = Connection.controlOffset(0);
    /** Offset (in the receive region) of the deposit-ready flag. */
    static final long DEPOSIT_READY_OFFSET = Connection.controlOffset(8);
    /** Offset (in the receive region) of the deposit region's access key. */
    static final long DEPOSIT_KEY_OFFSET = Connection.controlOffset(16);
    /** Offset (in the receive region) of the deposit region's name (int length, then the bytes). */
    static final long DEPOSIT_NAME_OFFSET = Connection.controlOffset(24);
    /** Offset (in the receive region) of the deposit region name's UTF-8 bytes, after its int length. */
    static final long DEPOSIT_NAME_BYTES_OFFSET = DEPOSIT_NAME_OFFSET + 4;
    /** Longest deposit region name the peer may announce, in bytes (the fabric's names are at most 100). */
    static final int MAX_DEPOSIT_NAME = 200;
    /** Offset within the control area of the post table. */
    static final int POST_TABLE = 512;
    /** Slots of the post table: posts outstanding at most. */
    static final int POST_SLOTS = 64;
    /** Bytes of one post slot. */
    static final int POST_SLOT_LENGTH = 32;
    /** Offset in a post slot of its state (long). */
    static final int POST_STATE_OFFSET = 0;
    /** Offset in a post slot of the buffer's offset in the deposit region (long). */
    static final int POST_BUFFER_OFFSET = 8;
    /** Offset in a post slot of the buffer's capacity (long, bytes). */
    static final int POST_CAPACITY_OFFSET = 16;
    /** Post state (low two bits): posted by the receiver, free for the sender to take. */
    static final long POSTED = 1;
    /** Post state: taken by the sender, which deposits into the buffer. */
    static final long SENDER_TAKEN = 2;
    /** Post state: taken back by the receiver (reading without it). */
    static final long RECEIVER_TAKEN = 3;
    /** Alignment of a posted buffer in the deposit region, bytes. */
    static final int DEPOSIT_ALIGN = 64;

    private StreamControlDescriptor() {
    }

    /** {@return the offset (in the receive region) of the slot of post {@code seq}} */
    static long postSlotOffset(final long seq) {
        return Connection.controlOffset(POST_TABLE + (int) (seq % POST_SLOTS) * POST_SLOT_LENGTH);
    }

    /** {@return the state word of post {@code seq} in state {@code state}} */
    static long postState(final long seq, final long state) {
        return seq << 2 | state;
    }
}
