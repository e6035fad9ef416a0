package org.softclan.vmmc;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.Mapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.TripwireUnit;

/**
 * Connection set-up by name, so neither side needs to know the other's addresses first: the listen
 * region of a service ({@code <service>.listen}, laid out in {@link ListenRegionDescriptor}) holds request
 * slots. A client claims a free slot (CAS), writes its receive region's name and key, and sets
 * {@code requested}, which fires the server's tripwire on the slot area. The server imports the client's
 * region, exports its own, and answers in the client's region (accepted, with its region's name and key,
 * or refused, with a reason; {@link ReceiveRegionDescriptor}): the answer is a write into the client's
 * memory, which fires the client's tripwire. The server frees the slot.
 */
final class Rendezvous {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicLong SERIAL = new AtomicLong();

    private Rendezvous() {
    }

    /**
     * {@return the listen region's name of {@code service}}: {@code SERVICE.listen}, or
     * {@code SERVICE.listen@HOST} for a service of another host ({@code SERVICE@HOST})
     */
    static String listenRegion(final String service) {
        final int at = service.lastIndexOf('@');
        return at < 0 ? service + ".listen" : service.substring(0, at) + ".listen" + service.substring(at);
    }

    /** {@return the host of {@code SERVICE@HOST}, or {@code null} for a service of this host} */
    static String hostOf(final String service) {
        final int at = service.lastIndexOf('@');
        return at < 0 ? null : service.substring(at + 1);
    }

    static void putName(final Mapping m, final long at, final String name) {
        final byte[] b = name.getBytes(StandardCharsets.UTF_8);
        m.putInt(at, b.length);
        m.put(at + 4, b);
    }

    /** Writes {@code text} (cut to {@link ReceiveRegionDescriptor#ANSWER_TEXT_MAX} bytes) as an int length and UTF-8 bytes at {@code at}. */
    static void putText(final Mapping m, final long at, final String text) {
        final byte[] b = text.getBytes(StandardCharsets.UTF_8);
        final int n = Math.min(b.length, ReceiveRegionDescriptor.ANSWER_TEXT_MAX);
        m.putInt(at, n);
        m.put(at + 4, b, 0, n);
    }

    /** Reads what {@link #putText} wrote; the length word (written by the other side) is clamped. */
    static String getText(final Mapping m, final long at) {
        final int len = Math.max(0, Math.min(ReceiveRegionDescriptor.ANSWER_TEXT_MAX, m.getInt(at)));
        final byte[] b = new byte[len];
        m.get(at + 4, b, 0, len);
        return new String(b, StandardCharsets.UTF_8);
    }

    static String getName(final Mapping m, final long at) {
        final int len = Math.max(0, Math.min(ListenRegionDescriptor.NAME_MAX, m.getInt(at)));
        final byte[] b = new byte[len];
        m.get(at + 4, b, 0, len);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Exports a receive region for one end of a connection and writes its ring capacity. */
    static InboundMapping exportReceiveRegion(final Endpoint ep, final String prefix, final long key,
                                              final int ringCapacity) {
        final String name = ep.internalRegionName(prefix);
        final InboundMapping rx = ep.exportInternal(name, ReceiveRegionDescriptor.regionBytes(ringCapacity), key,
            TripwireUnit.sidecarBytes(ReceiveRegionDescriptor.regionBytes(ringCapacity), 16));
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
        return m.address(ListenRegionDescriptor.slotOffset(i) + ListenRegionDescriptor.SLOT_STATE_OFFSET, 8);
    }

    static long state(final Mapping m, final int i) {
        return m.getLongAcquire(ListenRegionDescriptor.slotOffset(i) + ListenRegionDescriptor.SLOT_STATE_OFFSET);
    }
}
