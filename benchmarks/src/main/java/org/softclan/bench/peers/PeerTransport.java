package org.softclan.bench.peers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.softclan.bench.throughput.Config;
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
 * payload both ways.
 *
 * <p><b>One way</b> ({@code org.softclan.bench.throughput.ThroughputBench}): the measuring JVM calls
 * {@link #receiver}, which creates what the sender attaches to and adds its names to the parameters; the
 * child calls {@link #sender} with them. The runner then has the sender send messages from its buffer
 * slots and checks every byte the receiver reads.
 */
public interface PeerTransport {
    /** @return the name on the command line, e.g. {@code tcp} */
    String name();

    /** @return one line: what a round trip does */
    String description();

    /** @return whether a round trip involves a kernel wake-up (tens of microseconds), so default counts are lower */
    boolean slow();

    /**
     * @param size payload bytes of each request and response
     * @return the measuring side (not yet prepared)
     * @throws UnsupportedOperationException if this transport has no round trip
     */
    default Client client(int size) {
        throw new UnsupportedOperationException(name() + " measures one-way throughput only");
    }

    /**
     * @param size payload bytes of each request and response
     * @return the echo side (not yet opened)
     * @throws UnsupportedOperationException if this transport has no round trip
     */
    default Echo echo(int size) {
        throw new UnsupportedOperationException(name() + " measures one-way throughput only");
    }

    /** @return whether this transport has one-way ends ({@link #receiver}, {@link #sender}) */
    default boolean oneWay() {
        return false;
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
    default Receiver receiver(Config c, Rig rig, Map<String, String> toSender) throws IOException {
        throw new UnsupportedOperationException(name() + " measures round trips only");
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
    default Sender sender(Config c, Rig rig, Map<String, String> fromReceiver, int slots) throws IOException {
        throw new UnsupportedOperationException(name() + " measures round trips only");
    }

    /** Something a spinning end checks now and then, which throws to make it give up. */
    @FunctionalInterface
    interface Liveness {
        /** @throws IOException to stop waiting (the other side failed or is gone) */
        void check() throws IOException;
    }

    /** The receiving end of a one-way stream: one thread reads everything the sender sent. */
    interface Receiver {
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

        /** Tells the sender to give up (the receiver stopped reading early). */
        void abort();

        /** Releases the end; never throws. */
        void close();
    }

    /** The sending end of a one-way stream: sends messages from a fixed set of buffer slots. */
    interface Sender {
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
    interface Client extends AutoCloseable {
        /**
         * Creates what the echo side attaches to.
         *
         * @return parameters for {@link Echo#open(Map)} (keys and values without spaces or '=')
         */
        Map<String, String> prepare() throws Exception;

        /** Connects to the echo side, given what its {@link Echo#open(Map)} returned. */
        void connect(Map<String, String> echoParams) throws Exception;

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
         * to); idempotent.
         */
        void disconnect() throws Exception;

        /**
         * @return the temporary directory {@link #prepare()} made (a fabric, a media driver's directory, a
         *         socket's), or null: removed by a shutdown hook if the JVM stops before {@link #close()}
         */
        java.nio.file.Path scratch();

        /** Releases everything {@link #prepare()} and {@link #connect} made; idempotent. */
        @Override
        void close() throws IOException;
    }

    /** The echo side: answers each request with its own payload. */
    interface Echo extends AutoCloseable {
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
     * A client of a transport over this library's regions: it works in a temporary fabric of its own
     * (endpoint "client"), which {@link FabricEcho} opens by the path {@link #prepare()} passes on.
     */
    abstract class FabricClient implements Client {
        /** The parameter that carries the fabric's directory to the echo side. */
        static final String FABRIC = "fabric";
        protected Fabric fabric;
        protected Endpoint endpoint;

        @Override
        public Map<String, String> prepare() {
            fabric = Fabric.createTemporary();
            endpoint = fabric.openEndpoint("client");
            return Map.of(FABRIC, fabric.root().toString());
        }

        @Override
        public Path scratch() {
            return fabric == null ? null : fabric.root();
        }

        /** {@link #disconnect()}, then closes the endpoint and removes the fabric. */
        @Override
        public void close() throws IOException {
            try {
                disconnect();
            } catch (final IOException | RuntimeException e) {
                throw e;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while disconnecting", e);
            } catch (final Exception e) {
                throw new IOException("disconnecting failed", e);
            } finally {
                if (fabric != null) {
                    endpoint.close();
                    fabric.close();
                    fabric = null;
                }
            }
        }
    }

    /** The echo side of a {@link FabricClient}: opens the client's fabric with an endpoint "echo". */
    abstract class FabricEcho implements Echo {
        protected Fabric fabric;
        protected Endpoint endpoint;

        /** Opens the client's fabric and this side's endpoint. */
        protected void attach(final Map<String, String> clientParams) {
            fabric = Fabric.openExisting(Paths.get(clientParams.get(FabricClient.FABRIC)));
            endpoint = fabric.openEndpoint("echo");
        }

        /** Closes the endpoint and the fabric (the client removes its files). */
        protected void detach() {
            if (endpoint != null) {
                endpoint.close();
            }
            if (fabric != null) {
                fabric.close();
            }
        }
    }
}
