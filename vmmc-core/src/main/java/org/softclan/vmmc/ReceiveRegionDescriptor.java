package org.softclan.vmmc;

/**
 * The layout of a connection end's receive region: the one place its offsets are defined. The region
 * is owned (exported) by one end and written by the other through its outbound mapping, so every
 * word here that the peer writes is input to the owner ({@link Connection} checks each before use).
 *
 * <pre>
 *  offset  word                                               written by
 *     0    write pointer (long): bytes the peer has written    the peer's sender, per message (release)
 *          into this ring; its store fires the data tripwire
 *   128    peer read pointer (long): bytes the peer has        the peer's receiver, per quarter ring
 *          consumed of the ring this end writes (in the        or on request
 *          peer's memory); its store fires the space tripwire
 *   256    peer closed (long): non-zero once the peer closed   the peer, once
 *   264    nudge (long): bumped to wake this end's waits       the peer ({@link Connection#nudgePeer()})
 *          (the space tripwire covers 128 to 271)
 *   320    ring capacity (long, bytes, a power of two)         the owner, before the peer connects
 *   384    answer (long): accepted or refused, for a           the server, once, during set-up
 *          connecting client's region; its store fires the
 *          client's tripwire
 *   448    answer key (long): the server's receive region's    the server, during set-up
 *          access key
 *   456    answer name (int length + at most 100 bytes):       the server, during set-up
 *          that region's name
 *   568    answer reason (int): why refused; -1: the server    the server, during set-up
 *          failed, and why is at 1024 (int length + UTF-8)
 *   640    read position (long): this end's position,          this end's receiver, per drained poll
 *          stored here when its ring is drained and not
 *          published into the peer's memory
 *   768    room wanted (long): bumped when the peer runs       the peer's sender, when short of room
 *          short of room in this ring
 *   776    eager publish (long): set before the peer's first   the peer's sender, once
 *          DMA send into this ring
 *  1024    control area ({@link #CONTROL_LENGTH} bytes): for   the layer above (byte streams); during
 *          the layer above                                     set-up, the refusal text
 *  4096    ring: records {length (int), reserved (int),        the peer's sender
 *          payload, padding to 8 bytes}; a length of
 *          {@link #PAD_LENGTH} means "skip to the ring's start"
 * </pre>
 *
 * Sharing of cache lines: words that different threads write in steady state are 128 bytes apart (a
 * cache line and the one the adjacent-line prefetcher pairs with it), as Agrona spaces them: the write
 * pointer (the peer's sender), the peer read pointer (the peer's receiver), the read position (this
 * end's receiver) and room wanted (the peer's sender, when short of room). Words written once or
 * rarely (closed, nudge, capacity, the answer) share lines among themselves.
 */
final class ReceiveRegionDescriptor {
    static final int WRITE_POINTER_OFFSET = 0;
    static final int PEER_READ_POINTER_OFFSET = 128;
    static final int PEER_CLOSED_OFFSET = 256;
    static final int NUDGE_OFFSET = 264;
    static final int RING_CAPACITY_OFFSET = 320;
    static final int ANSWER_OFFSET = 384;
    static final int ANSWER_KEY_OFFSET = 448;
    static final int ANSWER_NAME_OFFSET = 456;
    static final int ANSWER_REASON_OFFSET = 568;
    /**
     * Why a listener could not make the connection (int length + UTF-8, at most 1 KiB), in the control
     * area, which is not in use before the connection exists.
     */
    static final int ANSWER_TEXT_OFFSET = 1024;
    static final int READ_POSITION_OFFSET = 640;
    static final int ROOM_WANTED_OFFSET = 768;
    static final int EAGER_PUBLISH_OFFSET = 776;
    static final int CONTROL_OFFSET = 1024;
    static final int RING_OFFSET = 4096;
    /** The largest ring capacity: the largest power of two an int holds ({@link ConnectionContext#ringCapacity}). */
    static final long MAX_RING_CAPACITY = 1L << 30;
    /** Bytes of the control area: from {@link #CONTROL_OFFSET} to the ring. */
    static final int CONTROL_LENGTH = RING_OFFSET - CONTROL_OFFSET;
    /** The record length that marks the rest of the ring as skipped (the next record is at its start). */
    static final int PAD_LENGTH = -1;
    /** Bytes of a record's header: its length (int) and a reserved int. */
    static final int RECORD_HEADER_LENGTH = 8;

    /** Answer word: the server accepted; its region's key and name follow. */
    static final long ANSWER_ACCEPTED = 4;
    /** Answer word: the server refused; the reason word says why. */
    static final long ANSWER_REFUSED = 5;
    /** The refusal reason a listener gives when it failed to make the connection; the text says why. */
    static final int REASON_SERVER_FAILED = -1;
    /** Longest refusal text at {@link #ANSWER_TEXT_OFFSET}, in bytes of UTF-8. */
    static final int ANSWER_TEXT_MAX = 1024;

    private ReceiveRegionDescriptor() {
    }

    /** @return the bytes a record with {@code length} bytes of payload takes in the ring: header, payload, padding to 8 */
    static long recordLength(final int length) {
        return (RECORD_HEADER_LENGTH + (long) length + 7) & ~7L;
    }

    /** {@return bytes a receive region with a ring of {@code ringCapacity} bytes needs} */
    static long regionBytes(final int ringCapacity) {
        return RING_OFFSET + (long) ringCapacity;
    }

    /**
     * Reads and checks a receive region's ring capacity word: a power of two of at least 64 bytes whose
     * ring fits the region (the word is in memory the other end can write).
     *
     * @param m     the receive region's mapping
     * @param name  the connection's name, for the message
     * @param whose "this end's" or "the peer's", for the message
     * @return the capacity, in bytes
     * @throws PeerProtocolException if the word breaks that rule
     */
    static int ringCapacity(final org.softclan.dsm.Mapping m, final String name, final String whose) {
        final long value = m.getLongAcquire(RING_CAPACITY_OFFSET);
        if (value < 64 || value > MAX_RING_CAPACITY || Long.bitCount(value) != 1 || RING_OFFSET + value > m.size()) {
            throw new PeerProtocolException("connection " + name + ": " + whose + " receive region '"
                + m.regionName() + "' has ring capacity " + value + " (offset " + RING_CAPACITY_OFFSET + "); it must be a power"
                + " of two from 64 to " + Long.highestOneBit(Math.max(64, Math.min(MAX_RING_CAPACITY, m.size() - RING_OFFSET)))
                + " bytes (region of "
                + m.size() + " bytes)");
        }
        return (int) value;
    }
}
