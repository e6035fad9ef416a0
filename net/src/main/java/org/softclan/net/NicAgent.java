package org.softclan.net;

import static org.softclan.net.LinkMessageDescriptor.REQUEST_ID_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.TYPE_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.VERSION;
import static org.softclan.net.LinkMessageDescriptor.VERSION_OFFSET;

import io.aeron.Publication;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * One host's NIC agent: carries this host's transfers to regions of other hosts, and applies theirs to
 * this host's regions, over Aeron UDP (reliable, ordered per publication, flow-controlled). Each agent
 * subscribes on its listen address and publishes to each peer's; one publication per peer host carries
 * every message this host sends it, so one thread's stores arrive in the order it made them, and a
 * release store arrives after the data written before it.
 *
 * <p>A write from a peer host is applied by this agent through its own import of the region (the same
 * NIC write path as a local writer's: bounds, generation, the snoop), so the region's tripwires fire on
 * this host exactly as for a local write. Everything a peer sends is checked first (message lengths,
 * names, the key on every write, the generation); a refused message is counted ({@link #counters()}),
 * never applied in part.
 *
 * <p>The embedded media driver runs in Aeron's INVOKER mode, and the Aeron client's conductor as an
 * invoker too, both on the agent's one duty thread (a host of two CPUs cannot give a driver threads of its
 * own), the driver's directory under the fabric, so no other "host" on the same machine can share it.
 */
public final class NicAgent implements AutoCloseable {
    // The agent wires its roles, each a class of its own, and is their facade: AeronTransport (the driver, the
    // client, the subscription, reassembly), DutyCycle (doWork), MessageRouter (each message to its role),
    // PeerHosts (the publications, the HELLO protocol, restarts, who sent a message), LinkSender (offers to a
    // peer), PeerRequests (requests and their replies), RegionServer (peers' writes and requests against this
    // host's regions), ReplyBacklog (replies kept for their publications), LinkImporter (the fabric's importer
    // of other hosts' regions; the links of its mappings, to revoke), AgentCounters, DrivingWaitStrategy.

    /** The Aeron stream every agent's messages use. */
    static final int STREAM_ID = 0x5C1A;
    /**
     * The UDP socket buffers and the receiver's initial window of the agent's driver, bytes: with Aeron's
     * defaults (the kernel's default buffer, a 128 KiB window) one way across a veth moved about 50 MB/s
     * here, dropping datagrams its receiver could not take in time.
     */
    public static final int SOCKET_BUFFER_LENGTH = 2 * 1024 * 1024;
    /** The Aeron term length: a message of up to one eighth of it (512 KiB) goes as one. */
    static final int TERM_LENGTH = 4 * 1024 * 1024;
    /** The shortest image liveness timeout the driver is given, ns (below it a busy host looks dead). */
    static final long MIN_LIVENESS_NS = TimeUnit.MILLISECONDS.toNanos(500);

    /** How an agent is set up. */
    public static final class Context {
        private Path fabric;
        private String host;
        private String listen;
        private final Map<String, String> peers = new LinkedHashMap<>();
        private long timeoutNanos = TimeUnit.SECONDS.toNanos(5);
        private boolean dutyThread = true;
        private java.util.concurrent.ThreadFactory dutyThreads = Thread::new;
        private IdleStrategy dutyIdle;
        private int mtu;
        private double dataLoss;
        private double controlLoss;
        private long lossSeed;

        /** A set-up with no fabric, host or listen address yet (all three are required), no peers, a 5-s timeout. */
        public Context() {
        }

        /**
         * Sets the host's fabric.
         *
         * @param root the directory of this host's fabric (it must not be shared with another host)
         * @return this
         */
        public Context fabric(final Path root) {
            this.fabric = Objects.requireNonNull(root, "root");
            return this;
        }

        /**
         * Sets this host's name.
         *
         * @param name this host's name, as peers write it in {@code REGION@HOST} (a region name's characters)
         * @return this
         */
        public Context host(final String name) {
            this.host = checkName(name, "host name");
            return this;
        }

        /**
         * Sets where this agent receives.
         *
         * @param address the UDP address and port this agent receives on, {@code ADDR:PORT}
         * @return this
         */
        public Context listen(final String address) {
            this.listen = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * Adds a peer host.
         *
         * @param name    a peer host's name
         * @param address its agent's listen address, {@code ADDR:PORT}
         * @return this
         */
        public Context peer(final String name, final String address) {
            peers.put(checkName(name, "peer host name"), Objects.requireNonNull(address, "address"));
            return this;
        }

        /**
         * Sets the largest datagram the agent's publications send (Aeron's {@code mtu} channel parameter),
         * bytes: Aeron's default is 1408, for a path MTU of 1500; on a network with jumbo frames (an MTU of
         * 9000) 8192 moves a burst in a sixth of the datagrams and system calls. Every host's path must carry
         * it, or datagrams are fragmented by IP.
         *
         * @param bytes a multiple of 32 from 1408 to 65504, or 0 for Aeron's default
         * @return this
         * @throws IllegalArgumentException if {@code bytes} is not one of those
         */
        public Context mtu(final int bytes) {
            if (bytes != 0 && (bytes < 1408 || bytes > 65504 || bytes % 32 != 0)) {
                throw new IllegalArgumentException("mtu " + bytes + ": a multiple of 32 from 1408 to 65504, or 0");
            }
            this.mtu = bytes;
            return this;
        }

        /**
         * Sets how the duty thread idles between cycles that found nothing to do. The default,
         * {@code BackoffIdleStrategy(100, 10, 1 us, 100 us)}, spins a little, yields a little and then parks:
         * cheap when the link is quiet, but each park costs a message that arrives meanwhile up to the park's
         * length (and on Linux a park lasts at least about 50 us). Keeping the thread on the CPU longer (more
         * yields before parking) shortens the hand-off to and from a program's waiting threads at the price of
         * CPU time.
         *
         * @param idle the strategy (used by the duty thread only)
         * @return this
         */
        public Context dutyIdleStrategy(final IdleStrategy idle) {
            this.dutyIdle = Objects.requireNonNull(idle, "idle");
            return this;
        }

        /**
         * Injects loss, for tests: the agent's driver drops this fraction of the data frames and of the
         * control frames (status messages, NAKs) it receives, at random, with Aeron's own loss generators
         * ({@code DebugReceiveChannelEndpoint}, {@code RandomLossGenerator}): the link must still deliver
         * every message once and in order (Aeron retransmits what was lost). Never in production: the
         * retransmissions cost latency and bandwidth.
         *
         * @param dataRate    fraction of incoming data frames dropped, 0 to 1 (exclusive)
         * @param controlRate fraction of incoming control frames dropped, 0 to 1 (exclusive)
         * @param seed        the generators' seed (a run can be repeated)
         * @return this
         * @throws IllegalArgumentException if a rate is not in [0, 1)
         */
        public Context injectLoss(final double dataRate, final double controlRate, final long seed) {
            if (!(dataRate >= 0 && dataRate < 1 && controlRate >= 0 && controlRate < 1)) {
                throw new IllegalArgumentException("loss rates are fractions in [0, 1), not " + dataRate + " and "
                    + controlRate);
            }
            this.dataLoss = dataRate;
            this.controlLoss = controlRate;
            this.lossSeed = seed;
            return this;
        }

        /**
         * Sets who drives the agent: its own duty thread (the default), or the program, which then calls
         * {@link NicAgent#doWork()} from the loops where it waits. Measured between two network namespaces
         * on two CPUs: Aeron UDP round trips of 8 bytes take about 16 us when each host's polling thread
         * drives its driver, about 380 us with a duty thread beside it (two threads per host hand off
         * through their idle strategies' parks). Without a duty thread, a thread that waits without driving
         * (a {@code Listener}'s accept, a layer's default wait strategy) waits in vain: drive the agent from a
         * thread of the program's, or give the layers {@link NicAgent#waitStrategy(long)}.
         *
         * @param own whether the agent runs a duty thread of its own
         * @return this
         */
        public Context dutyThread(final boolean own) {
            this.dutyThread = own;
            return this;
        }

        /**
         * Sets what makes the duty thread (for tests: a thread that cannot be started).
         *
         * @param factory makes the duty thread, which the agent then names, makes a daemon and starts
         * @return this
         */
        Context dutyThreadFactory(final java.util.concurrent.ThreadFactory factory) {
            this.dutyThreads = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * Sets the timeout of requests and of writes that wait.
         *
         * @param timeout how long a request (look-up, read) waits for its answer, and a write for room
         *                (back-pressure) or for the peer's agent to be connected
         * @param unit    its unit
         * @return this
         */
        public Context timeout(final long timeout, final TimeUnit unit) {
            if (timeout <= 0) {
                throw new IllegalArgumentException("timeout must be positive, was " + timeout);
            }
            this.timeoutNanos = unit.toNanos(timeout);
            return this;
        }
    }

    private final String host;
    /** {@link #host} in US-ASCII, as requests carry it. */
    private final byte[] hostBytes;
    private final Map<String, String> peers;
    private final long timeoutNanos;
    private final Fabric fabric;
    private final Endpoint endpoint;
    /** The media driver, the Aeron client, the subscription and the reassembly of fragmented messages. */
    private final AeronTransport transport;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    /** Taken by the one {@link #close()} that flushes and shuts the agent down; later ones wait for {@link #shutDown}. */
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    /** Opened when the close that took {@link #closing} has returned. */
    private final java.util.concurrent.CountDownLatch shutDown = new java.util.concurrent.CountDownLatch(1);
    /** Set by Aeron's error handler when the client or driver failed (then nothing crosses the link). */
    private volatile Throwable failure;
    /** The agent's own duty thread, or {@code null} when the program drives it ({@link #doWork()}). */
    private final Thread duty;
    /** The duty cycle: the driver's and client's work, the backlog, the HELLOs, incoming messages. */
    private final DutyCycle cycle;
    private final ThreadLocal<ExpandableArrayBuffer> encoding = ThreadLocal.withInitial(() -> new ExpandableArrayBuffer(1024));
    private final AgentCounters counters = new AgentCounters();
    /** The fabric's importer of other hosts' regions, and the links of the mappings it made (to revoke them). */
    private final LinkImporter links;
    /** Replies the duty thread could not send at once. */
    private final ReplyBacklog backlog;
    /** The peers: their publications, the HELLO protocol, restarts, hosts gone, who sent a message. */
    private final PeerHosts peerHosts;
    /** Offers this host's messages to its peers. */
    private final LinkSender sender;
    /** This host's requests to its peers, waiting for their replies. */
    private final PeerRequests requests;
    /** Applies peers' writes to this host's regions and answers their requests. */
    private final RegionServer server;

    /** The registration of this agent as its fabric's importer of other hosts' regions. */
    private final AutoCloseable importer;
    /** Closes the agent (flushing what it sent) when the JVM exits without closing it (System.exit). */
    private final Thread exitHook;

    private NicAgent(final Context ctx) {
        this.host = Objects.requireNonNull(ctx.host, "host");
        this.hostBytes = host.getBytes(StandardCharsets.US_ASCII);
        Objects.requireNonNull(ctx.listen, "listen");
        this.peers = Map.copyOf(ctx.peers);
        this.timeoutNanos = ctx.timeoutNanos;
        this.links = new LinkImporter(this, peers, counters);
        this.backlog = new ReplyBacklog(ctx.timeoutNanos, counters);
        this.peerHosts = new PeerHosts(host, hostBytes, peers, ctx.timeoutNanos, ctx.mtu, links, backlog, counters);
        this.sender = new LinkSender(this, peerHosts, counters, ctx.timeoutNanos);
        this.requests = new PeerRequests(this, hostBytes, sender, peerHosts, counters, ctx.timeoutNanos, ctx.dutyThread);

        this.fabric = Fabric.open(Objects.requireNonNull(ctx.fabric, "fabric"));
        final String dir = ctx.fabric.resolve("aeron-" + host).toString();
        AeronTransport a = null;
        Endpoint e = null;
        RegionServer s = null;
        try {
            e = fabric.openEndpoint("nic-agent-" + host);
            s = new RegionServer(host, fabric, e, peerHosts, backlog, counters);   // nothing to close yet
            a = new AeronTransport(dir, ctx.listen, ctx.timeoutNanos, ctx.dataLoss, ctx.controlLoss, ctx.lossSeed,
                this::failed, new MessageRouter(s, peerHosts, requests, counters), peerHosts::imageLost);
            peerHosts.connect(a.aeron());   // a publication to each peer
        } catch (final RuntimeException | Error t) {
            releaseAfterFailedStart(t, null, a, e, fabric);
            throw t;
        }
        this.endpoint = e;
        this.transport = a;
        this.server = s;
        this.cycle = new DutyCycle(this, transport, backlog, peerHosts, counters,
            ctx.dutyIdle != null ? ctx.dutyIdle : new BackoffIdleStrategy(100, 10, 1_000, 100_000));
        final Thread hook = new Thread(this::close, "softclan-nic-agent-exit-" + host);
        AutoCloseable attached = null;
        try {
            // refused for a second agent on this fabric in this JVM, and the hook while the JVM exits: nothing stays
            attached = fabric.attachRemoteImporter(links);
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (final RuntimeException | Error t) {
            releaseAfterFailedStart(t, attached, a, e, fabric);
            throw t;
        }
        this.importer = attached;
        this.exitHook = hook;
        Thread d = null;
        if (ctx.dutyThread) {
            try {
                d = ctx.dutyThreads.newThread(cycle::run);
                d.setName("softclan-nic-agent-" + host);
                d.setDaemon(true);
                d.start();   // may fail (no native thread to be had): then nothing of the agent stays
            } catch (final RuntimeException | Error t) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (final IllegalStateException exiting) {
                    // the JVM is exiting: the hook runs or ran
                }
                releaseAfterFailedStart(t, attached, a, e, fabric);
                throw t;
            }
        }
        this.duty = d;
    }

    /**
     * Closes what a start opened before it failed: the importer's registration, the Aeron client (its
     * publications and subscription with it), then the driver, the endpoint and the fabric, each whatever the
     * others did, their own failures suppressed in {@code failure} (the caller throws it).
     */
    private static void releaseAfterFailedStart(final Throwable failure, final AutoCloseable importer,
                                                final AeronTransport transport, final Endpoint endpoint,
                                                final Fabric fabric) {
        for (final AutoCloseable c : new AutoCloseable[] {importer, transport, endpoint, fabric}) {
            if (c != null) {
                try {
                    c.close();
                } catch (final Exception | Error x) {
                    failure.addSuppressed(x);
                }
            }
        }
    }

    /**
     * Starts an agent: opens its fabric, launches its media driver, subscribes on its listen address and
     * publishes to each peer, and starts its duty thread.
     *
     * @param ctx the set-up
     * @return the running agent
     * @throws NullPointerException if the fabric, host or listen address is missing
     * @throws io.aeron.exceptions.AeronException if the driver cannot start (the directory, the address)
     * @throws IllegalStateException if another agent in this JVM already serves the fabric's directory
     *         ({@link Fabric#attachRemoteImporter}); on any failure (also a duty thread that cannot be started),
     *         what the start opened (the driver, the client, the endpoint, the fabric, the importer's
     *         registration, the exit hook) is closed or removed again, and the failure propagates
     */
    public static NicAgent launch(final Context ctx) {
        return new NicAgent(ctx);
    }

    private void failed(final Throwable t) {
        if (failure == null) {
            failure = t;
        }
    }

    /**
     * {@return whether the agent is running}: not closed, its duty thread alive, and neither its Aeron
     * client nor its driver has reported an error (for example a stall of the duty thread longer than
     * Aeron's liveness timeouts, after which the client closes itself)
     */
    public boolean isAlive() {
        return !closed.get() && (duty == null || duty.isAlive()) && failure == null;
    }

    /** {@return whether {@link #close()} has closed the agent or is closing it (set after its flushes)} */
    boolean isClosed() {
        return closed.get();
    }

    /** {@return this host's name} */
    public String host() {
        return host;
    }

    /** {@return this host's fabric} */
    public Fabric fabric() {
        return fabric;
    }

    /**
     * Imports a region of a peer host: asks its agent whether {@code key} opens it, and for its size and
     * generation. No local memory is mapped: the returned region's stores become messages to that host.
     *
     * @param region {@code NAME@HOST}, HOST one of this agent's peers
     * @param key    the key the region was exported with (0 for none)
     * @return the remote region
     * @throws IllegalArgumentException if {@code region} is not {@code NAME@HOST} with a known peer host
     * @throws org.softclan.dsm.NoSuchRegionException if the host has no such region
     * @throws org.softclan.dsm.RegionAccessException if the key is wrong
     * @throws LinkTimeoutException if the host's agent did not answer within the timeout
     */
    public RemoteRegion importRegion(final String region, final long key) {
        final int at = region.lastIndexOf('@');
        if (at <= 0 || at == region.length() - 1) {
            throw new IllegalArgumentException("a region of another host is named NAME@HOST, not '" + region + "'");
        }
        return requests.lookUp(region.substring(at + 1), checkName(region.substring(0, at), "region name"), key);
    }

    /**
     * A region another host serves, as its agent listed it ({@link #regionsOf}).
     *
     * @param host       the owner's host
     * @param name       the region's name there (import it as {@code name@host})
     * @param size       the size of its data area, bytes
     * @param generation its generation
     */
    public record RemoteRegionInfo(String host, String name, long size, long generation) {
    }

    /**
     * Lists the regions a peer host serves to this one: its fabric's active regions exported by applications
     * (not the layers' own: rings, listen regions, event queues), one round trip. At most what fits in one
     * message (about 4000 short names); the list says nothing of keys.
     *
     * @param owner the peer host
     * @return the regions, by name
     * @throws IllegalArgumentException if {@code owner} is not a peer
     * @throws LinkTimeoutException     if its agent did not answer within the timeout
     */
    public java.util.List<RemoteRegionInfo> regionsOf(final String owner) {
        return requests.regionsOf(owner);
    }

    /**
     * Waits until everything this host sent {@code owner} so far has been applied there: one round trip (a
     * SYNC request, answered once the owner's agent has applied every message before it, since one
     * publication carries them in order). A store returns once its message is in the publication; this is the
     * barrier that says it landed.
     *
     * @param owner the peer host
     * @throws IllegalArgumentException if {@code owner} is not a peer
     * @throws LinkTimeoutException     if its agent did not answer within the timeout
     */
    public void flush(final String owner) {
        requests.flush(owner);
    }

    /**
     * {@return this agent's counters}: writes applied (and their bytes), writes refused, reads and
     * look-ups served, requests refused, malformed messages, offers that met back-pressure, replies
     * dropped (their publication took nothing until the timeout), hosts judged gone and mappings revoked,
     * the media driver's NAKs and retransmissions sent (Aeron's system counters: loss it repaired), and the last
     * refusal's reason (as text, under {@code lastRefusal})
     */
    public Map<String, Object> counters() {
        return counters.toMap(transport.driver());
    }

    // ------------------------------------------------------------------------- for the links and regions

    /** {@return whether {@code other}'s agent went silent (its image unavailable) and has not greeted since} */
    boolean isGone(final String other) {
        return peerHosts.isGone(other);
    }

    void opened(final NetworkLink link) {
        links.opened(link);
    }

    void closed(final NetworkLink link) {
        links.closed(link);
    }

    /** As {@link PeerRequests#lookUp}: {@return the region {@code name} of {@code owner}, looked up with {@code key}} */
    RemoteRegion lookUp(final String owner, final String name, final long key) {
        return requests.lookUp(owner, name, key);
    }

    /**
     * {@return the publication to {@code owner}}
     *
     * @throws IllegalArgumentException if {@code owner} is not a peer
     */
    Publication publication(final String owner) {
        return peerHosts.publication(owner);
    }

    /** {@return this host's name in US-ASCII (not to be changed)} */
    byte[] hostBytes() {
        return hostBytes;
    }

    /** {@return the calling thread's encoding buffer} */
    ExpandableArrayBuffer encodingBuffer() {
        return encoding.get();
    }

    static void header(final ExpandableArrayBuffer b, final int type, final long requestId) {
        b.putInt(TYPE_OFFSET, type);
        b.putInt(VERSION_OFFSET, VERSION);
        b.putLong(REQUEST_ID_OFFSET, requestId);
    }

    /**
     * Offers one message and sends it at once (a duty cycle on this thread), waiting while the publication is
     * back-pressured or not connected, at most the timeout.
     *
     * @throws LinkTimeoutException naming the host and {@code what}, if it could not be sent in time
     */
    void offer(final Publication first, final String owner, final DirectBuffer b, final int length, final String what) {
        sender.offer(first, owner, b, length, what, true);
    }

    /** As {@link LinkSender#offer}: with {@code sendNow} false the message is left for the next duty cycle. */
    void offer(final Publication first, final String owner, final DirectBuffer b, final int length, final String what,
               final boolean sendNow) {
        sender.offer(first, owner, b, length, what, sendNow);
    }

    /** As {@link PeerRequests#request}: sends a request and {@return its reply's bytes} */
    byte[] request(final Publication pub, final String owner, final DirectBuffer b, final int length, final long id,
                   final int replyType, final int minLength, final String what) {
        return requests.request(pub, owner, b, length, id, replyType, minLength, what);
    }

    /** {@return a request id: random, so a peer cannot guess the ids of requests sent to another peer} */
    long nextRequestId() {
        return requests.nextRequestId();
    }

    /**
     * A wait strategy for the layers above (a {@code Connection}'s, through its context) that drives this
     * agent while it waits: the waiting thread runs the agent's duty cycles (its driver sends and receives,
     * incoming writes are applied and fire their tripwires) and checks its condition between them, so a
     * message from another host reaches a waiting thread without a hand-off to the duty thread (which, idle,
     * parks for up to 100 us between cycles). While driving it never parks: after a cycle with nothing to do
     * (or while another thread runs one) it yields the CPU. After {@code driveNanos} it blocks on the bell if
     * the agent has a duty thread (which then drives the link); with none, it goes on driving, parking between
     * idle cycles (up to 100 us), since nobody else would.
     *
     * @param driveNanos how long to drive the agent before blocking, ns (with a duty thread); 0 blocks at once
     * @return the strategy, named {@code nic-agent:DRIVE_NS}
     */
    public org.softclan.tripwire.WaitStrategy waitStrategy(final long driveNanos) {
        return new DrivingWaitStrategy(this, driveNanos, duty != null);
    }

    // ------------------------------------------------------------------------- the duty thread

    /**
     * One duty cycle of the agent: the media driver's and the Aeron client's work, replies kept for
     * later, and up to 64 incoming messages (writes applied, requests answered, replies handed to their
     * callers). With {@link Context#dutyThread(boolean) no duty thread}, the program calls this from its
     * waiting loops (the thread that waits drives the link: no hand-off between threads on a host of few
     * CPUs); with one, a caller may call it too. One thread at a time runs a cycle; a call while another
     * thread is in one returns 0 at once.
     *
     * @return the work done (0: nothing to do), for an idle strategy
     */
    public int doWork() {
        return cycle.doWork();
    }

    // ------------------------------------------------------------------------- helpers

    static String text(final DirectBuffer b, final int offset, final int length) {
        if (length <= 0 || offset < 0 || length > b.capacity() - offset) {
            return "";
        }
        final byte[] t = new byte[length];
        b.getBytes(offset, t);
        return new String(t, StandardCharsets.UTF_8);
    }

    static String checkName(final String name, final String what) {
        Objects.requireNonNull(name, what);
        if (!Fabric.isValidRegionName(name)) {
            throw new IllegalArgumentException(what + " '" + name + "': use 1 to 100 of A-Z a-z 0-9 . _ -,"
                + " starting with a letter or digit");
        }
        return name;
    }

    static void closeQuietly(final AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (final Exception ignored) {
                // closing after a failed start: the first failure is the one reported
            }
        }
    }

    /**
     * First waits (up to the timeout per peer) until what this host sent its peers has been applied there
     * ({@link #flush}), then stops the duty thread, fails the requests still waiting, and closes the
     * publications, the subscription, the driver (deleting its directory) and the fabric. Idempotent. If the
     * duty thread does not stop within 5 s, the agent's memory is left as it is (a thread may still be inside
     * it). A JVM that exits without closing the agent ({@code System.exit}) closes it in a shutdown hook, so
     * its last stores are delivered too; a JVM killed ({@code kill -9}) loses what was not sent yet.
     *
     * <p>Thread-safe: one call flushes and shuts the agent down; a call meanwhile from another thread waits
     * until that one has returned (unless it comes from inside a duty cycle, which the first may be waiting
     * for: it returns at once), and a call after it returns at once.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitShutDown();
            return;
        }
        try {
            shutDown();
        } finally {
            shutDown.countDown();
        }
    }

    /** A close while another thread's is under way: waits for it, unless this thread is in a duty cycle. */
    private void awaitShutDown() {
        if (cycle.isInCycle()) {
            return;   // the first close may be waiting for this cycle to end (the duty thread's join, awaitCycleEnd)
        }
        try {
            shutDown.await();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();   // stops waiting; the first close goes on
        }
    }

    /** What {@link #close()} does, once. */
    private void shutDown() {
        // what this host sent is delivered before the link goes: a store returns once it is in the publication,
        // and a publication closed with data unsent loses it (the driver stops with this agent)
        if (isAlive()) {
            final long deadline = System.nanoTime() + timeoutNanos;   // one timeout for all peers, not one each
            for (final String other : sender.unsynced()) {
                if (!peerHosts.isGone(other) && System.nanoTime() - deadline < 0) {
                    try {
                        flush(other);
                    } catch (final RuntimeException e) {
                        counters.lastRefusal = "close: could not flush the link to host '" + other + "': " + e.getMessage();
                    }
                }
            }
        }
        closed.set(true);
        if (Thread.currentThread() != exitHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(exitHook);
            } catch (final IllegalStateException exiting) {
                // the JVM is exiting: the hook runs or ran
            }
        }
        cycle.stop();
        if (duty != null) {
            try {
                duty.join(5_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeQuietly(importer);
        requests.failAll(host);
        links.revokeEverything("the agent of host '" + host + "' that carried it closed");
        if (duty != null && duty.isAlive()) {
            return;
        }
        cycle.awaitCycleEnd();   // a program's thread may be in a cycle: let it finish
        server.close();
        transport.close();
        closeQuietly(endpoint);
        fabric.close();
    }
}
