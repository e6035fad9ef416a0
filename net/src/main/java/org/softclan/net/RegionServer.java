package org.softclan.net;

import static org.softclan.net.LinkMessageDescriptor.LOOKUP_HOST_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_KEY_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_NAMES_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_NAME_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_GENERATION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_SIZE_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_TEXT_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_TYPE;
import static org.softclan.net.LinkMessageDescriptor.READ_GENERATION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_HOST_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_KEY_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_NAMES_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_NAME_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_OFFSET_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_REPLY_DATA_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_REPLY_TYPE;
import static org.softclan.net.LinkMessageDescriptor.REPLY_STATUS_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.REPLY_TEXT_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.STATUS_MALFORMED;
import static org.softclan.net.LinkMessageDescriptor.STATUS_OK;
import static org.softclan.net.LinkMessageDescriptor.WRITE_DATA_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_GENERATION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_KEY_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_KIND_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_NAME_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_NAME_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_OFFSET_OFFSET;

import io.aeron.Publication;
import io.aeron.logbuffer.Header;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * The owner's side of a {@link NicAgent}'s link, message by message: applies peers' WRITEs to this host's
 * regions, answers their LOOKUPs, READs (and atomics), SYNCs and LISTs, and tells a writer its write was
 * refused. Every field of a peer's message is checked before it is acted on (a refused message is counted,
 * never applied in part); the regions themselves are touched through {@link ServedRegions}. Replies go
 * through the agent's {@link ReplyBacklog}, so the duty thread never waits for a publication. The duty
 * thread's alone.
 */
final class RegionServer implements AutoCloseable {
    private final String host;
    private final Fabric fabric;
    private final ServedRegions served;
    private final PeerHosts peers;
    private final ReplyBacklog backlog;
    private final AgentCounters counters;
    private final ExpandableArrayBuffer replies = new ExpandableArrayBuffer(1024);
    private final byte[][] readScratch = {new byte[1024]};
    private final long[] sizeAndGeneration = new long[2];
    /** The last listing of this fabric's regions, and when it was made (the duty thread's alone). */
    private java.util.List<org.softclan.dsm.RegionInfo> listCache;
    private long listCachedAt;

    /**
     * Serves this host's regions, importing them through {@code endpoint} ({@link ServedRegions}).
     *
     * @param host     this host's name, as refusals name it
     * @param fabric   this host's fabric, whose regions a LIST lists
     * @param endpoint the agent's endpoint on it
     * @param peers    the agent's peer hosts (who sent a message, the publication back)
     * @param backlog  the agent's replies kept for their publications
     * @param counters the agent's counters
     */
    RegionServer(final String host, final Fabric fabric, final Endpoint endpoint, final PeerHosts peers,
                 final ReplyBacklog backlog, final AgentCounters counters) {
        this.host = host;
        this.fabric = fabric;
        this.served = new ServedRegions(endpoint);
        this.peers = peers;
        this.backlog = backlog;
        this.counters = counters;
    }

    /** A peer's WRITE: applied through the agent's import of the region, or refused (and the writer told). */
    void onWrite(final DirectBuffer b, final int o, final int length, final Header header) {
        final String writer = peers.sessionHost(header.sessionId());
        if (length < WRITE_NAME_OFFSET || writer == null || !peers.fromHost(header, writer)) {
            counters.malformed.incrementAndGet();   // a write from a session no peer greeted on: not applied
            return;
        }
        final int nameLength = b.getInt(o + WRITE_NAME_LENGTH_OFFSET);
        final int dataLength = b.getInt(o + WRITE_DATA_LENGTH_OFFSET);
        final String name = served.nameAt(b, o + WRITE_NAME_OFFSET, Math.min(Math.max(nameLength, 0), length - WRITE_NAME_OFFSET));
        if (name == null || name.length() != nameLength || dataLength < 0
            || (long) WRITE_NAME_OFFSET + nameLength + dataLength != length) {
            counters.malformed.incrementAndGet();
            return;
        }
        final ServedRegions.Outcome out = served.write(name, b.getLong(o + WRITE_GENERATION_OFFSET),
            b.getLong(o + WRITE_KEY_OFFSET), b.getLong(o + WRITE_OFFSET_OFFSET), b.getInt(o + WRITE_KIND_OFFSET),
            b, o + WRITE_NAME_OFFSET + nameLength, dataLength);
        if (out.status() == STATUS_OK) {
            counters.writesApplied.incrementAndGet();
            counters.bytesApplied.addAndGet(dataLength);
        } else {
            counters.writesRefused.incrementAndGet();
            counters.lastRefusal = "write to '" + name + "': " + LinkMessageDescriptor.statusName(out.status()) + ": "
                + out.text();
            if (out.status() == LinkMessageDescriptor.STATUS_STALE || out.status() == LinkMessageDescriptor.STATUS_ACCESS_DENIED) {
                tellRefused(header, name, b.getLong(o + WRITE_GENERATION_OFFSET), out.status());
            }
        }
    }

    /** Tells the host that sent a refused write (known by its session's HELLO) that its write was refused. */
    private void tellRefused(final Header header, final String name, final long generation, final int status) {
        final String writer = peers.sessionHost(header.sessionId());
        final Publication back = writer == null ? null : peers.publicationOf(writer);
        if (back == null) {
            return;
        }
        final byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        final ExpandableArrayBuffer r = replies;
        NicAgent.header(r, LinkMessageDescriptor.REFUSED_TYPE, 0);
        r.putInt(LinkMessageDescriptor.REFUSED_STATUS_OFFSET, status);
        r.putInt(LinkMessageDescriptor.REFUSED_NAME_LENGTH_OFFSET, n.length);
        r.putLong(LinkMessageDescriptor.REFUSED_GENERATION_OFFSET, generation);
        r.putBytes(LinkMessageDescriptor.REFUSED_NAME_OFFSET, n);
        backlog.reply(back, r, LinkMessageDescriptor.REFUSED_NAME_OFFSET + n.length);
    }

    /** A peer's LOOKUP: may it import the region with its key, and what size and generation is it. */
    void onLookup(final DirectBuffer b, final int o, final int length, final long id, final Header header) {
        if (length < LOOKUP_NAMES_OFFSET) {
            counters.malformed.incrementAndGet();
            return;
        }
        final int hl = b.getInt(o + LOOKUP_HOST_LENGTH_OFFSET);
        final int nl = b.getInt(o + LOOKUP_NAME_LENGTH_OFFSET);
        if (hl < 1 || nl < 1 || (long) LOOKUP_NAMES_OFFSET + hl + nl != length) {
            counters.malformed.incrementAndGet();
            return;
        }
        final String asker = ServedRegions.name(b, o + LOOKUP_NAMES_OFFSET, hl);
        final String name = ServedRegions.name(b, o + LOOKUP_NAMES_OFFSET + hl, nl);
        final Publication back = asker == null ? null : peers.publicationOf(asker);
        if (back == null || name == null || !peers.fromHost(header, asker)) {
            counters.malformed.incrementAndGet();   // no way to answer a host that is not a peer
            return;
        }
        final ServedRegions.Outcome out = served.lookup(name, b.getLong(o + LOOKUP_KEY_OFFSET), sizeAndGeneration);
        final ExpandableArrayBuffer r = replies;
        NicAgent.header(r, LOOKUP_REPLY_TYPE, id);
        r.putInt(REPLY_STATUS_OFFSET, out.status());
        final byte[] text = forPeer(out, name).getBytes(StandardCharsets.UTF_8);
        r.putInt(REPLY_TEXT_LENGTH_OFFSET, text.length);
        r.putLong(LOOKUP_REPLY_SIZE_OFFSET, out.status() == STATUS_OK ? sizeAndGeneration[0] : 0);
        r.putLong(LOOKUP_REPLY_GENERATION_OFFSET, out.status() == STATUS_OK ? sizeAndGeneration[1] : 0);
        r.putBytes(LOOKUP_REPLY_TEXT_OFFSET, text);
        if (out.status() == STATUS_OK) {
            counters.lookupsServed.incrementAndGet();
        } else {
            counters.requestsRefused.incrementAndGet();
            counters.lastRefusal = "look-up of '" + name + "' by host '" + asker + "': " + out.text();
        }
        backlog.reply(back, r, LOOKUP_REPLY_TEXT_OFFSET + text.length);
    }

    /** A peer's SYNC: everything it sent before was applied (in order, by this thread): say so. */
    void onSync(final DirectBuffer b, final int o, final int length, final long id, final Header header) {
        final int hl = length < LinkMessageDescriptor.SYNC_HOST_OFFSET ? -1
            : b.getInt(o + LinkMessageDescriptor.SYNC_HOST_LENGTH_OFFSET);
        final String asker = hl < 1 || LinkMessageDescriptor.SYNC_HOST_OFFSET + (long) hl != length ? null
            : ServedRegions.name(b, o + LinkMessageDescriptor.SYNC_HOST_OFFSET, hl);
        final Publication back = asker == null ? null : peers.publicationOf(asker);
        if (back == null || !peers.fromHost(header, asker)) {
            counters.malformed.incrementAndGet();
            return;
        }
        final ExpandableArrayBuffer r = replies;
        NicAgent.header(r, LinkMessageDescriptor.SYNC_REPLY_TYPE, id);
        r.putInt(REPLY_STATUS_OFFSET, STATUS_OK);
        r.putInt(REPLY_TEXT_LENGTH_OFFSET, 0);
        backlog.reply(back, r, LinkMessageDescriptor.SYNC_REPLY_LENGTH);
    }

    /** A peer asks which regions it may import: this fabric's active regions of applications, as many as fit. */
    void onList(final DirectBuffer b, final int o, final int length, final long id, final Header header) {
        final int hl = length < LinkMessageDescriptor.LIST_HOST_OFFSET ? -1
            : b.getInt(o + LinkMessageDescriptor.LIST_HOST_LENGTH_OFFSET);
        final String asker = hl < 1 || LinkMessageDescriptor.LIST_HOST_OFFSET + (long) hl != length ? null
            : ServedRegions.name(b, o + LinkMessageDescriptor.LIST_HOST_OFFSET, hl);
        final Publication back = asker == null ? null : peers.publicationOf(asker);
        if (back == null || !peers.fromHost(header, asker)) {
            counters.malformed.incrementAndGet();
            return;
        }
        final ExpandableArrayBuffer r = replies;
        NicAgent.header(r, LinkMessageDescriptor.LIST_REPLY_TYPE, id);
        r.putInt(REPLY_STATUS_OFFSET, STATUS_OK);
        int at = LinkMessageDescriptor.LIST_REPLY_ENTRIES_OFFSET;
        int count = 0;
        int truncated = 0;
        final long now = System.nanoTime();
        if (listCache == null || now - listCachedAt > TimeUnit.SECONDS.toNanos(1)) {
            listCache = fabric.regions(false);   // a directory scan: at most once a second, whoever asks
            listCachedAt = now;
        }
        for (final org.softclan.dsm.RegionInfo info : listCache) {
            if (!info.state().equals("active") || Fabric.isReservedRegionName(info.name())) {
                continue;
            }
            final byte[] n = info.name().getBytes(StandardCharsets.US_ASCII);
            if (at + LinkMessageDescriptor.LIST_ENTRY_HEADER_LENGTH + n.length > back.maxMessageLength()) {
                truncated = 1;
                break;
            }
            r.putLong(at, info.size());
            r.putLong(at + 8, info.generation());
            r.putInt(at + 16, n.length);
            r.putBytes(at + LinkMessageDescriptor.LIST_ENTRY_HEADER_LENGTH, n);
            at += LinkMessageDescriptor.LIST_ENTRY_HEADER_LENGTH + n.length;
            count++;
        }
        r.putInt(LinkMessageDescriptor.LIST_REPLY_COUNT_OFFSET, count);
        r.putInt(LinkMessageDescriptor.LIST_REPLY_TRUNCATED_OFFSET, truncated);
        r.putInt(LinkMessageDescriptor.LIST_REPLY_TRUNCATED_OFFSET + 4, 0);
        counters.lookupsServed.incrementAndGet();
        backlog.reply(back, r, at);
    }

    /** A peer's READ: plain or acquire loads, or an atomic, answered with the bytes or why not. */
    void onRead(final DirectBuffer b, final int o, final int length, final long id, final Header header) {
        if (length < READ_NAMES_OFFSET) {
            counters.malformed.incrementAndGet();
            return;
        }
        final int hl = b.getInt(o + READ_HOST_LENGTH_OFFSET);
        final int nl = b.getInt(o + READ_NAME_LENGTH_OFFSET);
        final int want = b.getInt(o + READ_LENGTH_OFFSET);
        final int op = b.getInt(o + LinkMessageDescriptor.READ_OP_OFFSET);
        final int operands = op == LinkMessageDescriptor.OP_CAS ? 16 : op == LinkMessageDescriptor.OP_ADD ? 8 : 0;
        if (hl < 1 || nl < 1 || op < LinkMessageDescriptor.OP_READ || op > LinkMessageDescriptor.OP_ADD
            || (long) READ_NAMES_OFFSET + hl + nl + operands != length) {
            counters.malformed.incrementAndGet();
            return;
        }
        final String asker = ServedRegions.name(b, o + READ_NAMES_OFFSET, hl);
        final String name = ServedRegions.name(b, o + READ_NAMES_OFFSET + hl, nl);
        final Publication back = asker == null ? null : peers.publicationOf(asker);
        if (back == null || name == null || !peers.fromHost(header, asker)) {
            counters.malformed.incrementAndGet();
            return;
        }
        final int at = o + READ_NAMES_OFFSET + hl + nl;
        final ServedRegions.Outcome out;
        if (op != LinkMessageDescriptor.OP_READ) {
            out = want != Long.BYTES
                ? new ServedRegions.Outcome(STATUS_MALFORMED, "an atomic on " + want + " bytes (it takes 8)")
                : served.atomic(name, b.getLong(o + READ_GENERATION_OFFSET), b.getLong(o + READ_KEY_OFFSET),
                    b.getLong(o + READ_OFFSET_OFFSET), op, b.getLong(at), operands == 16 ? b.getLong(at + 8) : 0,
                    readScratch);
        } else {
            out = want < 0 || want > RemoteRegion.maxReadLength(back)
                ? new ServedRegions.Outcome(STATUS_MALFORMED, "a read of " + want + " bytes (at most "
                    + RemoteRegion.maxReadLength(back) + " per request)")
                : served.read(name, b.getLong(o + READ_GENERATION_OFFSET), b.getLong(o + READ_KEY_OFFSET),
                    b.getLong(o + READ_OFFSET_OFFSET), want, readScratch);
        }
        final ExpandableArrayBuffer r = replies;
        NicAgent.header(r, READ_REPLY_TYPE, id);
        r.putInt(REPLY_STATUS_OFFSET, out.status());
        if (out.status() == STATUS_OK) {
            counters.readsServed.incrementAndGet();
            r.putInt(REPLY_TEXT_LENGTH_OFFSET, want);
            r.putBytes(READ_REPLY_DATA_OFFSET, readScratch[0], 0, want);
            backlog.reply(back, r, READ_REPLY_DATA_OFFSET + want);
        } else {
            counters.requestsRefused.incrementAndGet();
            counters.lastRefusal = "read of '" + name + "' by host '" + asker + "': " + out.text();
            final byte[] text = forPeer(out, name).getBytes(StandardCharsets.UTF_8);
            r.putInt(REPLY_TEXT_LENGTH_OFFSET, text.length);
            r.putBytes(READ_REPLY_DATA_OFFSET, text);
            backlog.reply(back, r, READ_REPLY_DATA_OFFSET + text.length);
        }
    }

    /**
     * {@return what a peer is told of a refusal}: a fixed sentence per status naming only the region it
     * asked for (the details, which may name this host's other regions and files, stay in
     * {@code lastRefusal})
     */
    private String forPeer(final ServedRegions.Outcome out, final String name) {
        return switch (out.status()) {
            case STATUS_OK -> "";
            case LinkMessageDescriptor.STATUS_NO_SUCH_REGION -> "host '" + host + "' serves no region '" + name + "'";
            case LinkMessageDescriptor.STATUS_ACCESS_DENIED -> "host '" + host + "' denies access to region '" + name
                + "' (a wrong key, or a region internal to that host)";
            case LinkMessageDescriptor.STATUS_STALE -> "region '" + name + "' on host '" + host + "' was removed or"
                + " exported anew since it was imported: import it again";
            case LinkMessageDescriptor.STATUS_BOUNDS -> "region '" + name + "' on host '" + host + "': "
                + (out.text().length() > 300 ? out.text().substring(0, 300) : out.text());
            default -> "host '" + host + "' refused it (" + LinkMessageDescriptor.statusName(out.status()) + ")";
        };
    }

    /** Closes the agent's imports of the regions it served. */
    @Override
    public void close() {
        served.close();
    }
}
