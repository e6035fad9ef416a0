package org.softclan.net;

import static org.softclan.dsm.Link.BYTE_ARRAY_BASE;
import static org.softclan.net.LinkMessageDescriptor.KIND_BYTES;
import static org.softclan.net.LinkMessageDescriptor.KIND_LONG_RELEASE;
import static org.softclan.net.LinkMessageDescriptor.KIND_LONG_VOLATILE;
import static org.softclan.net.LinkMessageDescriptor.READ_GENERATION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_HOST_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_KEY_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_NAMES_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_NAME_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_OFFSET_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_REPLY_DATA_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_TYPE;
import static org.softclan.net.LinkMessageDescriptor.REPLY_STATUS_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.REPLY_TEXT_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.STATUS_ACCESS_DENIED;
import static org.softclan.net.LinkMessageDescriptor.STATUS_BOUNDS;
import static org.softclan.net.LinkMessageDescriptor.STATUS_NO_SUCH_REGION;
import static org.softclan.net.LinkMessageDescriptor.STATUS_OK;
import static org.softclan.net.LinkMessageDescriptor.STATUS_STALE;
import static org.softclan.net.LinkMessageDescriptor.WRITE_DATA_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_GENERATION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_KEY_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_KIND_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_NAME_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_NAME_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_OFFSET_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_TYPE;

import io.aeron.Publication;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.softclan.dsm.DsmException;
import org.softclan.dsm.Link;
import org.softclan.dsm.NoSuchRegionException;
import org.softclan.dsm.RegionAccessException;
import org.softclan.dsm.RegionBoundsException;
import org.softclan.dsm.StaleRegionException;

/**
 * A region of another host, imported through this host's {@link NicAgent}: no local memory; stores
 * become messages on the one publication to the owner's agent, which applies them through its own
 * import of the region (so the owner's tripwires fire there), in the order this host sent them. Reads
 * are request/response round trips.
 *
 * <p><b>Sending</b>: a plain store or burst is left in the publication for the agent's next duty cycle (its
 * duty thread's, or the one the next ordered store, request or driving wait runs), so a burst and the release
 * store after it usually leave in one datagram; an ordered store, a read and an atomic are sent at once.
 *
 * <p><b>Memory order</b> as the owner sees it: every store of one thread arrives in program order (one
 * publication per pair of hosts, ordered and reliable), so {@link #putLongRelease} is after every
 * earlier {@link #put} of the same thread, as a local release store. Stores return once the message is
 * in the publication, not once it is applied: a {@link #getLongVolatile} after a store from the same
 * thread is sent after it and so reads it.
 *
 * <p><b>Failures</b>: a store is checked against the region's size here
 * ({@link RegionBoundsException}, nothing sent); the owner checks the key and the generation of every
 * store again and refuses (counts, never applies in part) one that fails. A store that cannot be sent
 * within the agent's timeout (the owner's agent is gone or the link is cut) is a
 * {@link LinkTimeoutException}. A burst larger than one message (about 512 KiB) is sent as several, in
 * order; a tripwire in its range fires when the message holding that part is applied.
 *
 * <p>Threads: any number; one thread's stores are ordered among themselves, not with another's.
 */
public final class RemoteRegion {

    private final NicAgent agent;
    private final String host;
    private final String name;
    private final byte[] nameBytes;
    private final long key;
    private final long size;
    private final long generation;

    RemoteRegion(final NicAgent agent, final String host, final String name, final long key, final long size,
                 final long generation) {
        this.agent = agent;
        this.host = host;
        this.name = name;
        this.nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        this.key = key;
        this.size = size;
        this.generation = generation;
        agent.publication(host);   // a peer, or IllegalArgumentException
    }

    /** {@return the region's name on its host} */
    public String name() {
        return name;
    }

    /** {@return the owner's host} */
    public String host() {
        return host;
    }

    /** {@return the size of the region's data area, bytes} */
    public long size() {
        return size;
    }

    /** {@return the generation this import reaches} */
    public long generation() {
        return generation;
    }

    /**
     * Plain stores of {@code length} bytes of {@code src} from {@code srcOffset}, at {@code offset} of the
     * region (a burst).
     *
     * @param offset    the first byte's offset in the region's data area
     * @param src       the bytes
     * @param srcOffset the first of {@code src} to store
     * @param length    how many
     * @throws RegionBoundsException if the range is not inside the region (nothing is sent)
     * @throws LinkTimeoutException  if a message could not be sent within the agent's timeout; the
     *                               message says how many bytes went before
     */
    public void put(final long offset, final byte[] src, final int srcOffset, final int length) {
        Objects.checkFromIndexSize(srcOffset, length, src.length);
        write(offset, src, BYTE_ARRAY_BASE + srcOffset, length);
    }

    /**
     * A burst from {@code (srcBase, srcOffset)} (an array and its Unsafe offset, or {@code null} and a native
     * address), as {@link #put(long, byte[], int, int)}: the link's write of an {@link org.softclan.dsm.OutboundMapping}.
     */
    void write(final long offset, final Object srcBase, final long srcOffset, final long length) {
        checkBounds(offset, length);
        final int most = maxChunk();
        long done = 0;
        while (done < length || length == 0) {
            final int n = (int) Math.min(most, length - done);
            final ExpandableArrayBuffer b = encodeWrite(offset + done, KIND_BYTES, n);
            final int at = WRITE_NAME_OFFSET + nameBytes.length;
            b.checkLimit(at + n);
            Link.copy(srcBase, srcOffset + done, b.byteArray(), BYTE_ARRAY_BASE + at, n);
            try {
                agent.offer(agent.publication(host), host, b, at + n, "a write to " + this, false);
            } catch (final LinkTimeoutException e) {
                if (done == 0) {
                    throw e;
                }
                throw new LinkTimeoutException(e.getMessage() + " (" + done + " of the burst's " + length
                    + " bytes were sent before)");
            }
            done += n;
            if (length == 0) {
                return;
            }
        }
    }

    /** Plain stores of the low {@code length} (1, 4 or 8) bytes of {@code value}, in native order: one message. */
    void putSmall(final long offset, final long value, final int length) {
        checkBounds(offset, length);
        final ExpandableArrayBuffer b = encodeWrite(offset, KIND_BYTES, length);
        final int at = WRITE_NAME_OFFSET + nameBytes.length;
        switch (length) {
            case 1 -> b.putByte(at, (byte) value);
            case 4 -> b.putInt(at, (int) value, java.nio.ByteOrder.nativeOrder());
            default -> b.putLong(at, value, java.nio.ByteOrder.nativeOrder());
        }
        agent.offer(agent.publication(host), host, b, at + length, "a write to " + this, false);
    }

    /**
     * A remote read of {@code length} bytes into {@code (dstBase, dstOffset)} (an array and its Unsafe offset,
     * or {@code null} and a native address), as {@link #get}.
     */
    void read(final long offset, final Object dstBase, final long dstOffset, final long length) {
        checkBounds(offset, length);
        final int most = maxReadLength(agent.publication(host));
        long done = 0;
        while (done < length) {
            final int n = (int) Math.min(most, length - done);
            final UnsafeBuffer r = read(offset + done, n, LinkMessageDescriptor.OP_READ, 0, 0);
            Link.copy(r.byteArray(), BYTE_ARRAY_BASE + READ_REPLY_DATA_OFFSET, dstBase, dstOffset + done, n);
            done += n;
        }
    }

    /**
     * An atomic compare-and-set of an aligned long at the owner, by a round trip (sent after this thread's
     * earlier stores, so it sees them).
     *
     * @return whether the long held {@code expected} and now holds {@code update}
     */
    boolean compareAndSetLong(final long offset, final long expected, final long update) {
        checkAligned(offset, "a compare-and-set");
        return read(offset, Long.BYTES, LinkMessageDescriptor.OP_CAS, expected, update).getLong(READ_REPLY_DATA_OFFSET) == 1;
    }

    /** An atomic get-and-add of an aligned long at the owner, by a round trip; {@return the long before} */
    long getAndAddLong(final long offset, final long delta) {
        checkAligned(offset, "a get-and-add");
        return read(offset, Long.BYTES, LinkMessageDescriptor.OP_ADD, delta, 0).getLong(READ_REPLY_DATA_OFFSET);
    }

    private void checkAligned(final long offset, final String what) {
        checkBounds(offset, Long.BYTES);
        if ((offset & 7) != 0) {
            throw new RegionBoundsException(this + ": " + what + " needs an 8-byte-aligned offset, not " + offset);
        }
    }

    /**
     * A release store of an aligned long: applied after every earlier store of this thread.
     *
     * @param offset the long's offset in the region's data area, a multiple of 8
     * @param value  the long
     * @throws RegionBoundsException if {@code offset} is not an 8-byte-aligned offset inside the region
     * @throws LinkTimeoutException  as {@link #put}
     */
    public void putLongRelease(final long offset, final long value) {
        putLong(offset, value, KIND_LONG_RELEASE);
    }

    /**
     * A volatile store of an aligned long.
     *
     * @param offset the long's offset in the region's data area, a multiple of 8
     * @param value  the long
     * @throws RegionBoundsException if {@code offset} is not an 8-byte-aligned offset inside the region
     * @throws LinkTimeoutException  as {@link #put}
     */
    public void putLongVolatile(final long offset, final long value) {
        putLong(offset, value, KIND_LONG_VOLATILE);
    }

    private void putLong(final long offset, final long value, final int kind) {
        checkBounds(offset, Long.BYTES);
        if ((offset & 7) != 0) {
            throw new RegionBoundsException(this + ": an ordered store needs an 8-byte-aligned offset, not " + offset);
        }
        final ExpandableArrayBuffer b = encodeWrite(offset, kind, Long.BYTES);
        b.putLong(WRITE_NAME_OFFSET + nameBytes.length, value);
        agent.offer(agent.publication(host), host, b, WRITE_NAME_OFFSET + nameBytes.length + Long.BYTES, "a write to " + this);
    }

    /**
     * A remote read (a round trip per about 512 KiB) of {@code length} bytes at {@code offset} into {@code dst}.
     *
     * @param offset    the first byte's offset in the region's data area
     * @param dst       where the bytes go
     * @param dstOffset the first of {@code dst} to fill
     * @param length    how many
     * @throws RegionBoundsException if the range is not inside the region
     * @throws StaleRegionException  if the owner exported the region anew since this import
     * @throws LinkTimeoutException  if the owner's agent did not answer within the timeout
     */
    public void get(final long offset, final byte[] dst, final int dstOffset, final int length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        read(offset, dst, BYTE_ARRAY_BASE + dstOffset, length);
    }

    /**
     * An acquire load of an aligned long, by a round trip.
     *
     * @param offset the long's offset in the region's data area, a multiple of 8
     * @return the long
     * @throws RegionBoundsException if {@code offset} is not an 8-byte-aligned offset inside the region
     * @throws LinkTimeoutException  as {@link #get}
     */
    public long getLongVolatile(final long offset) {
        checkBounds(offset, Long.BYTES);
        if ((offset & 7) != 0) {
            throw new RegionBoundsException(this + ": a volatile load needs an 8-byte-aligned offset, not " + offset);
        }
        return read(offset, Long.BYTES, LinkMessageDescriptor.OP_READ, 0, 0).getLong(READ_REPLY_DATA_OFFSET);
    }

    private UnsafeBuffer read(final long offset, final int length, final int op, final long a, final long c) {
        final byte[] me = agent.hostBytes();
        final long id = agent.nextRequestId();
        final ExpandableArrayBuffer b = agent.encodingBuffer();
        NicAgent.header(b, READ_TYPE, id);
        b.putLong(READ_GENERATION_OFFSET, generation);
        b.putLong(READ_KEY_OFFSET, key);
        b.putLong(READ_OFFSET_OFFSET, offset);
        b.putInt(READ_LENGTH_OFFSET, length);
        b.putInt(READ_HOST_LENGTH_OFFSET, me.length);
        b.putInt(READ_NAME_LENGTH_OFFSET, nameBytes.length);
        b.putInt(LinkMessageDescriptor.READ_OP_OFFSET, op);
        b.putBytes(READ_NAMES_OFFSET, me);
        b.putBytes(READ_NAMES_OFFSET + me.length, nameBytes);
        int end = READ_NAMES_OFFSET + me.length + nameBytes.length;
        if (op == LinkMessageDescriptor.OP_CAS) {
            b.putLong(end, a);
            b.putLong(end + 8, c);
            end += 16;
        } else if (op == LinkMessageDescriptor.OP_ADD) {
            b.putLong(end, a);
            end += 8;
        }
        final byte[] reply = agent.request(agent.publication(host), host, b, end, id,
            LinkMessageDescriptor.READ_REPLY_TYPE, READ_REPLY_DATA_OFFSET, (op == LinkMessageDescriptor.OP_READ
                ? "a read of " : "an atomic on ") + this);
        final UnsafeBuffer r = new UnsafeBuffer(reply);
        final int status = r.getInt(REPLY_STATUS_OFFSET);
        final int n = r.getInt(REPLY_TEXT_LENGTH_OFFSET);
        if (n < 0 || READ_REPLY_DATA_OFFSET + (long) n > reply.length) {
            throw new DsmException(this + ": host '" + host + "' sent a malformed read reply");
        }
        if (status != STATUS_OK) {
            throw failure(status, this + ": host '" + host + "' refused " + (op == LinkMessageDescriptor.OP_READ
                ? "a read of " + length + " bytes" : "an atomic") + " at offset "
                + offset + ": " + NicAgent.text(r, READ_REPLY_DATA_OFFSET, n));
        }
        if (n != length) {
            throw new DsmException(this + ": host '" + host + "' answered a read of " + length + " bytes with " + n);
        }
        return r;
    }

    private ExpandableArrayBuffer encodeWrite(final long offset, final int kind, final int length) {
        final ExpandableArrayBuffer b = agent.encodingBuffer();
        NicAgent.header(b, WRITE_TYPE, 0);
        b.putLong(WRITE_GENERATION_OFFSET, generation);
        b.putLong(WRITE_KEY_OFFSET, key);
        b.putLong(WRITE_OFFSET_OFFSET, offset);
        b.putInt(WRITE_KIND_OFFSET, kind);
        b.putInt(WRITE_NAME_LENGTH_OFFSET, nameBytes.length);
        b.putInt(WRITE_DATA_LENGTH_OFFSET, length);
        b.putInt(WRITE_DATA_LENGTH_OFFSET + 4, 0);
        b.putBytes(WRITE_NAME_OFFSET, nameBytes);
        return b;
    }

    private int maxChunk() {
        return agent.publication(host).maxMessageLength() - WRITE_NAME_OFFSET - nameBytes.length;
    }

    /** {@return the most bytes one read request may ask for over {@code pub}: its reply is one message} */
    static int maxReadLength(final Publication pub) {
        return pub.maxMessageLength() - READ_REPLY_DATA_OFFSET;
    }

    private void checkBounds(final long offset, final long length) {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new RegionBoundsException(this + ": an access of " + length + " bytes at offset " + offset
                + " is outside its " + size + "-byte data area");
        }
    }

    /** {@return the exception for a refusal by the owner's agent} */
    static DsmException failure(final int status, final String message) {
        return switch (status) {
            case STATUS_NO_SUCH_REGION -> new NoSuchRegionException(message);
            case STATUS_ACCESS_DENIED -> new RegionAccessException(message);
            case STATUS_STALE -> new StaleRegionException(message);
            case STATUS_BOUNDS -> new RegionBoundsException(message);
            default -> new DsmException(message + " (" + LinkMessageDescriptor.statusName(status) + ")");
        };
    }

    @Override
    public String toString() {
        return "region '" + name + "@" + host + "' (generation " + generation + ", " + size + " bytes)";
    }
}
