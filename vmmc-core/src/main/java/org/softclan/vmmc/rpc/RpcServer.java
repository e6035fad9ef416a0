package org.softclan.vmmc.rpc;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Listener;
import org.softclan.vmmc.PeerProtocolException;
import org.softclan.vmmc.Vmmc;

/**
 * Serves {@link RpcMethod}s on a name. One thread accepts connections; one polling thread waits on a
 * single event queue for requests from every client (each connection's data tripwire posts an event
 * carrying its id), decodes them and runs the handler, in place or on a pool of worker threads. With
 * up to {@value #DIRECT_POLL_LIMIT} clients the polling thread also watches their rings directly, which
 * saves the event's trip through the queue on the critical path of a call.
 *
 * <pre>{@code
 * try (RpcServer server = RpcServer.create(endpoint, "kv", new RpcServer.Context().workers(4))
 *         .handle(GET, key -> store.get(key))
 *         .start()) { ... }
 * }</pre>
 *
 * <p>Wire format: {@link RpcFrameDescriptor}.
 */
public final class RpcServer implements AutoCloseable {

    /** Fluent settings; defaults work out of the box. */
    public static final class Context {
        int workers;
        int ringCapacity = 4 << 20;
        WaitStrategy strategy = WaitStrategy.competitive();
        long responseTimeoutMillis = 10_000;

        /**
         * Settings with the defaults: handlers run on the polling thread (no workers), a 4 MiB receive
         * ring per client, and a polling thread that waits with {@link WaitStrategy#competitive()}. A
         * client whose ring has had no room for its responses for 10 s is dropped; meanwhile its responses
         * wait in the server's memory, its further requests are not read, and every other client is served.
         */
        public Context() {
        }

        /**
         * Sets how many worker threads run the handlers. Requests wait for a worker in a queue of 1024; when it
         * is full the polling thread runs the handler itself (the clients wait meanwhile; nothing is dropped).
         * Handing a request over allocates nothing: its bytes go into a reused task's buffer.
         *
         * @param n worker threads that run handlers; 0 (the default), or less, runs them on the polling
         *          thread
         * @return this
         */
        public Context workers(final int n) {
            this.workers = n;
            return this;
        }

        /**
         * Sets the capacity of the receive ring the server exports for each client; checked by
         * {@link RpcServer#start()}.
         *
         * @param bytes receive ring per client, a power of two of at least 4096 (default 4 MiB: requests up
         *              to 2 MiB)
         * @return this
         */
        public Context ringCapacity(final int bytes) {
            this.ringCapacity = bytes;
            return this;
        }

        /**
         * Sets how the polling thread waits for requests; the server ends of connections use it too.
         *
         * @param strategy how the polling thread waits for requests (default competitive)
         * @return this
         */
        public Context waitStrategy(final WaitStrategy strategy) {
            this.strategy = strategy;
            return this;
        }
    }

    private final Endpoint endpoint;
    final String service;
    final Context ctx;
    /** Handlers by method id, replaced whole on each registration. */
    private volatile HandlerTable handlers = HandlerTable.EMPTY;
    /** Connected clients: a copy-on-write array, read by the poller without locking. */
    volatile ServedClient[] clients = new ServedClient[0];
    private TripwireUnit unit;
    private Listener listener;
    /** The worker threads that run the handlers, or {@code null}: they run on the polling thread. */
    HandlerWorkers workers;
    private Thread acceptor;
    private Thread poller;
    volatile boolean running;
    /** Set when the listen region or its queue was cut from outside: the accept loop ends. */
    private volatile org.softclan.dsm.RegionTruncatedException acceptLost;
    /** Encode buffer of the polling thread (handlers inline; their requests are decoded in place): used by it only. */
    Bytes<?> pollOut;

    /** Requests dispatched (the polling thread's; read racily by the statistics publisher). */
    private long requests;
    /** Clients dropped (written under this server's lock, read by the statistics publisher). */
    private volatile long dropped;
    private volatile org.agrona.concurrent.status.AtomicCounter handlerErrors;
    private volatile org.softclan.dsm.stat.CounterGroup statistics;

    /** The server's counters in its endpoint's statistics file (vmmc stat); removed by {@link #close()}. */
    private void gauges() {
        final String of = ", RPC server '" + service + "'";
        final org.softclan.dsm.stat.CounterGroup g = new org.softclan.dsm.stat.CounterGroup(endpoint.stats());
        final org.agrona.concurrent.status.AtomicCounter req = g.counter("requests handled" + of,
            org.softclan.dsm.stat.StatTypes.RPC_REQUESTS);
        final org.agrona.concurrent.status.AtomicCounter cl = g.counter("clients served" + of,
            org.softclan.dsm.stat.StatTypes.RPC_CLIENTS);
        final org.agrona.concurrent.status.AtomicCounter dr = g.counter("clients dropped" + of,
            org.softclan.dsm.stat.StatTypes.RPC_CLIENTS_DROPPED);
        handlerErrors = g.counter("requests whose handler threw" + of, org.softclan.dsm.stat.StatTypes.RPC_HANDLER_ERRORS);
        g.beforePublish(() -> {
            req.setRelease(requests);
            cl.setRelease(clients.length);
            dr.setRelease(dropped);   // no lock: a drop may hold the server's for seconds
        });
        statistics = g;
    }

    /** Removes the server's counters; once (close is idempotent). */
    private void closeStatistics() {
        handlerErrors = null;   // a handler still running after close gives up waiting must not count in a freed slot
        final org.softclan.dsm.stat.CounterGroup g = statistics;
        if (g != null) {
            g.close();
        }
    }

    /** Clients the poller watches directly instead of through their events. */
    static final int DIRECT_POLL_LIMIT = 8;

    private RpcServer(final Endpoint endpoint, final String service, final Context ctx) {
        this.endpoint = endpoint;
        this.service = service;
        this.ctx = ctx;
    }

    /**
     * Makes a server for {@code service}; nothing is exported and no thread runs before {@link #start()}.
     *
     * @param endpoint the server's endpoint; closing it closes the server (once started)
     * @param service  the name clients connect to ({@link Vmmc#listen})
     * @param ctx      the server's settings
     * @return a server for {@code service}; add handlers, then {@link #start()}
     */
    public static RpcServer create(final Endpoint endpoint, final String service, final Context ctx) {
        return new RpcServer(endpoint, service, ctx);
    }

    /**
     * Registers the handler of a method; an exception it throws reaches the caller as an
     * {@link RpcException} of kind {@link RpcException.Kind#REMOTE_ERROR}. May be called before or after
     * {@link #start()}, from any thread.
     *
     * @param method  the method, whose id must be new to this server
     * @param handler computes the result from the decoded argument; runs on the polling thread or a
     *                worker ({@link Context#workers})
     * @param <Q>     the argument type
     * @param <R>     the result type
     * @return this
     * @throws IllegalArgumentException if this server already has a method with {@code method}'s id
     */
    public <Q, R> RpcServer handle(final RpcMethod<Q, R> method, final Function<Q, R> handler) {
        synchronized (this) {
            if (handlers.get(method.id()) != null) {
                throw new IllegalArgumentException("service '" + service + "' already has a method with id "
                    + method.id());
            }
            handlers = handlers.with(method, handler);
        }
        return this;
    }

    /**
     * Starts listening and serving: listens on the service name and starts the accepting thread, the
     * polling thread and the workers (if any). Call it once.
     *
     * @return this
     * @throws org.softclan.dsm.RegionExistsException if a live server already listens on the name
     * @throws IllegalArgumentException               if the context's ring capacity is not a power of two
     *                                                of at least 4096, or the name makes an invalid
     *                                                region name
     * @throws org.softclan.dsm.ClosedException        if the endpoint is closed
     * @throws IllegalStateException                  if the server was started before
     */
    public RpcServer start() {
        if (unit != null) {
            throw new IllegalStateException("RPC server '" + service + "' was started already");
        }
        // allocated here, not on the polling thread: the first Chronicle allocation of a JVM initialises
        // its resource releaser, which registers a shutdown hook and fails if a signal is already
        // stopping the JVM (the polling thread then died of ExceptionInInitializerError)
        pollOut = Bytes.allocateElasticDirect();
        TripwireUnit opened = null;
        boolean held = false;
        try {
            opened = TripwireUnit.open(endpoint);
            // the polling thread holds the unit's queue until it ends: a close that gives up waiting for it
            // (interrupted, or past its bound) and the endpoint's close after it leave the memory mapped
            held = opened.events().retain();
            if (!held) {
                throw new org.softclan.dsm.ClosedException("RPC server '" + service + "': the endpoint closed");
            }
            gauges();
            listener = Vmmc.listen(endpoint, service, new ConnectionContext().ringCapacity(ctx.ringCapacity)
                .mode(Connection.Mode.EVENTS).unit(opened).waitStrategy(ctx.strategy));
            // closing the endpoint closes this server (its threads stop) before the unit and the listener it
            // polls: the endpoint closes what was registered newest first
            endpoint.closeFirst(this);
        } catch (final RuntimeException | Error e) {
            // a start that failed (the name taken or bad, the endpoint closed) leaves nothing behind
            closeStatistics();
            if (listener != null) {
                listener.close();
                listener = null;
            }
            if (held) {
                opened.events().release();
            }
            if (opened != null) {
                opened.close();
            }
            pollOut.releaseLast();
            pollOut = null;
            throw e;
        }
        unit = opened;
        workers = ctx.workers > 0 ? new HandlerWorkers(this, ctx.workers) : null;
        running = true;
        acceptor = new Thread(this::acceptLoop, "rpc-" + service + "-accept");
        acceptor.setDaemon(true);
        acceptor.setUncaughtExceptionHandler((thread, e) -> uncaught(thread, e, !running));
        acceptor.start();
        poller = new Thread(new RequestPoller(this, unit, workers)::pollLoop, "rpc-" + service + "-poll");
        poller.setDaemon(true);
        poller.setUncaughtExceptionHandler((thread, e) -> uncaught(thread, e, !running));
        poller.start();
        return this;
    }

    /**
     * The server's threads end by a fault on a client's cut region only when the JVM delivers it late,
     * after the loops' own handlers: in a worker pool's code (the pool starts another worker), or as
     * the poller or acceptor finishes once the server stops. That is not a failure worth a stack trace;
     * anything else is printed as the JVM's default handler would.
     *
     * @param harmless whether the thread's end costs nothing (a pool worker, or the server is stopping)
     */
    static void uncaught(final Thread thread, final Throwable e, final boolean harmless) {
        if (!harmless || !(e instanceof InternalError ie && org.softclan.dsm.RegionFaults.explain(ie) != null)) {
            System.err.print("Exception in thread \"" + thread.getName() + "\" ");
            e.printStackTrace();
        }
    }

    /** {@return the number of clients connected now} */
    public int clients() {
        return clients.length;
    }

    /**
     * Why this server stopped accepting new clients: its listen region, or the listener's event queue, was
     * cut from outside (the clients connected then are still served).
     *
     * @return the failure, or {@code null} while the server accepts
     */
    public org.softclan.dsm.RegionTruncatedException acceptFailure() {
        return acceptLost;
    }

    private void acceptLoop() {
        while (running && acceptLost == null) {
            try {
                acceptRounds();
            } catch (final InternalError lateFault) {
                // a fault on a client's region cut from outside, reported at the loop's safepoint: go on
                org.softclan.dsm.RegionFaults.explain(lateFault);   // drains another one held back
            }
        }
    }

    private void acceptRounds() {
        int failures = 0;
        while (running) {
            try {
                final Connection c = listener.accept(100, TimeUnit.MILLISECONDS);
                if (c != null) {
                    add(c);
                    unit.events().wakeAllWaiters();
                }
                failures = 0;
            } catch (final org.softclan.dsm.RegionTruncatedException e) {
                // the listen region or its queue was cut from outside: no client can reach this server any
                // more, and every further accept would fail the same way at once (a spinning thread)
                acceptLost = e;
                System.err.println("rpc server '" + service + "' accepts no new clients: " + e.getMessage()
                    + "; the " + clients.length + " client(s) connected are still served");
                return;
            } catch (final DsmException e) {
                failures++;   // a client that went away mid-handshake
            } catch (final RuntimeException | InternalError e) {
                failures++;   // a client that wrote garbage into its half of the handshake: it costs only its own connection
            }
            if (failures > 16) {
                LockSupport.parkNanos(1_000_000);   // failing again and again: never a spinning thread
            }
        }
    }

    private synchronized void add(final Connection connection) {
        final ServedClient c = new ServedClient(connection);
        c.handler = (buf, off, len) -> dispatch(c, buf, off, len);
        final ServedClient[] now = Arrays.copyOf(clients, clients.length + 1);
        now[now.length - 1] = c;
        clients = now;
    }

    synchronized void drop(final ServedClient c) {
        dropped++;
        final ServedClient[] now = Arrays.stream(clients).filter(x -> x != c).toArray(ServedClient[]::new);
        clients = now;
        c.connection.close();
    }

    private void dispatch(final ServedClient client, final BytesStore<?, ?> buf, final long off, final int len) {
        requests++;   // the polling thread's alone: a plain add
        final Connection c = client.connection;
        if (len < RpcFrameDescriptor.HEADER_LENGTH) {
            throw new PeerProtocolException("service '" + service + "', " + c + ": a request of " + len
                + " bytes is shorter than the " + RpcFrameDescriptor.HEADER_LENGTH
                + "-byte frame header (call id, method id)");
        }
        final long callId = RpcFrameDescriptor.callId(buf, off);
        final int methodId = RpcFrameDescriptor.methodId(buf, off);
        final long body = RpcFrameDescriptor.body(off);
        final int bodyLength = len - RpcFrameDescriptor.HEADER_LENGTH;
        if (workers == null) {
            // decoded in place, from the client's ring (a request the client changes meanwhile is its own loss:
            // the view stops a codec at the record's end)
            run(client, callId, methodId, client.request(buf, body, bodyLength), pollOut);
        } else {
            workers.hand(client, buf, body, bodyLength, callId, methodId);
        }
    }

    @SuppressWarnings("unchecked")
    void run(final ServedClient client, final long callId, final int methodId, final Bytes<?> in, final Bytes<?> b) {
        final Connection c = client.connection;
        b.clear();
        final HandlerTable.Handler<Object, Object> h = (HandlerTable.Handler<Object, Object>) handlers.get(methodId);
        if (h == null) {
            RpcFrameDescriptor.writeResponseHeader(b, callId, RpcFrameDescriptor.NO_METHOD);
            b.writeUtf8("service '" + service + "' has no method with id " + methodId);
        } else {
            try {
                final Object result = h.body().apply(h.method().request().decode(in));
                RpcFrameDescriptor.writeResponseHeader(b, callId, RpcFrameDescriptor.OK);
                h.method().response().encode(result, b);
            } catch (final RuntimeException | Error e) {
                final org.agrona.concurrent.status.AtomicCounter errs = handlerErrors;
                if (errs != null) {
                    errs.increment();   // any worker's: an atomic add, on this failure path only
                }
                b.clear();   // also what an encoder that threw left behind
                RpcFrameDescriptor.writeResponseHeader(b, callId, RpcFrameDescriptor.ERROR);
                b.writeUtf8(e.getClass().getName());
                b.writeUtf8(String.valueOf(e.getMessage()));
            }
        }
        if (b.readRemaining() > c.maxMessage()) {
            final String what = h == null ? "?" : h.method().name();
            b.clear();
            RpcFrameDescriptor.writeResponseHeader(b, callId, RpcFrameDescriptor.ERROR);
            b.writeUtf8(RpcException.class.getName());
            b.writeUtf8("the result of " + what + " is too large for the client's ring (at most " + c.maxMessage()
                + " bytes); use a larger RpcClient ring");
        }
        try {
            if (workers == null) {
                client.respond(b, true);   // handlers run on the polling thread, the only one that sends: no lock
            } else {
                synchronized (client) {
                    client.respond(b, false);
                }
            }
        } catch (final DsmException e) {
            // the client went away: the poller drops it
        }
    }

    /**
     * Stops serving: stops the polling and accepting threads (waiting up to 5 s for each, and for the
     * workers), then closes every connection, the listener and the server's tripwire unit; calls in flight
     * fail at their clients. If the polling thread is still running after that (a handler that does not
     * return), the listener and the unit it waits on stay mapped, and are unmapped with the endpoint,
     * rather than taken from under it. Idempotent; closing the endpoint closes the server first.
     */
    @Override
    public void close() {
        running = false;
        try {
            if (poller != null) {
                poller.join(5000);
            }
            if (acceptor != null) {
                acceptor.join(5000);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (workers != null) {
            workers.shutdown(poller == null || !poller.isAlive());
        }
        for (final ServedClient c : clients) {
            c.connection.close();
        }
        clients = new ServedClient[0];
        closeStatistics();
        final boolean threadsEnded = (poller == null || !poller.isAlive()) && (acceptor == null || !acceptor.isAlive());
        if (threadsEnded) {
            if (listener != null) {
                listener.close();
            }
            if (unit != null) {
                unit.close();
            }
        }
        endpoint.forgetDependent(this);
    }
}
