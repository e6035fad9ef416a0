package org.softclan.vmmc.rpc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
import org.softclan.vmmc.PeerGoneException;
import org.softclan.vmmc.Vmmc;

/**
 * Serves {@link RpcMethod}s on a name. One thread accepts connections; one polling thread waits on a
 * single event queue for requests from every client (each connection's data tripwire posts an event
 * carrying its id), decodes them and runs the handler, in place or on a pool of worker threads.
 *
 * <pre>{@code
 * try (RpcServer server = RpcServer.create(endpoint, "kv", new RpcServer.Context().workers(4))
 *         .handle(GET, key -> store.get(key))
 *         .start()) { ... }
 * }</pre>
 *
 * <p>Wire format: a request is {call id (long), method id (int), 0 (int), argument}; a response is
 * {call id, status (int: 0 ok, 1 handler error, 2 no such method), 0, result or error text}.
 */
public final class RpcServer implements AutoCloseable {
    static final int OK = 0;
    static final int ERROR = 1;
    static final int NO_METHOD = 2;
    static final int HEADER = 16;

    /** Fluent settings; defaults work out of the box. */
    public static final class Context {
        int workers;
        int ringCapacity = 4 << 20;
        WaitStrategy strategy = WaitStrategy.competitive();
        long responseTimeoutMillis = 10_000;

        /**
         * @param n worker threads that run handlers; 0 (the default) runs them on the polling thread
         * @return this
         */
        public Context workers(final int n) {
            this.workers = n;
            return this;
        }

        /**
         * @param bytes receive ring per client, a power of two (default 4 MiB: requests up to 2 MiB)
         * @return this
         */
        public Context ringCapacity(final int bytes) {
            this.ringCapacity = bytes;
            return this;
        }

        /**
         * @param strategy how the polling thread waits for requests (default competitive)
         * @return this
         */
        public Context waitStrategy(final WaitStrategy strategy) {
            this.strategy = strategy;
            return this;
        }
    }

    private final Endpoint endpoint;
    private final String service;
    private final Context ctx;
    private final Map<Integer, Handler<?, ?>> handlers = new ConcurrentHashMap<>();
    private final Map<Long, Connection> connections = new ConcurrentHashMap<>();
    private TripwireUnit unit;
    private Listener listener;
    private ExecutorService workers;
    private Thread acceptor;
    private Thread poller;
    private volatile boolean running;
    private final ThreadLocal<Bytes<?>> out = ThreadLocal.withInitial(Bytes::allocateElasticDirect);
    private final ThreadLocal<Bytes<?>> inline = ThreadLocal.withInitial(Bytes::allocateElasticOnHeap);

    private record Handler<Q, R>(RpcMethod<Q, R> method, Function<Q, R> body) {
    }

    private RpcServer(final Endpoint endpoint, final String service, final Context ctx) {
        this.endpoint = endpoint;
        this.service = service;
        this.ctx = ctx;
    }

    /** @return a server for {@code service}; add handlers, then {@link #start()} */
    public static RpcServer create(final Endpoint endpoint, final String service, final Context ctx) {
        return new RpcServer(endpoint, service, ctx);
    }

    /** Registers the handler of a method; an exception it throws reaches the caller as an {@link RpcException}. */
    public <Q, R> RpcServer handle(final RpcMethod<Q, R> method, final Function<Q, R> handler) {
        if (handlers.putIfAbsent(method.id(), new Handler<>(method, handler)) != null) {
            throw new IllegalArgumentException("service '" + service + "' already has a method with id " + method.id());
        }
        return this;
    }

    /** Starts listening and serving. */
    public RpcServer start() {
        unit = TripwireUnit.open(endpoint);
        listener = Vmmc.listen(endpoint, service, new ConnectionContext().ringCapacity(ctx.ringCapacity)
            .mode(Connection.Mode.EVENTS).unit(unit).waitStrategy(ctx.strategy));
        workers = ctx.workers > 0 ? Executors.newFixedThreadPool(ctx.workers, r -> {
            final Thread t = new Thread(r, "rpc-" + service + "-worker");
            t.setDaemon(true);
            return t;
        }) : null;
        running = true;
        acceptor = new Thread(this::acceptLoop, "rpc-" + service + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        poller = new Thread(this::pollLoop, "rpc-" + service + "-poll");
        poller.setDaemon(true);
        poller.start();
        return this;
    }

    /** @return connected clients */
    public int clients() {
        return connections.size();
    }

    private void acceptLoop() {
        while (running) {
            try {
                final Connection c = listener.accept(100, TimeUnit.MILLISECONDS);
                if (c != null) {
                    connections.put(c.id(), c);
                    unit.events().wakeAllWaiters();
                }
            } catch (final DsmException e) {
                // a client that went away mid-handshake
            }
        }
    }

    private void pollLoop() {
        final List<Long> ready = new ArrayList<>();
        long lastSweep = System.nanoTime();
        long seenOverflow = 0;
        while (running) {
            try {
                pollOnce(ready, lastSweep, seenOverflow);
            } catch (final RuntimeException e) {
                // one bad connection must not stop the server: it is dropped in serve()
            }
            if (System.nanoTime() - lastSweep > 100_000_000L) {
                lastSweep = System.nanoTime();
            }
            seenOverflow = unit.events().overflowCount();
        }
    }

    private void pollOnce(final List<Long> ready, final long lastSweep, final long seenOverflow) {
        unit.events().await(ctx.strategy, 100, TimeUnit.MILLISECONDS);
        ready.clear();
        unit.events().poll((seq, id, cookie, region, off, len, value) -> ready.add(cookie), Integer.MAX_VALUE);
        // after an overflow some arrivals have no event, and dead clients must be noticed: sweep all
        final boolean all = unit.events().overflowCount() != seenOverflow || System.nanoTime() - lastSweep > 100_000_000L;
        if (all) {
            ready.clear();
            ready.addAll(connections.keySet());
        }
        for (final Long id : ready) {
            final Connection c = connections.get(id);
            if (c != null) {
                serve(c, all);
            }
        }
    }

    private void serve(final Connection c, final boolean checkPeer) {
        try {
            while (c.poll((buf, off, len) -> dispatch(c, buf, off, len), 256) > 0) {
                // drain what is there
            }
            if (checkPeer) {
                c.checkPeer();
            }
        } catch (final PeerGoneException gone) {
            connections.remove(c.id());
            c.close();
        } catch (final RuntimeException e) {
            // a broken request or a failed handler hand-off: drop the client rather than the server
            connections.remove(c.id());
            c.close();
        }
    }

    private void dispatch(final Connection c, final BytesStore<?, ?> buf, final long off, final int len) {
        final long callId = buf.readLong(off);
        final int methodId = buf.readInt(off + 8);
        if (workers == null) {
            final Bytes<?> in = inline.get();
            in.clear();
            in.write(buf, off + HEADER, len - HEADER);
            run(c, callId, methodId, in);
        } else {
            final Bytes<?> in = Bytes.allocateElasticOnHeap(len);
            in.write(buf, off + HEADER, len - HEADER);
            in.singleThreadedCheckReset();   // handed to a worker thread, which becomes its only user
            workers.execute(() -> run(c, callId, methodId, in));
        }
    }

    @SuppressWarnings("unchecked")
    private void run(final Connection c, final long callId, final int methodId, final Bytes<?> in) {
        final Bytes<?> b = out.get();
        b.clear();
        b.writeLong(callId);
        final Handler<Object, Object> h = (Handler<Object, Object>) handlers.get(methodId);
        if (h == null) {
            b.writeInt(NO_METHOD).writeInt(0);
            b.writeUtf8("service '" + service + "' has no method with id " + methodId);
        } else {
            try {
                final Object result = h.body().apply(h.method().request().decode(in));
                final long mark = b.writePosition();
                b.writeInt(OK).writeInt(0);
                try {
                    h.method().response().encode(result, b);
                } catch (final RuntimeException e) {
                    b.writePosition(mark);
                    throw e;
                }
            } catch (final RuntimeException | Error e) {
                b.writePosition(8);
                b.writeInt(ERROR).writeInt(0);
                b.writeUtf8(e.getClass().getName());
                b.writeUtf8(String.valueOf(e.getMessage()));
            }
        }
        if (b.readRemaining() > c.maxMessage()) {
            final String what = h == null ? "?" : h.method().name();
            b.clear();
            b.writeLong(callId).writeInt(ERROR).writeInt(0);
            b.writeUtf8(RpcException.class.getName());
            b.writeUtf8("the result of " + what + " is too large for the client's ring (at most " + c.maxMessage()
                + " bytes); use a larger RpcClient ring");
        }
        try {
            synchronized (c) {
                c.send(b, b.readPosition(), (int) b.readRemaining(), ctx.responseTimeoutMillis, TimeUnit.MILLISECONDS);
            }
        } catch (final DsmException e) {
            // the client went away or stopped reading: the poller drops it
        }
    }

    /** Stops serving: closes every connection and the listener; calls in flight fail at their clients. */
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
            workers.shutdown();
            try {
                workers.awaitTermination(5, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (final Connection c : connections.values()) {
            c.close();
        }
        connections.clear();
        if (listener != null) {
            listener.close();
        }
        if (unit != null) {
            unit.close();
        }
    }
}
