package org.softclan.bench.peers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * One system under test, with both ends of each measurement it takes part in: a request/response round
 * trip ({@link Client} and {@link Echo}, {@code bench pingpong} and {@code bench compare}) and, where it
 * has them, a one-way stream ({@link Receiver} and {@link Sender}, {@code bench stream}, {@code bench
 * techniques} and compare's throughput section). The measuring side runs in the JVM that runs the
 * command; the other side in a child JVM ({@link PeerMain}, driven through a {@link PeerProcess}).
 *
 * <p><b>Round trip</b>, set up in this order ({@link PingPongRunner}):
 * <ol>
 *   <li>the measuring JVM calls {@link #client} and {@link Client#prepare()}: it creates what the echo
 *       side attaches to (a fabric and region, a media driver) and returns parameters for it;</li>
 *   <li>the child JVM calls {@link #echo} and {@link Echo#open(Map)} with those parameters: it attaches
 *       and listens, then returns its own parameters (a port);</li>
 *   <li>the measuring JVM calls {@link Client#connect(Map)} with the child's parameters, while the
 *       child runs {@link Echo#run} (which accepts the connection first, where there is one).</li>
 * </ol>
 * Every request carries {@code size} bytes stamped by {@link Payload#stamp} with its sequence number at
 * both ends. The echo side reads the whole request into its own memory, checks both stamps
 * ({@link Payload#check}) and sends those bytes back; the client reads the whole response and checks its
 * stamps against the sequence number it sent. So a transport cannot answer without moving the full
 * payload both ways. Both loops, and the fabric the transports over regions share, are in {@link Link}:
 * a transport supplies one {@code Link} class for both sides, with its own send and receive.
 *
 * <p><b>One way</b> ({@link ThroughputBench}): the measuring JVM calls
 * {@link #receiver}, which creates what the sender attaches to and adds its names to the parameters; the
 * child calls {@link #sender} with them. The runner then has the sender send messages from its buffer
 * slots ({@link SlotSender}) and checks every byte the receiver reads.
 *
 * <p>A subclass gives its name, description and kind to the constructor and overrides the factories
 * of the measurements it takes part in ({@link #link} makes both sides of a round trip).
 */
public abstract class PeerTransport {
    private final String name;
    private final String description;
    private final boolean slow;
    private final boolean oneWay;

    /** Takes the values of {@link #name()}, {@link #description()}, {@link #slow()} and {@link #oneWay()}. */
    protected PeerTransport(final String name, final String description, final boolean slow, final boolean oneWay) {
        this.name = name;
        this.description = description;
        this.slow = slow;
        this.oneWay = oneWay;
    }

    /** @return the name on the command line, e.g. {@code tcp} */
    public final String name() {
        return name;
    }

    /** @return one line: what a round trip does */
    public final String description() {
        return description;
    }

    /** @return whether a round trip involves a kernel wake-up (tens of microseconds), so default counts are lower */
    public final boolean slow() {
        return slow;
    }

    /** @return whether this transport has one-way ends ({@link #receiver}, {@link #sender}) */
    public final boolean oneWay() {
        return oneWay;
    }

    /**
     * @param size payload bytes of each request and response
     * @return the measuring side (not yet prepared)
     * @throws UnsupportedOperationException if this transport has no round trip
     */
    public Client client(final int size) {
        return link(size, true);
    }

    /**
     * @param size payload bytes of each request and response
     * @return the echo side (not yet opened)
     * @throws UnsupportedOperationException if this transport has no round trip
     */
    public Echo echo(final int size) {
        return link(size, false);
    }

    /**
     * Makes one side of a round trip: what {@link #client} and {@link #echo} return unless overridden.
     *
     * @param size   payload bytes of each request and response
     * @param client the measuring side, else the echo side
     * @return the side
     * @throws UnsupportedOperationException if this transport has no round trip
     */
    protected Link link(final int size, final boolean client) {
        throw new UnsupportedOperationException(name + " measures one-way throughput only");
    }

    /**
     * Creates the receiving end of a one-way stream in the measuring JVM.
     *
     * @param c        the measurement's settings
     * @param rig      the session's resources (its endpoint, scratch directory, shared clients)
     * @param toSender where to put the names the sender needs (keys and values without spaces or '=')
     * @return the end, not yet started
     * @throws IOException if it cannot be set up
     */
    public Receiver receiver(final Config c, final Rig rig, final Map<String, String> toSender) throws IOException {
        throw new UnsupportedOperationException(name + " measures round trips only");
    }

    /**
     * Creates the sending end of a one-way stream in the child JVM, connected to the receiver.
     *
     * @param c            the measurement's settings
     * @param rig          the child's resources
     * @param fromReceiver what {@link #receiver} put in its parameters
     * @param slots        message buffers to rotate through
     * @return the end, connected
     * @throws IOException if it cannot connect
     */
    public Sender sender(final Config c, final Rig rig, final Map<String, String> fromReceiver, final int slots)
        throws IOException {
        throw new UnsupportedOperationException(name + " measures round trips only");
    }

    /** Something a spinning end checks now and then, which throws to make it give up. */
    @FunctionalInterface
    public interface Liveness {
        /** @throws IOException to stop waiting (the other side failed or is gone) */
        void check() throws IOException;
    }

    /** The receiving end of a one-way stream: one thread reads everything the sender sent. */
    public interface Receiver {
        /**
         * Completes the set-up once the sender was told to connect (accepts its connection).
         *
         * @param peer checked while waiting for the sender
         * @throws IOException if the sender does not come
         */
        default void start(Liveness peer) throws IOException {
        }

        /**
         * @param c the measurement's settings
         * @return the bytes of the read buffer to use: {@link Config#effectiveReadSize()} unless the end
         *         needs more
         */
        default int readSize(Config c) {
            return c.effectiveReadSize();
        }

        /**
         * Reads into {@code dst} from its position, waiting for at least one byte.
         *
         * @param dst where to put the bytes
         * @return bytes read, or -1 at the end of the stream
         * @throws IOException if the stream failed or the sender is gone
         */
        int read(ByteBuffer dst) throws IOException;

        /** Called once reading is over, before the closing handshake with the sender. */
        default void stopReading() {
        }

        /** Tells the sender to give up (the receiver stopped reading early); by default closes this end. */
        default void abort() {
            close();
        }

        /** Releases the end; never throws. */
        void close();
    }

    /** The sending end of a one-way stream: sends messages from a fixed set of buffer slots. */
    public interface Sender {
        /**
         * @param slot the slot
         * @return the slot's message buffer (position and limit are the end's business)
         */
        ByteBuffer buffer(int slot);

        /**
         * Waits until a slot's buffer may be written again (its previous send is done with it).
         *
         * @param slot the slot
         * @throws IOException if the transfer failed
         */
        default void awaitFree(int slot) throws IOException {
        }

        /**
         * Sends the first {@code size} bytes of a slot's buffer.
         *
         * @param slot the slot
         * @param size the bytes
         * @throws IOException if the stream failed or the receiver gave up
         */
        void send(int slot, int size) throws IOException;

        /**
         * Ends the stream after everything sent (waits for transfers still in flight).
         *
         * @throws IOException if the stream failed
         */
        void finish() throws IOException;

        /** Releases the end; never throws. */
        void close();
    }

    /** The measuring side: sends a request, waits for the response, checks it. One thread. */
    public interface Client extends AutoCloseable {
        /**
         * Creates what the echo side attaches to.
         *
         * @return parameters for {@link Echo#open(Map)} (keys and values without spaces or '='); none by default
         */
        default Map<String, String> prepare() throws Exception {
            return Map.of();
        }

        /** Connects to the echo side, given what its {@link Echo#open(Map)} returned; nothing by default. */
        default void connect(Map<String, String> echoParams) throws Exception {
        }

        /**
         * One round trip: sends a request stamped with {@code seq}, receives the whole response and
         * checks it carries {@code seq}.
         *
         * @throws IllegalStateException if the response is wrong or does not come within
         *                               {@code timeoutNanos}
         */
        void roundTrip(long seq, long timeoutNanos) throws Exception;

        /**
         * Ends the connection {@link #connect} made (the echo side then sees the client go, or is told to
         * stop), keeping what {@link #prepare()} made (a media driver the echo side is still attached
         * to); idempotent. Nothing by default.
         *
         * @throws IOException if closing the connection fails
         */
        default void disconnect() throws IOException {
        }

        /**
         * @return the temporary directory {@link #prepare()} made (a fabric, a media driver's directory, a
         *         socket's), or null: removed by a shutdown hook if the JVM stops before {@link #close()}
         */
        Path scratch();

        /** Releases everything {@link #prepare()} and {@link #connect} made; idempotent. */
        @Override
        void close() throws IOException;
    }

    /** The echo side: answers each request with its own payload. */
    public interface Echo extends AutoCloseable {
        /**
         * Attaches to what the client prepared and starts listening.
         *
         * @param clientParams what {@link Client#prepare()} returned
         * @return parameters for {@link Client#connect(Map)}
         */
        Map<String, String> open(Map<String, String> clientParams) throws Exception;

        /**
         * Echoes requests until {@code stop} returns true or the client goes away. Checks every request's
         * stamps; requests must arrive with sequence numbers 1, 2, 3, ...
         *
         * @param stop polled now and then (at least every ~100 ms while idle)
         * @return the number of requests echoed
         */
        long run(BooleanSupplier stop) throws Exception;

        @Override
        void close() throws IOException;
    }

    /**
     * A sender whose message buffers are its own: one page-aligned direct buffer per slot (or what the
     * transport allocates), each sent whole by {@link #send}.
     */
    public abstract static class SlotSender implements Sender {
        /** The slots' buffers. */
        protected final ByteBuffer[] buffers;

        /**
         * @param slots    buffers to make
         * @param allocate makes one of {@code size} bytes
         * @param size     bytes of each buffer
         */
        protected SlotSender(final int slots, final IntFunction<ByteBuffer> allocate, final int size) {
            this.buffers = new ByteBuffer[slots];
            for (int s = 0; s < slots; s++) {
                buffers[s] = allocate.apply(size);
            }
        }

        /**
         * @param slots buffers to make, page-aligned
         * @param size  bytes of each buffer
         */
        protected SlotSender(final int slots, final int size) {
            this(slots, Rig::pageAligned, size);
        }

        @Override
        public ByteBuffer buffer(final int slot) {
            return buffers[slot];
        }
    }

    /**
     * Both sides of a round trip, for transports whose two sides do the same once connected: a side sends
     * its one message buffer ({@link #send}) and receives the peer's message into it ({@link #receive}).
     * The {@link Client} stamps the buffer, sends it, receives the response and checks its stamps; the
     * {@link Echo} receives a request, checks its stamps and sends the same bytes back. A request and its
     * response share the buffer: a request is sent whole before its response arrives.
     *
     * <p>Transports over this library's regions work in a temporary fabric the client makes
     * ({@link #createFabric()}, endpoint "client"), which the echo side opens by the path it is given
     * ({@link #attachFabric}, endpoint "echo"); {@link #close()} closes both, removing the client's files.
     */
    public abstract static class Link implements Client, Echo {
        /** How long an echo side waits for a request before it polls its stop condition again. */
        static final long IDLE_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
        /** A send whose back pressure does not clear within this fails. */
        static final long SEND_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

        /** The transport's name, for messages. */
        protected final String name;
        /** Payload bytes of each request and response. */
        protected final int size;
        /** The message buffer, {@code size} pseudo-random bytes, little-endian. */
        protected final ByteBuffer message;
        /** The fabric of a transport over regions, else null. */
        protected Fabric fabric;
        /** This side's endpoint in {@link #fabric}, else null. */
        protected Endpoint endpoint;

        /**
         * @param name   the transport's name
         * @param size   payload bytes
         * @param direct whether the message buffer is direct (else on the heap, with an array)
         */
        protected Link(final String name, final int size, final boolean direct) {
            this.name = name;
            this.size = size;
            this.message = direct ? Payload.filledDirect(size) : Payload.filled(size);
        }

        /**
         * Sends the first {@code size} bytes of {@link #message}.
         *
         * @param seq the sequence number the message carries
         * @throws Exception if the transport failed
         */
        protected void send(final long seq) throws Exception {
            throw new UnsupportedOperationException(name + " overrides the round trip");
        }

        /**
         * Receives one whole message into {@link #message}.
         *
         * @param timeoutNanos how long to wait at most (blocking sockets wait until the data or the end)
         * @return whether a message came within the time
         * @throws Exception if the transport failed or the peer is gone
         */
        protected boolean receive(final long timeoutNanos) throws Exception {
            throw new UnsupportedOperationException(name + " overrides the round trip");
        }

        /**
         * Echo side: waits for the client's connection, where there is one.
         *
         * @param stop polled now and then
         * @return false if {@code stop} said so first
         * @throws Exception if accepting failed
         */
        protected boolean accept(final BooleanSupplier stop) throws Exception {
            return true;
        }

        /**
         * @param e what the echo loop caught
         * @return whether it means the client closed its end (the run is then over)
         */
        protected boolean peerGone(final Exception e) {
            return false;
        }

        @Override
        public void roundTrip(final long seq, final long timeoutNanos) throws Exception {
            Payload.stamp(message, size, seq);
            send(seq);
            if (!receive(timeoutNanos)) {
                throw new IllegalStateException(name + ": round trip " + seq + " got no answer within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            }
            Payload.expect(message, size, seq);
        }

        @Override
        public long run(final BooleanSupplier stop) throws Exception {
            if (!accept(stop)) {
                return 0;
            }
            final Payload.Sequence sequence = new Payload.Sequence();
            try {
                while (!stop.getAsBoolean()) {
                    if (receive(IDLE_SLICE_NANOS)) {
                        final long seq = Payload.check(message, size);
                        sequence.next(seq);
                        send(seq);
                    }
                }
            } catch (final Exception e) {
                if (!peerGone(e)) {
                    throw e;
                }
            }
            return sequence.count();
        }

        /**
         * Client side: makes a temporary fabric with an endpoint "client".
         *
         * @return the parameters that name it to the echo side
         */
        protected Map<String, String> createFabric() {
            fabric = Fabric.createTemporary();
            endpoint = fabric.openEndpoint("client");
            return Map.of(Rig.FABRIC, fabric.root().toString());
        }

        /**
         * Echo side: opens the client's fabric with an endpoint "echo".
         *
         * @param clientParams what {@link #createFabric()} returned
         */
        protected void attachFabric(final Map<String, String> clientParams) {
            fabric = Fabric.openExisting(Paths.get(clientParams.get(Rig.FABRIC)));
            endpoint = fabric.openEndpoint("echo");
        }

        @Override
        public Path scratch() {
            return fabric == null ? null : fabric.root();
        }

        /**
         * Releases what the connection needs ({@link #disconnect()}) and the rest the side made; the
         * default closes the fabric's endpoint and the fabric (the client's removes its files).
         */
        @Override
        public void close() throws IOException {
            try {
                disconnect();
            } finally {
                if (fabric != null) {
                    endpoint.close();
                    fabric.close();
                    fabric = null;
                }
            }
        }
    }
}
