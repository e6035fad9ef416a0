package org.softclan.net;

import static org.softclan.net.LinkMessageDescriptor.HEADER_LENGTH;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_TYPE;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_TYPE;
import static org.softclan.net.LinkMessageDescriptor.READ_REPLY_TYPE;
import static org.softclan.net.LinkMessageDescriptor.READ_TYPE;
import static org.softclan.net.LinkMessageDescriptor.REQUEST_ID_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.TYPE_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.VERSION;
import static org.softclan.net.LinkMessageDescriptor.VERSION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_TYPE;

import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;

/**
 * Hands each (reassembled) message a {@link NicAgent} receives to the role that handles its type, once its
 * header is checked: writes and requests to the {@link RegionServer}, HELLOs and refusals to the
 * {@link PeerHosts}, replies to the {@link PeerRequests}. A message of no known type, of another version, or
 * one its handler met a defect in (a length field pointing past it) is counted as malformed; it never ends
 * the duty cycle. On the duty cycle's thread.
 */
final class MessageRouter implements FragmentHandler {
    private final RegionServer server;
    private final PeerHosts peers;
    private final PeerRequests requests;
    private final AgentCounters counters;

    /**
     * Routes to these roles.
     *
     * @param server   serves peers' writes and requests
     * @param peers    takes HELLOs and refusals
     * @param requests takes replies
     * @param counters where malformed messages are counted
     */
    MessageRouter(final RegionServer server, final PeerHosts peers, final PeerRequests requests,
                  final AgentCounters counters) {
        this.server = server;
        this.peers = peers;
        this.requests = requests;
        this.counters = counters;
    }

    @Override
    public void onFragment(final DirectBuffer b, final int offset, final int length, final Header header) {
        if (length < HEADER_LENGTH || b.getInt(offset + VERSION_OFFSET) != VERSION) {
            counters.malformed.incrementAndGet();
            return;
        }
        final int type = b.getInt(offset + TYPE_OFFSET);
        final long id = b.getLong(offset + REQUEST_ID_OFFSET);
        try {
            switch (type) {
                case WRITE_TYPE -> server.onWrite(b, offset, length, header);
                case LinkMessageDescriptor.HELLO_TYPE -> peers.onHello(b, offset, length, header);
                case LinkMessageDescriptor.LIST_TYPE -> server.onList(b, offset, length, id, header);
                case LinkMessageDescriptor.SYNC_TYPE -> server.onSync(b, offset, length, id, header);
                case LinkMessageDescriptor.REFUSED_TYPE -> peers.onRefused(b, offset, length, header);
                case LOOKUP_TYPE -> server.onLookup(b, offset, length, id, header);
                case READ_TYPE -> server.onRead(b, offset, length, id, header);
                case LOOKUP_REPLY_TYPE, READ_REPLY_TYPE, LinkMessageDescriptor.LIST_REPLY_TYPE,
                     LinkMessageDescriptor.SYNC_REPLY_TYPE -> requests.onReply(b, offset, length, type, id, header);
                default -> counters.malformed.incrementAndGet();
            }
        } catch (final RuntimeException e) {
            // a length field pointing past the message, or a defect met on a peer's input: that message only
            counters.malformed.incrementAndGet();
            counters.lastRefusal = "a message of type " + type + ": " + e;
        }
    }
}
