package org.softclan.examples.rpc;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.rpc.RpcServer;

/**
 * The key-value server: serves {@link KvService}'s methods from a {@link KvStore}.
 *
 * <pre>
 * java FLAGS -cp vmmc.jar org.softclan.examples.rpc.KvServer --fabric DIR [--service kv] [--workers N]
 * </pre>
 *
 * Prints one line starting with {@code ready:} once clients can connect, serves until Ctrl-C or SIGTERM,
 * then closes the server (calls in flight are answered), its endpoint and the fabric, and prints one line
 * starting with {@code stopped:}.
 */
public final class KvServer implements AutoCloseable {
    /** The name of the server's endpoint, recorded as the owner of its regions. */
    public static final String ENDPOINT = "kv-server";

    private static final String USAGE = "usage: KvServer --fabric DIR [--service NAME] [--workers N] [--wait STRATEGY]\n"
        + "  --fabric DIR    the fabric's directory (created if missing)\n"
        + "  --service NAME  the service name clients connect to (default " + KvService.DEFAULT_NAME + ")\n"
        + "  --workers N     threads that run handlers; 0 runs them on the polling thread (default 0)\n"
        + "  --wait STRATEGY how the polling thread waits, by name (WaitStrategy.named; default competitive)";

    private final RpcServer rpc;
    private final KvStore store;
    private final LongAdder calls = new LongAdder();
    private boolean closed;

    private KvServer(final Endpoint endpoint, final String service, final RpcServer.Context ctx, final KvStore store) {
        this.store = store;
        this.rpc = RpcServer.create(endpoint, service, ctx)
            .handle(KvService.PUT, counted(e -> store.put(e.key(), e.value())))
            .handle(KvService.GET, counted(store::get))
            .handle(KvService.DELETE, counted(store::delete))
            .handle(KvService.SCAN, counted(store::scan));
    }

    /**
     * Starts serving {@code store} on {@code service}.
     *
     * @param endpoint the endpoint that listens (and owns the connections' regions)
     * @param ctx      the RPC server's settings (workers, wait strategy)
     */
    public static KvServer start(final Endpoint endpoint, final String service, final RpcServer.Context ctx,
                                 final KvStore store) {
        final KvServer server = new KvServer(endpoint, service, ctx, store);
        server.rpc.start();
        return server;
    }

    private <Q, R> Function<Q, R> counted(final Function<Q, R> body) {
        return q -> {
            calls.increment();
            return body.apply(q);
        };
    }

    /** @return calls handled so far */
    public long calls() {
        return calls.sum();
    }

    /** @return the store served */
    public KvStore store() {
        return store;
    }

    /** @return clients connected now */
    public int clients() {
        return rpc.clients();
    }

    /** Stops serving; calls in flight are answered first. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            rpc.close();
        }
    }

    /**
     * Serves a fresh store on {@code service} in the fabric at {@code fabricDir} until {@code stop} counts
     * down, printing the ready and stopped lines to {@code out}.
     *
     * @param workers handler threads (0: the polling thread runs them)
     */
    public static void serve(final Path fabricDir, final String service, final int workers, final PrintWriter out,
                             final CountDownLatch stop) throws InterruptedException {
        serve(fabricDir, service, workers, WaitStrategy.competitive(), out, stop);
    }

    /**
     * As {@link #serve(Path, String, int, PrintWriter, CountDownLatch)}, the polling thread waiting with
     * {@code wait}.
     *
     * @param workers handler threads (0: the polling thread runs them)
     * @param wait    how the polling thread waits for requests
     */
    @SuppressWarnings("try") // closed early on purpose, to report what it served before the fabric goes
    public static void serve(final Path fabricDir, final String service, final int workers, final WaitStrategy wait,
                             final PrintWriter out, final CountDownLatch stop) throws InterruptedException {
        final long started = System.nanoTime();
        try (Fabric fabric = Fabric.open(fabricDir);
             Endpoint endpoint = fabric.openEndpoint(ENDPOINT);
             KvServer server = start(endpoint, service, new RpcServer.Context().workers(workers).waitStrategy(wait),
                 new KvStore())) {
            out.println("ready: kv server on service '" + service + "' in fabric " + fabric.root() + " (pid "
                + ProcessHandle.current().pid() + ", " + (workers == 0 ? "handlers on the polling thread"
                : workers + " worker threads") + ", waits " + wait.name() + ", up in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)
                + " ms); Ctrl-C to stop");
            out.flush();
            stop.await();
            server.close();
            out.println("stopped: served " + server.calls() + " calls; " + server.store().size() + " keys in the store");
            out.flush();
        }
    }

    /**
     * Runs the server until Ctrl-C or SIGTERM.
     *
     * @param args {@code --fabric DIR [--service NAME] [--workers N]}
     */
    public static void main(final String[] args) {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        final PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, out, err));
    }

    /** @return the exit code: 0 after a clean stop, 1 on a failure, 2 on a usage error */
    static int run(final String[] args, final PrintWriter out, final PrintWriter err) {
        final Path fabric;
        final String service;
        final int workers;
        final WaitStrategy wait;
        try {
            final Args a = Args.parse(args, List.of("--fabric", "--service", "--workers", "--wait"));
            if (a.help()) {
                out.println(USAGE);
                return 0;
            }
            fabric = Paths.get(a.required("--fabric"));
            service = a.get("--service", KvService.DEFAULT_NAME);
            workers = a.getInt("--workers", 0, 0);
            wait = a.waitStrategy();
        } catch (final Args.UsageException e) {
            err.println("KvServer: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        final CountDownLatch stop = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(10, TimeUnit.SECONDS);   // let the server close before the JVM goes
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kv-server-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            serve(fabric, service, workers, wait, out, stop);
            return 0;
        } catch (final DsmException e) {
            err.println("KvServer: " + e.getMessage());
            return 1;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // the hook is what stopped us: the JVM exits once it returns
            }
        }
    }
}
