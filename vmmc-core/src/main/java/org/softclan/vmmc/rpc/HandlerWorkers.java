package org.softclan.vmmc.rpc;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;

/**
 * The worker threads that run an {@link RpcServer}'s handlers ({@link RpcServer.Context#workers}), and the
 * hand-off of requests to them: the polling thread copies a request out of its client's ring into a reused
 * task's buffer and queues the task ({@link #hand}); a worker runs the handler and answers, then gives the task
 * back. Handing a request over allocates nothing once as many tasks exist as can be queued and running. When
 * the queue is full, the polling thread runs the handler itself (back-pressure on the clients; nothing is
 * dropped).
 */
final class HandlerWorkers {
    /**
     * Requests waiting for a worker, at most: beyond, the polling thread runs the handler itself (back-pressure on
     * the clients, and no request dropped).
     */
    private static final int WORK_QUEUE = 1024;
    /** A request kept by a task above this many bytes gets a fresh buffer afterwards (none stays that large). */
    private static final int TASK_BUFFER_KEPT = 64 << 10;

    private final RpcServer server;
    /** Every encode buffer made for a thread that ran a handler here (workers, or the poller when the queue was full). */
    private final java.util.Queue<Bytes<?>> encodeBuffers = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Encode buffer per worker thread (handlers on workers), freed by {@link #shutdown} once no thread can use it. */
    private final ThreadLocal<Bytes<?>> out = ThreadLocal.withInitial(() -> {
        final Bytes<?> b = Bytes.allocateElasticDirect();
        encodeBuffers.add(b);
        return b;
    });
    /** Worker tasks not in use: taken by the poller, given back by the worker that ran them (no allocation). */
    private final ArrayBlockingQueue<Task> freeTasks;
    private final ExecutorService pool;

    /** A request handed to a worker; reused, with its buffer, for request after request. */
    private final class Task implements Runnable {
        private Bytes<?> in = request();
        private ServedClient client;
        private long callId;
        private int methodId;

        private Bytes<?> request() {
            final Bytes<?> b = Bytes.allocateElasticOnHeap(256);
            b.singleThreadedCheckDisabled(true);   // written by the poller, then read by a worker, in turn
            return b;
        }

        @Override
        public void run() {
            try {
                server.run(client, callId, methodId, in, out.get());
            } catch (final RuntimeException e) {
                // a fault on the client's region (cut from outside): the poller drops that client
            } catch (final InternalError e) {
                org.softclan.dsm.RegionFaults.explain(e);   // the same, raw; drains a fault held back
            } finally {
                client = null;
                if (in.realCapacity() > TASK_BUFFER_KEPT) {
                    in = request();
                }
                freeTasks.offer(this);
            }
        }
    }

    /**
     * Starts no thread yet: the pool starts its workers as requests come.
     *
     * @param server  the server whose handlers the workers run
     * @param workers how many worker threads, at least 1
     */
    HandlerWorkers(final RpcServer server, final int workers) {
        this.server = server;
        final String service = server.service;
        // a bounded array queue and reused tasks: handing a request to a worker allocates nothing
        this.freeTasks = new ArrayBlockingQueue<>(WORK_QUEUE + Math.max(1, workers) + 1);
        this.pool = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(WORK_QUEUE), r -> {
                final Thread t = new Thread(r, "rpc-" + service + "-worker");
                t.setDaemon(true);
                // a fault on a client's cut region delivered late, in the pool's own code, ends that worker
                // thread (the pool starts another): not a failure of the server worth a stack trace
                t.setUncaughtExceptionHandler((thread, e) -> RpcServer.uncaught(thread, e, true));
                return t;
            }, new ThreadPoolExecutor.CallerRunsPolicy());
    }

    /**
     * Hands a request to a worker (polling thread only): its body is copied into a free task's buffer, and the
     * task queued; with the queue full, this thread runs it.
     *
     * @param client     the client that sent the request
     * @param buf        the client's ring
     * @param body       where the request's body starts in {@code buf}
     * @param bodyLength the body's length
     * @param callId     the call's id, for the answer
     * @param methodId   the method called
     */
    void hand(final ServedClient client, final BytesStore<?, ?> buf, final long body, final int bodyLength,
              final long callId, final int methodId) {
        Task t = freeTasks.poll();
        if (t == null) {
            t = new Task();   // only until the pool holds as many as can be queued and running
        }
        t.in.clear();
        t.in.write(buf, body, bodyLength);
        t.client = client;
        t.callId = callId;
        t.methodId = methodId;
        pool.execute(t);   // a full queue: this thread runs it (CallerRunsPolicy)
    }

    /**
     * Stops the workers: they finish the requests queued, for up to 5 s. Their encode buffers (direct memory) are
     * freed then, if every worker ended and the polling thread did ({@code pollerEnded}: it runs handlers itself
     * when the queue is full); otherwise they are left to the collector, as a thread may still write one.
     *
     * @param pollerEnded whether the server's polling thread has ended
     */
    void shutdown(final boolean pollerEnded) {
        pool.shutdown();
        boolean ended = false;
        try {
            ended = pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ended && pollerEnded) {
            for (Bytes<?> b = encodeBuffers.poll(); b != null; b = encodeBuffers.poll()) {
                b.releaseLast();
            }
        }
    }

    /** {@return the encode buffers made so far and not freed (for tests)} */
    java.util.List<Bytes<?>> encodeBuffers() {
        return java.util.List.copyOf(encodeBuffers);
    }
}
