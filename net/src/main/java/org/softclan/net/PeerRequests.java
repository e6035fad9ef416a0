package org.softclan.net;

import static org.softclan.net.LinkMessageDescriptor.LOOKUP_HOST_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_KEY_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_NAMES_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_NAME_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_GENERATION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_SIZE_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_TEXT_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_TYPE;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_TYPE;
import static org.softclan.net.LinkMessageDescriptor.REPLY_STATUS_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.REPLY_TEXT_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.STATUS_OK;

import io.aeron.Publication;
import io.aeron.logbuffer.Header;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.softclan.dsm.DsmException;

/**
 * The requests a {@link NicAgent} sends its peers and their replies: LOOKUP, LIST and SYNC encoded and
 * their replies decoded here (a {@link RemoteRegion} encodes its READs), each request waiting under a random
 * id for a reply of the type it expects from the host it asked. The duty cycle hands each reply to its
 * request ({@link #onReply}), and counts one nobody asked for as malformed. The caller waits at most the
 * agent's timeout, driving the agent meanwhile when it has no duty thread. Any thread.
 */
final class PeerRequests {
    /** What a request waits for: a reply of {@code type} from {@code host}. */
    private record Pending(CompletableFuture<byte[]> reply, int type, String host) {
    }

    private final NicAgent agent;
    /** This host's name in US-ASCII, as requests carry it. */
    private final byte[] hostBytes;
    private final LinkSender sender;
    private final PeerHosts peers;
    private final AgentCounters counters;
    private final long timeoutNanos;
    /** Whether the agent runs a duty thread of its own (else the waiting thread drives it). */
    private final boolean dutyThread;
    /** Requests waiting for their reply: the reply's type and the host it must come from. */
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

    /**
     * No request yet.
     *
     * @param agent        the agent (its duty cycles and encoding buffers, its host's name, whether it is closed)
     * @param hostBytes    this host's name in US-ASCII
     * @param sender       what sends the requests
     * @param peers        its peer hosts (the publications, who sent a reply)
     * @param counters     its counters
     * @param timeoutNanos how long a request waits for its reply, ns
     * @param dutyThread   whether the agent runs a duty thread of its own
     */
    PeerRequests(final NicAgent agent, final byte[] hostBytes, final LinkSender sender, final PeerHosts peers,
                 final AgentCounters counters, final long timeoutNanos, final boolean dutyThread) {
        this.agent = agent;
        this.hostBytes = hostBytes;
        this.sender = sender;
        this.peers = peers;
        this.counters = counters;
        this.timeoutNanos = timeoutNanos;
        this.dutyThread = dutyThread;
    }

    /** As {@link NicAgent#regionsOf}: a LIST, and its reply decoded. */
    java.util.List<NicAgent.RemoteRegionInfo> regionsOf(final String owner) {
        final Publication pub = peers.publication(owner);
        final long id = nextRequestId();
        final ExpandableArrayBuffer b = agent.encodingBuffer();
        NicAgent.header(b, LinkMessageDescriptor.LIST_TYPE, id);
        b.putInt(LinkMessageDescriptor.LIST_HOST_LENGTH_OFFSET, hostBytes.length);
        b.putBytes(LinkMessageDescriptor.LIST_HOST_OFFSET, hostBytes);
        final byte[] reply = request(pub, owner, b, LinkMessageDescriptor.LIST_HOST_OFFSET + hostBytes.length, id,
            LinkMessageDescriptor.LIST_REPLY_TYPE, LinkMessageDescriptor.LIST_REPLY_ENTRIES_OFFSET,
            "the list of host '" + owner + "''s regions");
        final org.agrona.concurrent.UnsafeBuffer r = new org.agrona.concurrent.UnsafeBuffer(reply);
        final int count = r.getInt(LinkMessageDescriptor.LIST_REPLY_COUNT_OFFSET);
        final java.util.List<NicAgent.RemoteRegionInfo> out = new java.util.ArrayList<>();
        int at = LinkMessageDescriptor.LIST_REPLY_ENTRIES_OFFSET;
        for (int i = 0; i < count; i++) {
            if (at + LinkMessageDescriptor.LIST_ENTRY_HEADER_LENGTH > reply.length) {
                throw new DsmException("host '" + owner + "' sent a list of " + count + " regions that ends after " + i);
            }
            final int nl = r.getInt(at + 16);
            final String name = nl < 1 || at + LinkMessageDescriptor.LIST_ENTRY_HEADER_LENGTH + (long) nl > reply.length
                ? null : ServedRegions.name(r, at + LinkMessageDescriptor.LIST_ENTRY_HEADER_LENGTH, nl);
            if (name == null) {
                throw new DsmException("host '" + owner + "' sent a malformed entry " + i + " in its list of regions");
            }
            out.add(new NicAgent.RemoteRegionInfo(owner, name, r.getLong(at), r.getLong(at + 8)));
            at += LinkMessageDescriptor.LIST_ENTRY_HEADER_LENGTH + nl;
        }
        return out;
    }

    /** As {@link NicAgent#flush}: a SYNC; {@code owner} is marked to be flushed again if it fails. */
    void flush(final String owner) {
        sender.synced(owner);   // a write after this puts it back
        final long id = nextRequestId();
        final ExpandableArrayBuffer b = agent.encodingBuffer();
        NicAgent.header(b, LinkMessageDescriptor.SYNC_TYPE, id);
        b.putInt(LinkMessageDescriptor.SYNC_HOST_LENGTH_OFFSET, hostBytes.length);
        b.putBytes(LinkMessageDescriptor.SYNC_HOST_OFFSET, hostBytes);
        try {
            request(peers.publication(owner), owner, b, LinkMessageDescriptor.SYNC_HOST_OFFSET + hostBytes.length, id,
                LinkMessageDescriptor.SYNC_REPLY_TYPE, LinkMessageDescriptor.SYNC_REPLY_LENGTH,
                "a flush of the link to host '" + owner + "'");
        } catch (final RuntimeException e) {
            sender.unsynced(owner);
            throw e;
        }
    }

    /**
     * A LOOKUP of region {@code name} of {@code owner} with {@code key}: {@return the remote region}, with the
     * size and generation the owner answered
     *
     * @throws DsmException as the owner refused it ({@link RemoteRegion#failure}), or for a malformed answer
     */
    RemoteRegion lookUp(final String owner, final String name, final long key) {
        final String region = name + "@" + owner;
        final Publication pub = peers.publication(owner);
        final byte[] h = hostBytes;
        final byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        final long id = nextRequestId();
        final ExpandableArrayBuffer b = agent.encodingBuffer();
        NicAgent.header(b, LOOKUP_TYPE, id);
        b.putLong(LOOKUP_KEY_OFFSET, key);
        b.putInt(LOOKUP_HOST_LENGTH_OFFSET, h.length);
        b.putInt(LOOKUP_NAME_LENGTH_OFFSET, n.length);
        b.putBytes(LOOKUP_NAMES_OFFSET, h);
        b.putBytes(LOOKUP_NAMES_OFFSET + h.length, n);
        final byte[] reply = request(pub, owner, b, LOOKUP_NAMES_OFFSET + h.length + n.length, id, LOOKUP_REPLY_TYPE,
            LOOKUP_REPLY_TEXT_OFFSET, "look-up of " + region);
        final org.agrona.concurrent.UnsafeBuffer r = new org.agrona.concurrent.UnsafeBuffer(reply);
        final int status = r.getInt(REPLY_STATUS_OFFSET);
        final String text = NicAgent.text(r, LOOKUP_REPLY_TEXT_OFFSET, r.getInt(REPLY_TEXT_LENGTH_OFFSET));
        if (status != STATUS_OK) {
            throw RemoteRegion.failure(status, "host '" + owner + "' refused the import of '" + name + "': " + text);
        }
        final long size = r.getLong(LOOKUP_REPLY_SIZE_OFFSET);
        if (size < 0) {
            throw new DsmException("host '" + owner + "' answered the look-up of '" + name + "' with a size of " + size);
        }
        return new RemoteRegion(agent, owner, name, key, size, r.getLong(LOOKUP_REPLY_GENERATION_OFFSET));
    }

    /**
     * Sends a request and {@return its reply's bytes} (a reply of {@code replyType} from {@code owner} with
     * this request's id, at least {@code minLength} bytes long), waiting at most the timeout.
     */
    byte[] request(final Publication pub, final String owner, final DirectBuffer b, final int length, final long id,
                   final int replyType, final int minLength, final String what) {
        final CompletableFuture<byte[]> f = new CompletableFuture<>();
        pending.put(id, new Pending(f, replyType, owner));
        try {
            if (agent.isClosed()) {
                throw new LinkTimeoutException(what + ": the agent of host '" + agent.host() + "' is closed");
            }
            sender.offer(pub, owner, b, length, what, true);
            final byte[] reply = awaitReply(f, what, owner);
            if (reply.length < minLength) {
                throw new DsmException(what + ": host '" + owner + "' sent a reply of " + reply.length
                    + " bytes, shorter than its " + minLength + "-byte layout");
            }
            return reply;
        } catch (final TimeoutException e) {
            throw new LinkTimeoutException(what + ": host '" + owner + "' did not answer within "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LinkTimeoutException(what + ": interrupted");
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof DsmException d) {
                throw d;
            }
            throw new DsmException(what + ": " + e.getCause(), e.getCause());
        } finally {
            pending.remove(id);
        }
    }

    /** Waits for a reply, driving the link meanwhile when the agent has no duty thread. */
    private byte[] awaitReply(final CompletableFuture<byte[]> f, final String what, final String owner)
        throws InterruptedException, ExecutionException, TimeoutException {
        if (dutyThread) {
            return f.get(timeoutNanos, TimeUnit.NANOSECONDS);
        }
        final long deadline = System.nanoTime() + timeoutNanos;
        final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
        while (!f.isDone()) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException(what + " to host '" + owner + "'");
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            idle.idle(agent.doWork());
        }
        return f.get();
    }

    /** {@return a request id: random, so a peer cannot guess the ids of requests sent to another peer} */
    long nextRequestId() {
        long id;
        do {
            id = java.util.concurrent.ThreadLocalRandom.current().nextLong();
        } while (id == 0 || pending.containsKey(id));
        return id;
    }

    /**
     * A reply of {@code type} with request id {@code id}, on the duty cycle: handed to its request if one waits
     * for that type from the host it came from, else counted as malformed.
     */
    void onReply(final DirectBuffer b, final int offset, final int length, final int type, final long id,
                 final Header header) {
        final Pending p = pending.get(id);
        if (p != null && p.type == type && peers.fromHost(header, p.host)) {
            final byte[] copy = new byte[length];
            b.getBytes(offset, copy);
            p.reply.complete(copy);
        } else {
            counters.malformed.incrementAndGet();   // a reply nobody asked for, or of the wrong type
        }
    }

    /** Fails the requests still waiting: the agent of host {@code host} closed. */
    void failAll(final String host) {
        for (final Pending p : pending.values()) {
            p.reply.completeExceptionally(new LinkTimeoutException("the agent of host '" + host + "' closed"));
        }
    }
}
