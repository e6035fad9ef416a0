package org.softclan.bench.peers;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * One way of doing a request/response round trip between two JVMs on one host: the measuring side
 * ({@link Client}, in the JVM that runs {@code bench pingpong}) and the echo side ({@link Echo}, in a
 * child JVM started by {@link PingPongRunner} and run by {@link EchoMain}).
 *
 * <p><b>Set-up</b>, in this order:
 * <ol>
 *   <li>the measuring JVM calls {@link #client} and {@link Client#prepare()}: it creates what the echo
 *       side attaches to (a fabric and region, a media driver) and returns parameters for it;</li>
 *   <li>the child JVM calls {@link #echo} and {@link Echo#open(Map)} with those parameters: it attaches
 *       and listens, then returns its own parameters (a port) and says {@code ready};</li>
 *   <li>the measuring JVM calls {@link Client#connect(Map)} with the child's parameters, while the
 *       child runs {@link Echo#run} (which accepts the connection first, where there is one).</li>
 * </ol>
 *
 * <p><b>Payload</b>: every request carries {@code size} bytes stamped by {@link Payload#stamp} with its
 * sequence number at both ends. The echo side reads the whole request into its own memory, checks
 * both stamps ({@link Payload#check}) and sends those bytes back; the client reads the whole response
 * and checks its stamps against the sequence number it sent. So a transport cannot answer without
 * moving the full payload both ways.
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
     */
    Client client(int size);

    /**
     * @param size payload bytes of each request and response
     * @return the echo side (not yet opened)
     */
    Echo echo(int size);

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
