package org.softclan.vmmc;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.Mapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.TripwireUnit;

/**
 * The listen region of a service, {@code <service>.listen}, exported by the server: request slots a
 * client claims to ask for a connection, so neither side needs to know the other's addresses first.
 *
 * <pre>
 *  4096 + 256 * i: slot i of {@value #SLOTS}
 *     0 state (long): 0 free, 1 claimed, 2 requested, 3 accepting
 *     8 client pid     16 client receive region key     24 client receive region name (int length + bytes)
 * </pre>
 *
 * A client claims a free slot (CAS), writes its receive region's name and key, and sets
 * {@code requested}, which fires the server's tripwire on the slot area. The server imports the
 * client's region, exports its own, and answers in the client's region (accepted, with its region's
 * name and key, or refused, with a reason; see {@link Connection}): the answer is a write into the
 * client's memory, which fires the client's tripwire. The server frees the slot.
 */
final class Rendezvous {
    static final int SLOTS = 64;
    static final int SLOT_BYTES = 256;
    static final int FIRST_SLOT = 4096;
    static final long REGION_BYTES = FIRST_SLOT + (long) SLOTS * SLOT_BYTES;
    static final long FREE = 0;
    static final long CLAIMED = 1;
    static final long REQUESTED = 2;
    static final long ACCEPTING = 3;
    static final long ACCEPTED = 4;
    static final long REFUSED = 5;
    static final int S_STATE = 0;
    static final int S_CLIENT_PID = 8;
    static final int S_CLIENT_KEY = 16;
    static final int S_CLIENT_NAME = 24;
    /**
     * The claimant (long): the liveness id of the client's endpoint, stored by the compare-and-set that
     * claims the slot (0: the slot is free). Whoever frees the slot sets the state first, then this word.
     * A listener frees a slot whose claimant is dead ({@link Listener}), so a client killed inside
     * connect holds its slot only until the listener's next look.
     */
    static final int S_CLAIMANT = 128;
    static final int NAME_MAX = 100;
    /** The refusal reason a listener gives when it failed to make the connection; the text says why. */
    static final int REASON_SERVER_FAILED = -1;
    /** Longest refusal text, in bytes of UTF-8. */
    static final int TEXT_MAX = 1024;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicLong SERIAL = new AtomicLong();

    private Rendezvous() {
    }

    static String listenRegion(final String service) {
        return service + ".listen";
    }

    static long slot(final int i) {
        return FIRST_SLOT + (long) SLOT_BYTES * i;
    }

    static void putName(final Mapping m, final long at, final String name) {
        final byte[] b = name.getBytes(StandardCharsets.UTF_8);
        m.putInt(at, b.length);
        m.put(at + 4, b);
    }

    /** Writes {@code text} (cut to {@link #TEXT_MAX} bytes) as an int length and UTF-8 bytes at {@code at}. */
    static void putText(final Mapping m, final long at, final String text) {
        final byte[] b = text.getBytes(StandardCharsets.UTF_8);
        final int n = Math.min(b.length, TEXT_MAX);
        m.putInt(at, n);
        m.put(at + 4, b, 0, n);
    }

    /** Reads what {@link #putText} wrote; the length word (written by the other side) is clamped. */
    static String getText(final Mapping m, final long at) {
        final int len = Math.max(0, Math.min(TEXT_MAX, m.getInt(at)));
        final byte[] b = new byte[len];
        m.get(at + 4, b, 0, len);
        return new String(b, StandardCharsets.UTF_8);
    }

    static String getName(final Mapping m, final long at) {
        final int len = Math.max(0, Math.min(NAME_MAX, m.getInt(at)));
        final byte[] b = new byte[len];
        m.get(at + 4, b, 0, len);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Exports a receive region for one end of a connection and writes its ring capacity. */
    static InboundMapping exportReceiveRegion(final Endpoint ep, final String prefix, final long key,
                                              final int ringCapacity) {
        final String name = ep.internalRegionName(prefix);
        final InboundMapping rx = ep.exportInternal(name, Connection.regionBytes(ringCapacity), key,
            TripwireUnit.sidecarBytes(Connection.regionBytes(ringCapacity), 16));
        rx.putLongVolatile(ReceiveRegionDescriptor.RING_CAPACITY_OFFSET, ringCapacity);
        return rx;
    }

    static long newKey() {
        return RANDOM.nextLong();
    }

    static long nextConnectionId() {
        return SERIAL.incrementAndGet();
    }

    static long stateAddress(final OutboundMapping m, final int i) {
        return m.address(slot(i) + S_STATE, 8);
    }

    static long state(final Mapping m, final int i) {
        return UNSAFE.getLongVolatile(null, m.address(slot(i) + S_STATE, 8));
    }
}
