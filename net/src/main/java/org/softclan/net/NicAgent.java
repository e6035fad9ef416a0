package org.softclan.net;

import static org.softclan.net.LinkMessageDescriptor.HEADER_LENGTH;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_HOST_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_KEY_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_NAMES_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_NAME_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_GENERATION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_SIZE_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_TEXT_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_REPLY_TYPE;
import static org.softclan.net.LinkMessageDescriptor.LOOKUP_TYPE;
import static org.softclan.net.LinkMessageDescriptor.READ_GENERATION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_HOST_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_KEY_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_NAMES_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_NAME_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_OFFSET_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_REPLY_DATA_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.READ_REPLY_TYPE;
import static org.softclan.net.LinkMessageDescriptor.READ_TYPE;
import static org.softclan.net.LinkMessageDescriptor.REPLY_STATUS_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.REPLY_TEXT_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.REQUEST_ID_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.STATUS_MALFORMED;
import static org.softclan.net.LinkMessageDescriptor.STATUS_OK;
import static org.softclan.net.LinkMessageDescriptor.TYPE_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.VERSION;
import static org.softclan.net.LinkMessageDescriptor.VERSION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_DATA_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_GENERATION_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_KEY_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_KIND_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_NAME_LENGTH_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_NAME_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_OFFSET_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_TYPE;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.Header;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.softclan.dsm.DsmException;
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

    /** How an agent is set up. */
    public static final class Context {
        private Path fabric;
        private String host;
        private String listen;
        private final Map<String, String> peers = new LinkedHashMap<>();
        private long timeoutNanos = TimeUnit.SECONDS.toNanos(5);
        private boolean dutyThread = true;
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
    /** Each peer's IP address as its messages come from (its listen address resolved), or absent if unknown. */
    private final Map<String, String> peerIps = new ConcurrentHashMap<>();
    private final long timeoutNanos;
    private final Fabric fabric;
    private final Endpoint endpoint;
    private final MediaDriver driver;
    private final AgentInvoker driverInvoker;
    private final AgentInvoker clientInvoker;
    private final Aeron aeron;
    private final Subscription subscription;
    private final Map<String, Publication> publications = new ConcurrentHashMap<>();
    /** Requests waiting for their reply: the reply's type and the host it must come from. */
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    /** This launch of the agent, as its HELLO says: a peer that sees it change knows this agent restarted. */
    private final long launchId = new java.security.SecureRandom().nextLong();
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    /** Set by Aeron's error handler when the client or driver failed (then nothing crosses the link). */
    private volatile Throwable failure;
    private final ServedRegions served;
    /** The publications' datagram size, or 0 for Aeron's default. */
    private final int mtu;
    /** How the duty thread idles. */
    private final IdleStrategy dutyIdle;
    /** The agent's own duty thread, or {@code null} when the program drives it ({@link #doWork()}). */
    private final Thread duty;
    /** Held by the thread running a duty cycle. */
    private final java.util.concurrent.locks.ReentrantLock dutyLock = new java.util.concurrent.locks.ReentrantLock();
    private final FragmentAssembler assembler = new FragmentAssembler(this::onMessage);
    private volatile boolean running = true;
    private final ThreadLocal<ExpandableArrayBuffer> encoding = ThreadLocal.withInitial(() -> new ExpandableArrayBuffer(1024));
    private final ExpandableArrayBuffer replies = new ExpandableArrayBuffer(1024);
    private final byte[][] readScratch = {new byte[1024]};
    private final long[] sizeAndGeneration = new long[2];

    private final AtomicLong writesApplied = new AtomicLong();
    private final AtomicLong bytesApplied = new AtomicLong();
    private final AtomicLong writesRefused = new AtomicLong();
    private final AtomicLong readsServed = new AtomicLong();
    private final AtomicLong lookupsServed = new AtomicLong();
    private final AtomicLong requestsRefused = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong backPressured = new AtomicLong();
    private final AtomicLong repliesDropped = new AtomicLong();
    private final AtomicLong dutyErrors = new AtomicLong();
    /** The most bytes of replies kept waiting for their publications, in all. */
    static final int MAX_BACKLOG_BYTES = 4 * 1024 * 1024;
    /** Bytes of replies kept (the duty thread's alone). */
    private long backlogBytes;
    /** Replies the duty thread could not send at once, per publication (the duty thread's alone). */
    private final Map<Publication, java.util.ArrayDeque<Backlogged>> backlog = new java.util.HashMap<>();
    private volatile String lastRefusal = "";
    /** The links of this host's mappings of other hosts' regions, per host (to revoke them). */
    private final Map<String, java.util.Set<NetworkLink>> links = new ConcurrentHashMap<>();
    /** Hosts judged gone (their image went unavailable) until they greet again. */
    private final java.util.Set<String> gone = ConcurrentHashMap.newKeySet();
    /** Which host publishes on each Aeron session, as its HELLO said (the duty thread's alone). */
    private final Map<Integer, String> sessionHosts = new java.util.HashMap<>();
    /** Peers this agent has greeted on their current publication since it last connected. */
    private final java.util.Set<String> greeted = ConcurrentHashMap.newKeySet();
    /** Each peer's Aeron session, as its last HELLO said (the duty thread's alone): a new one is a restart. */
    private final Map<String, Integer> peerSessions = new java.util.HashMap<>();
    /** When this agent last sent each peer its HELLO (it sends it again every {@link #helloIntervalNanos}). */
    private final Map<String, Long> lastGreeting = new ConcurrentHashMap<>();
    /** Half the timeout (at least 250 ms): how often a HELLO is repeated. */
    private final long helloIntervalNanos;
    /** When the duty cycle next looks whether a HELLO is due (the duty thread's alone). */
    private long nextGreetCheck;
    /** Each peer's launch id, as its last HELLO said (the duty thread's alone): a new one is a restart. */
    private final Map<String, Long> peerLaunches = new java.util.HashMap<>();
    /** When each peer's publication was made anew lately (the duty thread's alone). */
    private final Map<String, java.util.ArrayDeque<Long>> lastRenewals = new java.util.HashMap<>();
    /** At most this many renewals of one peer's publication in {@link #RENEWAL_WINDOW_NANOS}. */
    static final int MAX_RENEWALS = 5;
    static final long RENEWAL_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Peers this host sent something since its last {@link #flush}: what close makes sure has arrived. */
    private final java.util.Set<String> unsynced = ConcurrentHashMap.newKeySet();

    /** The registration of this agent as its fabric's importer of other hosts' regions. */
    private final AutoCloseable importer;
    private final AtomicLong hostsLost = new AtomicLong();
    /** Closes the agent (flushing what it sent) when the JVM exits without closing it (System.exit). */
    private final Thread exitHook;
    private final AtomicLong peersRenewed = new AtomicLong();
    private final AtomicLong mappingsRevoked = new AtomicLong();

    private NicAgent(final Context ctx) {
        this.host = Objects.requireNonNull(ctx.host, "host");
        this.hostBytes = host.getBytes(StandardCharsets.US_ASCII);
        Objects.requireNonNull(ctx.listen, "listen");
        this.peers = Map.copyOf(ctx.peers);
        for (final Map.Entry<String, String> p : peers.entrySet()) {
            final String address = p.getValue();
            final int colon = address.lastIndexOf(':');
            try {
                peerIps.put(p.getKey(), java.net.InetAddress.getByName(colon < 0 ? address
                    : address.substring(0, colon).replace("[", "").replace("]", "")).getHostAddress());
            } catch (final java.io.IOException e) {
                // not resolvable now: Aeron reports it; messages from it are not matched by address
            }
        }
        this.timeoutNanos = ctx.timeoutNanos;
        this.helloIntervalNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(250), ctx.timeoutNanos / 2);
        this.mtu = ctx.mtu;
        this.dutyIdle = ctx.dutyIdle != null ? ctx.dutyIdle : new BackoffIdleStrategy(100, 10, 1_000, 100_000);

        this.fabric = Fabric.open(Objects.requireNonNull(ctx.fabric, "fabric"));
        final String dir = ctx.fabric.resolve("aeron-" + host).toString();
        MediaDriver d = null;
        Aeron a = null;
        Endpoint e = null;
        Subscription sub = null;
        try {
            e = fabric.openEndpoint("nic-agent-" + host);
            final MediaDriver.Context dc = new MediaDriver.Context().aeronDirectoryName(dir).dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true).threadingMode(ThreadingMode.INVOKER)
                .publicationTermBufferLength(TERM_LENGTH).ipcTermBufferLength(TERM_LENGTH)
                .imageLivenessTimeoutNs(Math.max(ctx.timeoutNanos, MIN_LIVENESS_NS))
                .socketRcvbufLength(SOCKET_BUFFER_LENGTH).socketSndbufLength(SOCKET_BUFFER_LENGTH)
                .initialWindowLength(SOCKET_BUFFER_LENGTH)
                .errorHandler(this::failed);
            if (ctx.dataLoss > 0 || ctx.controlLoss > 0) {
                final double data = ctx.dataLoss;
                final double control = ctx.controlLoss;
                final long seed = ctx.lossSeed;
                dc.receiveChannelEndpointSupplier((channel, dispatcher, status, context) ->
                    new io.aeron.driver.ext.DebugReceiveChannelEndpoint(channel, dispatcher, status, context,
                        new io.aeron.driver.ext.RandomLossGenerator(data, seed),
                        new io.aeron.driver.ext.RandomLossGenerator(control, seed + 1)));
            }
            d = MediaDriver.launch(dc);
            a = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir).driverAgentInvoker(d.sharedAgentInvoker())
                .useConductorAgentInvoker(true).errorHandler(this::failed));
            sub = a.addSubscription("aeron:udp?endpoint=" + ctx.listen, STREAM_ID, image -> { }, this::imageLost);
            for (final Map.Entry<String, String> p : peers.entrySet()) {
                publications.put(p.getKey(), a.addPublication(channel(p.getValue()), STREAM_ID));
            }
        } catch (final RuntimeException | Error t) {
            closeQuietly(a);   // its publications and subscription with it
            closeQuietly(d);
            closeQuietly(e);
            fabric.close();
            throw t;
        }
        this.endpoint = e;
        this.driver = d;
        this.driverInvoker = d.sharedAgentInvoker();
        this.aeron = a;
        this.clientInvoker = a.conductorAgentInvoker();
        this.subscription = sub;
        this.served = new ServedRegions(endpoint);
        this.importer = fabric.attachRemoteImporter(new org.softclan.dsm.RemoteImporter() {
            @Override
            public String localHost() {
                return host;
            }

            @Override
            public boolean isReachable(final String other) {
                return isAlive() && peers.containsKey(other) && !gone.contains(other);
            }

            @Override
            public org.softclan.dsm.RemoteLink importRemote(final String other, final String region, final long key) {
                return NicAgent.this.importRemote(other, region, key);
            }
        });
        this.exitHook = new Thread(this::close, "softclan-nic-agent-exit-" + host);
        Runtime.getRuntime().addShutdownHook(exitHook);
        if (ctx.dutyThread) {
            this.duty = new Thread(this::run, "softclan-nic-agent-" + host);
            duty.setDaemon(true);
            duty.start();
        } else {
            this.duty = null;
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
        return lookUp(region.substring(at + 1), checkName(region.substring(0, at), "region name"), key);
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
        final Publication pub = publication(owner);
        final long id = nextRequestId();
        final ExpandableArrayBuffer b = encoding.get();
        header(b, LinkMessageDescriptor.LIST_TYPE, id);
        b.putInt(LinkMessageDescriptor.LIST_HOST_LENGTH_OFFSET, hostBytes.length);
        b.putBytes(LinkMessageDescriptor.LIST_HOST_OFFSET, hostBytes);
        final byte[] reply = request(pub, owner, b, LinkMessageDescriptor.LIST_HOST_OFFSET + hostBytes.length, id,
            LinkMessageDescriptor.LIST_REPLY_TYPE, LinkMessageDescriptor.LIST_REPLY_ENTRIES_OFFSET,
            "the list of host '" + owner + "''s regions");
        final org.agrona.concurrent.UnsafeBuffer r = new org.agrona.concurrent.UnsafeBuffer(reply);
        final int count = r.getInt(LinkMessageDescriptor.LIST_REPLY_COUNT_OFFSET);
        final java.util.List<RemoteRegionInfo> out = new java.util.ArrayList<>();
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
            out.add(new RemoteRegionInfo(owner, name, r.getLong(at), r.getLong(at + 8)));
            at += LinkMessageDescriptor.LIST_ENTRY_HEADER_LENGTH + nl;
        }
        return out;
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
        unsynced.remove(owner);   // a write after this puts it back
        final long id = nextRequestId();
        final ExpandableArrayBuffer b = encoding.get();
        header(b, LinkMessageDescriptor.SYNC_TYPE, id);
        b.putInt(LinkMessageDescriptor.SYNC_HOST_LENGTH_OFFSET, hostBytes.length);
        b.putBytes(LinkMessageDescriptor.SYNC_HOST_OFFSET, hostBytes);
        try {
            request(publication(owner), owner, b, LinkMessageDescriptor.SYNC_HOST_OFFSET + hostBytes.length, id,
                LinkMessageDescriptor.SYNC_REPLY_TYPE, LinkMessageDescriptor.SYNC_REPLY_LENGTH,
                "a flush of the link to host '" + owner + "'");
        } catch (final RuntimeException e) {
            unsynced.add(owner);
            throw e;
        }
    }

    /**
     * The fabric's importer of other hosts' regions ({@link Fabric#attachRemoteImporter}): an
     * {@code endpoint.importRegion("NAME@HOST", key)} of a program in this JVM on this agent's fabric looks
     * the region up and gets an {@link org.softclan.dsm.OutboundMapping} on a {@link NetworkLink}.
     */
    private org.softclan.dsm.RemoteLink importRemote(final String owner, final String name, final long key) {
        if (!peers.containsKey(owner)) {
            throw new org.softclan.dsm.NoSuchRegionException("region '" + name + "@" + owner + "': host '" + owner
                + "' is not a peer of host '" + host + "' (peers: " + peers.keySet() + ")");
        }
        return new NetworkLink(this, lookUp(owner, checkName(name, "region name"), key));
    }

    private RemoteRegion lookUp(final String owner, final String name, final long key) {
        final String region = name + "@" + owner;
        final Publication pub = publication(owner);
        final byte[] h = hostBytes;
        final byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        final long id = nextRequestId();
        final ExpandableArrayBuffer b = encoding.get();
        header(b, LOOKUP_TYPE, id);
        b.putLong(LOOKUP_KEY_OFFSET, key);
        b.putInt(LOOKUP_HOST_LENGTH_OFFSET, h.length);
        b.putInt(LOOKUP_NAME_LENGTH_OFFSET, n.length);
        b.putBytes(LOOKUP_NAMES_OFFSET, h);
        b.putBytes(LOOKUP_NAMES_OFFSET + h.length, n);
        final byte[] reply = request(pub, owner, b, LOOKUP_NAMES_OFFSET + h.length + n.length, id, LOOKUP_REPLY_TYPE,
            LOOKUP_REPLY_TEXT_OFFSET, "look-up of " + region);
        final org.agrona.concurrent.UnsafeBuffer r = new org.agrona.concurrent.UnsafeBuffer(reply);
        final int status = r.getInt(REPLY_STATUS_OFFSET);
        final String text = text(r, LOOKUP_REPLY_TEXT_OFFSET, r.getInt(REPLY_TEXT_LENGTH_OFFSET));
        if (status != STATUS_OK) {
            throw RemoteRegion.failure(status, "host '" + owner + "' refused the import of '" + name + "': " + text);
        }
        final long size = r.getLong(LOOKUP_REPLY_SIZE_OFFSET);
        if (size < 0) {
            throw new DsmException("host '" + owner + "' answered the look-up of '" + name + "' with a size of " + size);
        }
        return new RemoteRegion(this, owner, name, key, size, r.getLong(LOOKUP_REPLY_GENERATION_OFFSET));
    }

    /**
     * {@return this agent's counters}: writes applied (and their bytes), writes refused, reads and
     * look-ups served, requests refused, malformed messages, offers that met back-pressure, replies
     * dropped (their publication took nothing until the timeout), hosts judged gone and mappings revoked,
     * the media driver's NAKs and retransmissions sent (Aeron's system counters: loss it repaired), and the last
     * refusal's reason (as text, under {@code lastRefusal})
     */
    public Map<String, Object> counters() {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("writesApplied", writesApplied.get());
        m.put("bytesApplied", bytesApplied.get());
        m.put("writesRefused", writesRefused.get());
        m.put("readsServed", readsServed.get());
        m.put("lookupsServed", lookupsServed.get());
        m.put("requestsRefused", requestsRefused.get());
        m.put("malformed", malformed.get());
        m.put("backPressured", backPressured.get());
        m.put("repliesDropped", repliesDropped.get());
        m.put("dutyErrors", dutyErrors.get());
        m.put("hostsLost", hostsLost.get());
        m.put("peersRestarted", peersRenewed.get());
        final io.aeron.driver.status.SystemCounters sc = driver.context().systemCounters();
        m.put("naksSent", sc.get(io.aeron.driver.status.SystemCounterDescriptor.NAK_MESSAGES_SENT).get());
        m.put("retransmitsSent", sc.get(io.aeron.driver.status.SystemCounterDescriptor.RETRANSMITS_SENT).get());
        m.put("mappingsRevoked", mappingsRevoked.get());
        m.put("lastRefusal", lastRefusal);
        return m;
    }

    // ------------------------------------------------------------------------- liveness

    /** {@return the channel of a publication to a peer listening on {@code address}} */
    private String channel(final String address) {
        return "aeron:udp?endpoint=" + address + (mtu > 0 ? "|mtu=" + mtu : "");
    }

    /** The shortest image liveness timeout the driver is given, ns (below it a busy host looks dead). */
    static final long MIN_LIVENESS_NS = TimeUnit.MILLISECONDS.toNanos(500);

    /** {@return whether {@code other}'s agent went silent (its image unavailable) and has not greeted since} */
    boolean isGone(final String other) {
        return gone.contains(other);
    }

    void opened(final NetworkLink link) {
        links.computeIfAbsent(link.host(), h -> ConcurrentHashMap.newKeySet()).add(link);
        if (gone.contains(link.host())) {
            link.revoke("host '" + link.host() + "' went silent before the import was done");
        }
    }

    void closed(final NetworkLink link) {
        final java.util.Set<NetworkLink> s = links.get(link.host());
        if (s != null) {
            s.remove(link);
        }
    }

    /** The client's word that an image went unavailable: its host is gone if it was a peer's greeted session. */
    private void imageLost(final io.aeron.Image image) {
        assembler.freeSessionBuffer(image.sessionId());
        final String other = sessionHosts.remove(image.sessionId());
        if (image.isEndOfStream()) {
            return;   // closed by its agent (a renewal, a restart, a close): not a host gone silent
        }
        if (other != null && !sessionHosts.containsValue(other)) {
            hostGone(other, "host '" + other + "' sent nothing for longer than the link's liveness timeout of "
                + TimeUnit.NANOSECONDS.toMillis(Math.max(timeoutNanos, MIN_LIVENESS_NS)) + " ms (its agent died, or the"
                + " link is cut)");
        }
    }

    /** Revokes every mapping of {@code other}'s regions, saying {@code reason}; later imports may try again. */
    private void hostGone(final String other, final String reason) {
        gone.add(other);
        hostsLost.incrementAndGet();
        revokeAll(other, null, -1, reason);
    }

    /** Revokes the mappings of {@code other}'s regions (of one region and generation, or all with null). */
    private void revokeAll(final String other, final String name, final long generation, final String reason) {
        final java.util.Set<NetworkLink> s = links.get(other);
        if (s == null) {
            return;
        }
        for (final NetworkLink l : s) {
            if (name == null || (l.region().name().equals(name) && l.region().generation() == generation)) {
                mappingsRevoked.incrementAndGet();
                l.revoke(reason);
            }
        }
    }

    /** Greets each peer whose publication (re)connected: its agent learns which session is this host. */
    private int greet() {
        int work = 0;
        final long now = System.nanoTime();
        for (final Map.Entry<String, Publication> p : publications.entrySet()) {
            final Long last = lastGreeting.get(p.getKey());
            if (!p.getValue().isConnected() || last != null && now - last > helloIntervalNanos) {
                greeted.remove(p.getKey());   // greeted again: a peer that judged this host gone hears from it
            }
            if (p.getValue().isConnected() && !greeted.contains(p.getKey()) && greet(p.getKey(), p.getValue())) {
                work++;
            }
        }
        return work;
    }

    /**
     * Sends {@code other} this host's HELLO on {@code pub} if it has not had it since {@code pub} connected,
     * before anything else this host sends it there (a request's reply goes back on the publication the HELLO
     * named). Any thread; one HELLO per connection.
     *
     * @return whether a HELLO was sent now
     */
    private boolean greet(final String other, final Publication pub) {
        synchronized (greeted) {
            if (greeted.contains(other) || !pub.isConnected()) {
                return false;
            }
            final ExpandableArrayBuffer b = new ExpandableArrayBuffer(64);
            header(b, LinkMessageDescriptor.HELLO_TYPE, 0);
            b.putLong(LinkMessageDescriptor.HELLO_LAUNCH_OFFSET, launchId);
            b.putInt(LinkMessageDescriptor.HELLO_HOST_LENGTH_OFFSET, hostBytes.length);
            b.putBytes(LinkMessageDescriptor.HELLO_HOST_OFFSET, hostBytes);
            if (pub.offer(b, 0, LinkMessageDescriptor.HELLO_HOST_OFFSET + hostBytes.length) > 0) {
                greeted.add(other);
                lastGreeting.put(other, System.nanoTime());
                return true;
            }
            return false;
        }
    }

    private void onHello(final DirectBuffer b, final int o, final int length, final Header header) {
        final int hl = length < LinkMessageDescriptor.HELLO_HOST_OFFSET ? -1
            : b.getInt(o + LinkMessageDescriptor.HELLO_HOST_LENGTH_OFFSET);
        final String other = hl < 1 || LinkMessageDescriptor.HELLO_HOST_OFFSET + (long) hl != length ? null
            : ServedRegions.name(b, o + LinkMessageDescriptor.HELLO_HOST_OFFSET, hl);
        if (other == null || !peers.containsKey(other) || !fromHost(header, other)) {
            malformed.incrementAndGet();
            return;
        }
        final long launch = b.getLong(o + LinkMessageDescriptor.HELLO_LAUNCH_OFFSET);
        peerSessions.put(other, header.sessionId());
        sessionHosts.put(header.sessionId(), other);
        gone.remove(other);
        final Long before = peerLaunches.put(other, launch);
        if (before != null && before != launch) {
            // the peer's agent restarted: a new publication, at most MAX_RENEWALS in RENEWAL_WINDOW per peer (a
            // peer claiming a new launch in every HELLO must not make this agent churn publications)
            final java.util.ArrayDeque<Long> times = lastRenewals.computeIfAbsent(other, k -> new java.util.ArrayDeque<>());
            final long now = System.nanoTime();
            while (!times.isEmpty() && now - times.peekFirst() > RENEWAL_WINDOW_NANOS) {
                times.pollFirst();
            }
            if (times.size() < MAX_RENEWALS) {
                times.addLast(now);
                renew(other);
            } else {
                requestsRefused.incrementAndGet();
                lastRefusal = "host '" + other + "' restarted its agent more than " + MAX_RENEWALS + " times in "
                    + TimeUnit.NANOSECONDS.toSeconds(RENEWAL_WINDOW_NANOS) + " s: its publication was not made anew";
            }
        }
    }

    /**
     * {@code other}'s agent started again (a HELLO with a new launch id): this host's publication to it still
     * counts as connected, but the new agent's subscription would join it at its current position and miss
     * what was sent before its image existed (a reply to its first request). So the publication is made
     * anew: it connects to the new agent from its first byte, and replies wait for that (kept, as for any
     * publication not yet connected). On the duty cycle's thread, between two messages.
     */
    private void renew(final String other) {
        final Publication old = publications.get(other);
        final String address = peers.get(other);
        if (old == null || address == null) {
            return;
        }
        final Publication fresh;
        synchronized (greeted) {
            // closed first: a publication added while the old one is open would share its session
            old.close();
            fresh = aeron.addPublication(channel(address), STREAM_ID);
            publications.put(other, fresh);
            greeted.remove(other);
        }
        final java.util.ArrayDeque<Backlogged> kept = backlog.remove(old);
        if (kept != null) {
            backlog.computeIfAbsent(fresh, k -> new java.util.ArrayDeque<>()).addAll(kept);
        }
        peersRenewed.incrementAndGet();
    }

    /** The owner refused one of this host's writes: the importer's mappings of that region are revoked. */
    private void onRefused(final DirectBuffer b, final int o, final int length, final Header header) {
        final String other = sessionHosts.get(header.sessionId());
        final int nl = length < LinkMessageDescriptor.REFUSED_NAME_OFFSET ? -1
            : b.getInt(o + LinkMessageDescriptor.REFUSED_NAME_LENGTH_OFFSET);
        final String name = nl < 1 || LinkMessageDescriptor.REFUSED_NAME_OFFSET + (long) nl != length ? null
            : ServedRegions.name(b, o + LinkMessageDescriptor.REFUSED_NAME_OFFSET, nl);
        if (other == null || name == null || !fromHost(header, other)) {
            malformed.incrementAndGet();
            return;
        }
        final int status = b.getInt(o + LinkMessageDescriptor.REFUSED_STATUS_OFFSET);
        revokeAll(other, name, b.getLong(o + LinkMessageDescriptor.REFUSED_GENERATION_OFFSET), "host '" + other
            + "' refused a write to it (" + LinkMessageDescriptor.statusName(status) + "): "
            + (status == LinkMessageDescriptor.STATUS_STALE ? "the region was removed or exported anew since it was"
            + " imported" : "access denied"));
    }

    /** Tells the host that sent a refused write (known by its session's HELLO) that its write was refused. */
    private void tellRefused(final Header header, final String name, final long generation, final int status) {
        final String writer = sessionHosts.get(header.sessionId());
        final Publication back = writer == null ? null : publications.get(writer);
        if (back == null) {
            return;
        }
        final byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        final ExpandableArrayBuffer r = replies;
        header(r, LinkMessageDescriptor.REFUSED_TYPE, 0);
        r.putInt(LinkMessageDescriptor.REFUSED_STATUS_OFFSET, status);
        r.putInt(LinkMessageDescriptor.REFUSED_NAME_LENGTH_OFFSET, n.length);
        r.putLong(LinkMessageDescriptor.REFUSED_GENERATION_OFFSET, generation);
        r.putBytes(LinkMessageDescriptor.REFUSED_NAME_OFFSET, n);
        reply(back, r, LinkMessageDescriptor.REFUSED_NAME_OFFSET + n.length);
    }

    // ------------------------------------------------------------------------- sending

    Publication publication(final String owner) {
        final Publication p = publications.get(owner);
        if (p == null) {
            throw new IllegalArgumentException("host '" + owner + "' is not a peer of host '" + host + "' (peers: "
                + peers.keySet() + ")");
        }
        return p;
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
        offer(first, owner, b, length, what, true);
    }

    /**
     * As {@link #offer(Publication, String, DirectBuffer, int, String)}; with {@code sendNow} false the
     * message is left in the publication for the next duty cycle (the duty thread's, or the one after the
     * next ordered store, request or driving wait), so a plain burst and the release store that follows it
     * leave in one datagram where they fit, with one system call.
     */
    void offer(final Publication first, final String owner, final DirectBuffer b, final int length, final String what,
               final boolean sendNow) {
        final long deadline = System.nanoTime() + timeoutNanos;
        int idle = 0;
        Publication pub = first;
        while (true) {
            final Publication now = publications.get(owner);
            if (now != null) {
                pub = now;   // made anew when the peer restarted: send there
            }
            if (!greeted.contains(owner)) {
                greet(owner, pub);   // the HELLO first: the peer answers on the publication it names
            }
            // nothing before the HELLO: a HELLO refused (back-pressured just after connecting) and a request
            // taken a moment later would reach a restarted peer's agent first, which would answer on the
            // publication it had before it learned of the restart, one this agent may never join
            final long r = greeted.contains(owner) ? pub.offer(b, 0, length) : Publication.NOT_CONNECTED;
            if (r > 0) {
                if (b.getInt(TYPE_OFFSET) == WRITE_TYPE) {
                    unsynced.add(owner);   // a request's answer says its own messages arrived
                }
                // the driver sends it now, on this thread, unless the duty thread is in a cycle already (it
                // will send it): no wait for a parked duty thread to come round
                if (sendNow) {
                    doWork();
                }
                return;
            }
            if (r == Publication.CLOSED && closed.get() || r == Publication.MAX_POSITION_EXCEEDED) {
                throw new LinkTimeoutException("the link to host '" + owner + "' is closed (" + what + ")");
            }
            if (r == Publication.BACK_PRESSURED) {
                backPressured.incrementAndGet();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new LinkTimeoutException(what + ": " + (r == Publication.NOT_CONNECTED
                    ? "host '" + owner + "' is not connected (its agent is gone, or the link is cut)"
                    : "host '" + owner + "' took nothing (back-pressure)") + " for "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            }
            if (doWork() > 0) {
                idle = 0;   // this thread drove the link (or nobody else does): the offer may go now
            } else if (++idle < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(Math.min(1_000_000, 1_000L * (idle - 99)));
            }
        }
    }

    /** What a request waits for: a reply of {@code type} from {@code host}. */
    private record Pending(CompletableFuture<byte[]> reply, int type, String host) {
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
            if (closed.get()) {
                throw new LinkTimeoutException(what + ": the agent of host '" + host + "' is closed");
            }
            offer(pub, owner, b, length, what);
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
        if (duty != null) {
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
            idle.idle(doWork());
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
        return new org.softclan.tripwire.WaitStrategy() {
            @Override
            public boolean await(final java.util.function.BooleanSupplier ready, final org.softclan.tripwire.EventQueue bell,
                                 final long timeoutNanos) {
                final long start = System.nanoTime();
                IdleStrategy idle = null;
                while (true) {
                    if (ready.getAsBoolean()) {
                        return true;
                    }
                    final long spent = System.nanoTime() - start;
                    if (spent >= timeoutNanos) {
                        return false;
                    }
                    if (spent < driveNanos) {
                        // driving: never parked (a park costs more than a round trip); when another thread is in
                        // a cycle or there was nothing to do, give the CPU to whoever is runnable, and try again
                        if (doWork() <= 0) {
                            Thread.yield();
                        }
                    } else if (duty != null) {
                        return org.softclan.tripwire.WaitStrategy.block().await(ready, bell, timeoutNanos - spent);
                    } else {
                        if (idle == null) {
                            idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
                        }
                        idle.idle(doWork());
                    }
                }
            }

            @Override
            public String name() {
                return "nic-agent:" + driveNanos;
            }
        };
    }

    // ------------------------------------------------------------------------- the duty thread

    private void run() {
        final IdleStrategy idle = dutyIdle;
        while (running) {
            idle.idle(doWork());
        }
    }

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
        if (!dutyLock.tryLock()) {
            return 0;
        }
        int work = 0;
        try {
            if (closed.get()) {
                return 0;
            }
            work += driverInvoker.invoke();
            work += clientInvoker.invoke();
            if (!backlog.isEmpty()) {
                work += sendBacklog();
            }
            if (greeted.size() < publications.size() || System.nanoTime() - nextGreetCheck > 0) {
                nextGreetCheck = System.nanoTime() + helloIntervalNanos / 4;
                work += greet();
            }
            work += subscription.poll(assembler, 64);
        } catch (final RuntimeException e) {
            // a defect here must not end the host's link: counted, the duty goes on
            dutyErrors.incrementAndGet();
            lastRefusal = "duty cycle: " + e;
        } finally {
            dutyLock.unlock();
        }
        return work;
    }

    private void onMessage(final DirectBuffer b, final int offset, final int length, final Header header) {
        if (length < HEADER_LENGTH || b.getInt(offset + VERSION_OFFSET) != VERSION) {
            malformed.incrementAndGet();
            return;
        }
        final int type = b.getInt(offset + TYPE_OFFSET);
        final long id = b.getLong(offset + REQUEST_ID_OFFSET);
        try {
            switch (type) {
                case WRITE_TYPE -> onWrite(b, offset, length, header);
                case LinkMessageDescriptor.HELLO_TYPE -> onHello(b, offset, length, header);
                case LinkMessageDescriptor.LIST_TYPE -> onList(b, offset, length, id, header);
                case LinkMessageDescriptor.SYNC_TYPE -> onSync(b, offset, length, id, header);
                case LinkMessageDescriptor.REFUSED_TYPE -> onRefused(b, offset, length, header);
                case LOOKUP_TYPE -> onLookup(b, offset, length, id, header);
                case READ_TYPE -> onRead(b, offset, length, id, header);
                case LOOKUP_REPLY_TYPE, READ_REPLY_TYPE, LinkMessageDescriptor.LIST_REPLY_TYPE,
                     LinkMessageDescriptor.SYNC_REPLY_TYPE -> {
                    final Pending p = pending.get(id);
                    if (p != null && p.type == type && fromHost(header, p.host)) {
                        final byte[] copy = new byte[length];
                        b.getBytes(offset, copy);
                        p.reply.complete(copy);
                    } else {
                        malformed.incrementAndGet();   // a reply nobody asked for, or of the wrong type
                    }
                }
                default -> malformed.incrementAndGet();
            }
        } catch (final RuntimeException e) {
            // a length field pointing past the message, or a defect met on a peer's input: that message only
            malformed.incrementAndGet();
            lastRefusal = "a message of type " + type + ": " + e;
        }
    }

    private void onWrite(final DirectBuffer b, final int o, final int length, final Header header) {
        final String writer = sessionHosts.get(header.sessionId());
        if (length < WRITE_NAME_OFFSET || writer == null || !fromHost(header, writer)) {
            malformed.incrementAndGet();   // a write from a session no peer greeted on: not applied
            return;
        }
        final int nameLength = b.getInt(o + WRITE_NAME_LENGTH_OFFSET);
        final int dataLength = b.getInt(o + WRITE_DATA_LENGTH_OFFSET);
        final String name = served.nameAt(b, o + WRITE_NAME_OFFSET, Math.min(Math.max(nameLength, 0), length - WRITE_NAME_OFFSET));
        if (name == null || name.length() != nameLength || dataLength < 0
            || (long) WRITE_NAME_OFFSET + nameLength + dataLength != length) {
            malformed.incrementAndGet();
            return;
        }
        final ServedRegions.Outcome out = served.write(name, b.getLong(o + WRITE_GENERATION_OFFSET),
            b.getLong(o + WRITE_KEY_OFFSET), b.getLong(o + WRITE_OFFSET_OFFSET), b.getInt(o + WRITE_KIND_OFFSET),
            b, o + WRITE_NAME_OFFSET + nameLength, dataLength);
        if (out.status() == STATUS_OK) {
            writesApplied.incrementAndGet();
            bytesApplied.addAndGet(dataLength);
        } else {
            writesRefused.incrementAndGet();
            lastRefusal = "write to '" + name + "': " + LinkMessageDescriptor.statusName(out.status()) + ": " + out.text();
            if (out.status() == LinkMessageDescriptor.STATUS_STALE || out.status() == LinkMessageDescriptor.STATUS_ACCESS_DENIED) {
                tellRefused(header, name, b.getLong(o + WRITE_GENERATION_OFFSET), out.status());
            }
        }
    }

    private void onLookup(final DirectBuffer b, final int o, final int length, final long id, final Header header) {
        if (length < LOOKUP_NAMES_OFFSET) {
            malformed.incrementAndGet();
            return;
        }
        final int hl = b.getInt(o + LOOKUP_HOST_LENGTH_OFFSET);
        final int nl = b.getInt(o + LOOKUP_NAME_LENGTH_OFFSET);
        if (hl < 1 || nl < 1 || (long) LOOKUP_NAMES_OFFSET + hl + nl != length) {
            malformed.incrementAndGet();
            return;
        }
        final String asker = ServedRegions.name(b, o + LOOKUP_NAMES_OFFSET, hl);
        final String name = ServedRegions.name(b, o + LOOKUP_NAMES_OFFSET + hl, nl);
        final Publication back = asker == null ? null : publications.get(asker);
        if (back == null || name == null || !fromHost(header, asker)) {
            malformed.incrementAndGet();   // no way to answer a host that is not a peer
            return;
        }
        final ServedRegions.Outcome out = served.lookup(name, b.getLong(o + LOOKUP_KEY_OFFSET), sizeAndGeneration);
        final ExpandableArrayBuffer r = replies;
        header(r, LOOKUP_REPLY_TYPE, id);
        r.putInt(REPLY_STATUS_OFFSET, out.status());
        final byte[] text = forPeer(out, name).getBytes(StandardCharsets.UTF_8);
        r.putInt(REPLY_TEXT_LENGTH_OFFSET, text.length);
        r.putLong(LOOKUP_REPLY_SIZE_OFFSET, out.status() == STATUS_OK ? sizeAndGeneration[0] : 0);
        r.putLong(LOOKUP_REPLY_GENERATION_OFFSET, out.status() == STATUS_OK ? sizeAndGeneration[1] : 0);
        r.putBytes(LOOKUP_REPLY_TEXT_OFFSET, text);
        if (out.status() == STATUS_OK) {
            lookupsServed.incrementAndGet();
        } else {
            requestsRefused.incrementAndGet();
            lastRefusal = "look-up of '" + name + "' by host '" + asker + "': " + out.text();
        }
        reply(back, r, LOOKUP_REPLY_TEXT_OFFSET + text.length);
    }

    /** A peer's SYNC: everything it sent before was applied (in order, by this thread): say so. */
    private void onSync(final DirectBuffer b, final int o, final int length, final long id, final Header header) {
        final int hl = length < LinkMessageDescriptor.SYNC_HOST_OFFSET ? -1
            : b.getInt(o + LinkMessageDescriptor.SYNC_HOST_LENGTH_OFFSET);
        final String asker = hl < 1 || LinkMessageDescriptor.SYNC_HOST_OFFSET + (long) hl != length ? null
            : ServedRegions.name(b, o + LinkMessageDescriptor.SYNC_HOST_OFFSET, hl);
        final Publication back = asker == null ? null : publications.get(asker);
        if (back == null || !fromHost(header, asker)) {
            malformed.incrementAndGet();
            return;
        }
        final ExpandableArrayBuffer r = replies;
        header(r, LinkMessageDescriptor.SYNC_REPLY_TYPE, id);
        r.putInt(REPLY_STATUS_OFFSET, STATUS_OK);
        r.putInt(REPLY_TEXT_LENGTH_OFFSET, 0);
        reply(back, r, LinkMessageDescriptor.SYNC_REPLY_LENGTH);
    }

    /** The last listing of this fabric's regions, and when it was made (the duty thread's alone). */
    private java.util.List<org.softclan.dsm.RegionInfo> listCache;
    private long listCachedAt;

    /** A peer asks which regions it may import: this fabric's active regions of applications, as many as fit. */
    private void onList(final DirectBuffer b, final int o, final int length, final long id, final Header header) {
        final int hl = length < LinkMessageDescriptor.LIST_HOST_OFFSET ? -1
            : b.getInt(o + LinkMessageDescriptor.LIST_HOST_LENGTH_OFFSET);
        final String asker = hl < 1 || LinkMessageDescriptor.LIST_HOST_OFFSET + (long) hl != length ? null
            : ServedRegions.name(b, o + LinkMessageDescriptor.LIST_HOST_OFFSET, hl);
        final Publication back = asker == null ? null : publications.get(asker);
        if (back == null || !fromHost(header, asker)) {
            malformed.incrementAndGet();
            return;
        }
        final ExpandableArrayBuffer r = replies;
        header(r, LinkMessageDescriptor.LIST_REPLY_TYPE, id);
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
        lookupsServed.incrementAndGet();
        reply(back, r, at);
    }

    private void onRead(final DirectBuffer b, final int o, final int length, final long id, final Header header) {
        if (length < READ_NAMES_OFFSET) {
            malformed.incrementAndGet();
            return;
        }
        final int hl = b.getInt(o + READ_HOST_LENGTH_OFFSET);
        final int nl = b.getInt(o + READ_NAME_LENGTH_OFFSET);
        final int want = b.getInt(o + READ_LENGTH_OFFSET);
        final int op = b.getInt(o + LinkMessageDescriptor.READ_OP_OFFSET);
        final int operands = op == LinkMessageDescriptor.OP_CAS ? 16 : op == LinkMessageDescriptor.OP_ADD ? 8 : 0;
        if (hl < 1 || nl < 1 || op < LinkMessageDescriptor.OP_READ || op > LinkMessageDescriptor.OP_ADD
            || (long) READ_NAMES_OFFSET + hl + nl + operands != length) {
            malformed.incrementAndGet();
            return;
        }
        final String asker = ServedRegions.name(b, o + READ_NAMES_OFFSET, hl);
        final String name = ServedRegions.name(b, o + READ_NAMES_OFFSET + hl, nl);
        final Publication back = asker == null ? null : publications.get(asker);
        if (back == null || name == null || !fromHost(header, asker)) {
            malformed.incrementAndGet();
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
        header(r, READ_REPLY_TYPE, id);
        r.putInt(REPLY_STATUS_OFFSET, out.status());
        if (out.status() == STATUS_OK) {
            readsServed.incrementAndGet();
            r.putInt(REPLY_TEXT_LENGTH_OFFSET, want);
            r.putBytes(READ_REPLY_DATA_OFFSET, readScratch[0], 0, want);
            reply(back, r, READ_REPLY_DATA_OFFSET + want);
        } else {
            requestsRefused.incrementAndGet();
            lastRefusal = "read of '" + name + "' by host '" + asker + "': " + out.text();
            final byte[] text = forPeer(out, name).getBytes(StandardCharsets.UTF_8);
            r.putInt(REPLY_TEXT_LENGTH_OFFSET, text.length);
            r.putBytes(READ_REPLY_DATA_OFFSET, text);
            reply(back, r, READ_REPLY_DATA_OFFSET + text.length);
        }
    }

    /**
     * A reply from the duty thread, which never waits for it: sent at once if the publication takes it,
     * else kept (with any reply behind it to the same host, in order) and offered again on each duty cycle
     * until the agent's timeout passes (the asker has given up by then; counted as dropped).
     */
    private void reply(final Publication back, final DirectBuffer r, final int length) {
        final java.util.ArrayDeque<Backlogged> q = backlog.get(back);
        if (q == null || q.isEmpty()) {
            final long pos = back.offer(r, 0, length);
            if (pos > 0 || pos == Publication.CLOSED || pos == Publication.MAX_POSITION_EXCEEDED) {
                return;
            }
        }
        if (backlogBytes + length > MAX_BACKLOG_BYTES) {
            repliesDropped.incrementAndGet();   // the asker times out; this agent's memory stays bounded
            return;
        }
        final byte[] copy = new byte[length];
        r.getBytes(0, copy);
        backlogBytes += length;
        backlog.computeIfAbsent(back, k -> new java.util.ArrayDeque<>())
            .add(new Backlogged(new org.agrona.concurrent.UnsafeBuffer(copy), System.nanoTime() + timeoutNanos));
    }

    /** A reply waiting for its publication (not connected yet, or back-pressured). */
    private record Backlogged(DirectBuffer message, long deadline) {
    }

    /** Offers the kept replies again, oldest first per host; {@return how many went} */
    private int sendBacklog() {
        int sent = 0;
        for (final Map.Entry<Publication, java.util.ArrayDeque<Backlogged>> e : backlog.entrySet()) {
            final java.util.ArrayDeque<Backlogged> q = e.getValue();
            while (!q.isEmpty()) {
                final Backlogged b = q.peek();
                final long pos = e.getKey().offer(b.message, 0, b.message.capacity());
                if (pos > 0 || pos == Publication.CLOSED || pos == Publication.MAX_POSITION_EXCEEDED) {
                    q.poll();
                    backlogBytes -= b.message.capacity();
                    sent++;
                } else if (System.nanoTime() - b.deadline > 0) {
                    q.poll();
                    backlogBytes -= b.message.capacity();
                    repliesDropped.incrementAndGet();
                } else {
                    if (pos == Publication.BACK_PRESSURED) {
                        backPressured.incrementAndGet();
                    }
                    break;
                }
            }
        }
        return sent;
    }

    /**
     * {@return whether a message came from {@code claimed}'s address} (the Aeron image's source, against
     * the peer's configured address): a host cannot answer for another, nor have an agent send another
     * host replies it did not ask for. Hosts that share an address (agents on one machine's loopback)
     * are not told apart.
     */
    private boolean fromHost(final Header header, final String claimed) {
        String ip = peerIps.get(claimed);
        if (ip == null && peers.containsKey(claimed)) {
            ip = resolve(peers.get(claimed));   // not resolvable at launch: try again; never trust it unresolved
            if (ip == null) {
                return false;
            }
            peerIps.put(claimed, ip);
        }
        if (ip == null || !(header.context() instanceof io.aeron.Image image)) {
            return false;
        }
        final String source = image.sourceIdentity();
        final int colon = source.lastIndexOf(':');
        final String sourceIp = (colon < 0 ? source : source.substring(0, colon)).replace("[", "").replace("]", "");
        try {
            return ip.equals(java.net.InetAddress.getByName(sourceIp).getHostAddress());
        } catch (final java.io.IOException e) {
            return false;
        }
    }

    /** {@return the IP address of {@code address} (HOST:PORT), or null if it cannot be resolved} */
    private static String resolve(final String address) {
        final int colon = address.lastIndexOf(':');
        try {
            return java.net.InetAddress.getByName(colon < 0 ? address
                : address.substring(0, colon).replace("[", "").replace("]", "")).getHostAddress();
        } catch (final java.io.IOException e) {
            return null;
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

    private static void closeQuietly(final AutoCloseable c) {
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
     */
    @Override
    public void close() {
        if (closed.get()) {
            return;
        }
        // what this host sent is delivered before the link goes: a store returns once it is in the publication,
        // and a publication closed with data unsent loses it (the driver stops with this agent)
        if (isAlive()) {
            final long deadline = System.nanoTime() + timeoutNanos;   // one timeout for all peers, not one each
            for (final String other : unsynced.toArray(new String[0])) {
                if (!gone.contains(other) && System.nanoTime() - deadline < 0) {
                    try {
                        flush(other);
                    } catch (final RuntimeException e) {
                        lastRefusal = "close: could not flush the link to host '" + other + "': " + e.getMessage();
                    }
                }
            }
        }
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (Thread.currentThread() != exitHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(exitHook);
            } catch (final IllegalStateException exiting) {
                // the JVM is exiting: the hook runs or ran
            }
        }
        running = false;
        if (duty != null) {
            try {
                duty.join(5_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeQuietly(importer);
        for (final Pending p : pending.values()) {
            p.reply.completeExceptionally(new LinkTimeoutException("the agent of host '" + host + "' closed"));
        }
        for (final String other : links.keySet()) {
            revokeAll(other, null, -1, "the agent of host '" + host + "' that carried it closed");
        }
        if (duty != null && duty.isAlive()) {
            return;
        }
        dutyLock.lock();   // a program's thread may be in a cycle: let it finish
        dutyLock.unlock();
        served.close();
        closeQuietly(aeron);
        closeQuietly(driver);
        closeQuietly(endpoint);
        fabric.close();
    }
}
