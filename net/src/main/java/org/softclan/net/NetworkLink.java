package org.softclan.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.softclan.dsm.Mapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RemoteLink;
import org.softclan.dsm.StaleRegionException;

/**
 * The link of one {@link OutboundMapping} of another host's region ({@code endpoint.importRegion("NAME@HOST",
 * key)} with a {@link NicAgent} attached to the fabric): each store is one message on the publication to
 * the owner's host (a burst of more than one message's room, several, in order), each load and atomic a
 * request and its reply. Offsets arrive bounds-checked by the mapping, and the region's remote checks (key,
 * generation, bounds again) are the owner's agent's.
 *
 * <p><b>Memory order</b>: as {@link RemoteRegion}: one thread's stores arrive in program order, so a release
 * store is applied after the data before it; a load or atomic is sent after the thread's earlier stores and
 * so sees them. Plain, release and volatile stores all return once the message is in the publication.
 *
 * <p><b>Failures</b> revoke the mapping ({@link OutboundMapping#revokeRemote}), so every later transfer fails
 * with {@link StaleRegionException} at once instead of waiting again: a transfer that could not be sent or
 * answered within the agent's timeout ({@link LinkTimeoutException}, itself a {@code StaleRegionException}),
 * a refusal as stale, and the agent's word that the host went silent or refused one of this host's writes.
 */
final class NetworkLink implements RemoteLink {

    private final NicAgent agent;
    private final RemoteRegion region;
    private volatile OutboundMapping mapping;

    NetworkLink(final NicAgent agent, final RemoteRegion region) {
        this.agent = agent;
        this.region = region;
    }

    RemoteRegion region() {
        return region;
    }

    @Override
    public String describe() {
        return "network link to host '" + region.host() + "' (Aeron UDP)";
    }

    @Override
    public boolean isSameHost() {
        return false;
    }

    @Override
    public String host() {
        return region.host();
    }

    @Override
    public long size() {
        return region.size();
    }

    @Override
    public long generation() {
        return region.generation();
    }

    @Override
    public boolean isReachable() {
        return agent.isAlive() && !agent.isGone(region.host());
    }

    @Override
    public void opened(final OutboundMapping m) {
        this.mapping = m;
        agent.opened(this);
    }

    @Override
    public void closed(final OutboundMapping m) {
        agent.closed(this);
    }

    /** Revokes the mapping: every later transfer through it fails at once, saying {@code reason}. */
    void revoke(final String reason) {
        final OutboundMapping m = mapping;
        if (m != null) {
            m.revokeRemote(reason);
        }
    }

    /** {@return {@code e}, once the mapping is revoked for it} */
    private RuntimeException failed(final StaleRegionException e) {
        revoke(e.getMessage());
        return e;
    }

    @Override
    public void putByte(final Mapping target, final long offset, final byte value) {
        try {
            region.putSmall(offset, value, 1);
        } catch (final StaleRegionException e) {
            throw failed(e);
        }
    }

    @Override
    public void putInt(final Mapping target, final long offset, final int value) {
        try {
            region.putSmall(offset, value, 4);
        } catch (final StaleRegionException e) {
            throw failed(e);
        }
    }

    @Override
    public void putLong(final Mapping target, final long offset, final long value) {
        try {
            region.putSmall(offset, value, 8);
        } catch (final StaleRegionException e) {
            throw failed(e);
        }
    }

    @Override
    public void putLongOrdered(final Mapping target, final long offset, final long value) {
        try {
            region.putLongRelease(offset, value);
        } catch (final StaleRegionException e) {
            throw failed(e);
        }
    }

    @Override
    public void putLongVolatile(final Mapping target, final long offset, final long value) {
        try {
            region.putLongVolatile(offset, value);
        } catch (final StaleRegionException e) {
            throw failed(e);
        }
    }

    @Override
    public boolean compareAndSetLong(final Mapping target, final long offset, final long expected, final long update) {
        try {
            return region.compareAndSetLong(offset, expected, update);
        } catch (final StaleRegionException e) {
            throw failed(e);
        }
    }

    @Override
    public long getAndAddLong(final Mapping target, final long offset, final long delta) {
        try {
            return region.getAndAddLong(offset, delta);
        } catch (final StaleRegionException e) {
            throw failed(e);
        }
    }

    @Override
    public void write(final Mapping target, final long offset, final Object srcBase, final long srcOffset,
                      final long length) {
        try {
            region.write(offset, srcBase, srcOffset, length);
        } catch (final StaleRegionException e) {
            throw failed(e);
        }
    }

    @Override
    public byte getByte(final Mapping target, final long offset) {
        final byte[] one = new byte[1];
        read(target, offset, one, BYTE_ARRAY_BASE, 1);
        return one[0];
    }

    @Override
    public int getInt(final Mapping target, final long offset) {
        final byte[] four = new byte[4];
        read(target, offset, four, BYTE_ARRAY_BASE, 4);
        return ByteBuffer.wrap(four).order(ByteOrder.nativeOrder()).getInt(0);
    }

    @Override
    public long getLong(final Mapping target, final long offset) {
        final byte[] eight = new byte[8];
        read(target, offset, eight, BYTE_ARRAY_BASE, 8);
        return ByteBuffer.wrap(eight).order(ByteOrder.nativeOrder()).getLong(0);
    }

    @Override
    public long getLongVolatile(final Mapping target, final long offset) {
        try {
            return region.getLongVolatile(offset);
        } catch (final StaleRegionException e) {
            throw failed(e);
        }
    }

    @Override
    public void read(final Mapping target, final long offset, final Object dstBase, final long dstOffset,
                     final long length) {
        try {
            region.read(offset, dstBase, dstOffset, length);
        } catch (final StaleRegionException e) {
            throw failed(e);
        }
    }

    @Override
    public String toString() {
        return describe() + " for " + region;
    }
}
