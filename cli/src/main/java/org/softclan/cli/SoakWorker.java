package org.softclan.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code main} of every JVM {@code vmmc soak} starts: one role per JVM, doing real work through the
 * library and reporting on standard output, one line per fact, each starting with {@value #PREFIX}:
 *
 * <pre>
 *   soak:exporting                  a server side is about to listen (export its listen region)
 *   soak:ready                      a server side listens
 *   soak:connecting / soak:connected  a client side is about to connect / has connected
 *   soak:stat k=v k=v ...           its counters (every {@value #STAT_MS} ms, and a last time at the end)
 *   soak:overrun what=W ms=T bound=B  a wait that took longer than its bound
 *   soak:cuw ms=T                   how long a thread waiting in receive took to leave after another closed
 *   soak:unidentified-gone reason=R  a peer it accepted left before identifying itself with the hello
 *                                   (its client killed before its hello, or a stranger: it cannot tell)
 *   soak:error ...                  an unexpected exception (its stack trace follows, each line indented)
 *   soak:end reason=R [detail]      why it ends: peer-gone, protocol-error, truncated, closed-under-waiter,
 *                                   stopped, eof, error
 * </pre>
 *
 * <p>It stops (finishing its current operation, printing its counters) on a line {@code stop} on its
 * standard input, at the end of its standard input (the soak went away), or on SIGTERM, SIGINT or SIGHUP
 * (its shutdown hook waits up to {@value #STOP_GRACE_MS} ms for that). A line {@code cuw} makes it close
 * its connection from another thread while its worker thread waits in it (close under waiter).
 *
 * <pre>
 *   args: role fabricDir service seed token [option]
 *   roles: mq-reader mq-writer rpc-server rpc-client stream-receiver stream-sender hostile
 * </pre>
 */
public final class SoakWorker {
    /** Starts every line of the protocol. */
    static final String PREFIX = "soak:";
    /** How often counters are printed. */
    static final long STAT_MS = 250;
    /** How long the shutdown hook waits for the work to stop. */
    static final long STOP_GRACE_MS = 8_000;
    /** What a wait may take beyond its own timeout before it counts as an overrun. */
    static final long GRACE_MS = 2_000;

    private final Map<String, AtomicLong> stats = new ConcurrentSkipListMap<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile boolean hookRunning;
    private volatile Runnable closeUnderWaiter = () -> { };
    private final Object outLock = new Object();

    private SoakWorker() {
    }

    /**
     * Runs one role.
     *
     * @param args role fabricDir service seed token [option]
     */
    public static void main(final String[] args) throws Exception {
        final SoakWorker w = new SoakWorker();
        w.install();
        final String role = args[0];
        final Path fabric = Paths.get(args[1]);
        final String service = args[2];
        final long seed = Long.parseLong(args[3]);
        final long token = Long.parseLong(args[4]);
        final String option = args.length > 5 ? args[5] : "";
        String reason;
        try {
            reason = switch (role) {
                case "mq-reader" -> SoakMqWorkers.reader(w, fabric, service, token);
                case "mq-writer" -> SoakMqWorkers.writer(w, fabric, service, seed, token);
                case "rpc-server" -> SoakRpcWorkers.server(w, fabric, service, seed);
                case "rpc-client" -> SoakRpcWorkers.client(w, fabric, service, seed);
                case "stream-receiver" -> SoakStreamWorkers.receiver(w, fabric, service, token);
                case "stream-sender" -> SoakStreamWorkers.sender(w, fabric, service, seed, token, option);
                case "hostile" -> SoakHostileWorker.run(w, fabric, service, seed, option);
                case "armer" -> SoakArmerWorker.run(w, fabric, service, seed);
                default -> throw new IllegalArgumentException("no soak role " + role);
            };
        } catch (final Throwable t) {
            w.error("in " + role, t);
            reason = "error";
        }
        w.end(reason);
        if (!w.hookRunning) {
            System.exit(0);
        }
    }

    private void install() {
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> error("uncaught in thread " + t.getName(), e));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            hookRunning = true;
            stopping = true;
            line("signal");
            try {
                if (!finished.await(STOP_GRACE_MS, TimeUnit.MILLISECONDS)) {
                    overrun("stop-after-signal", STOP_GRACE_MS, STOP_GRACE_MS);
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "soak-worker-stop"));
        final Thread stdin = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String l;
                while ((l = in.readLine()) != null) {
                    if ("stop".equals(l)) {
                        stopping = true;
                    } else if ("cuw".equals(l)) {
                        closeUnderWaiter.run();
                    }
                }
            } catch (final Exception e) {
                // the soak went away
            }
            stopping = true;
        }, "soak-worker-stdin");
        stdin.setDaemon(true);
        stdin.start();
        final Thread printer = new Thread(() -> {
            while (finished.getCount() > 0) {
                try {
                    Thread.sleep(STAT_MS);
                } catch (final InterruptedException e) {
                    return;
                }
                printStats();
            }
        }, "soak-worker-stats");
        printer.setDaemon(true);
        printer.start();
    }

    /** @return whether the worker was asked to stop */
    boolean stopping() {
        return stopping;
    }

    /** Sets what a {@code cuw} line does. */
    void onCloseUnderWaiter(final Runnable action) {
        closeUnderWaiter = action;
    }

    /** @return the counter {@code name} */
    AtomicLong stat(final String name) {
        return stats.computeIfAbsent(name, k -> new AtomicLong());
    }

    /** Prints a protocol line. */
    void line(final String text) {
        synchronized (outLock) {
            System.out.println(PREFIX + text);
            System.out.flush();
        }
    }

    private void printStats() {
        final StringBuilder b = new StringBuilder("stat");
        for (final Map.Entry<String, AtomicLong> e : stats.entrySet()) {
            b.append(' ').append(e.getKey()).append('=').append(e.getValue().get());
        }
        line(b.toString());
    }

    /**
     * Reports a wait that took longer than its bound.
     *
     * @param startNanos when the wait began ({@link System#nanoTime()})
     * @param boundMs    the longest it may take
     */
    void timed(final String what, final long startNanos, final long boundMs) {
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        if (ms > boundMs) {
            overrun(what, ms, boundMs);
        }
    }

    private void overrun(final String what, final long ms, final long boundMs) {
        stat("overruns").incrementAndGet();
        line("overrun what=" + what + " ms=" + ms + " bound=" + boundMs);
    }

    /** Reports an unexpected exception with its stack trace. */
    void error(final String where, final Throwable t) {
        stat("errors").incrementAndGet();
        final StringWriter s = new StringWriter();
        t.printStackTrace(new PrintWriter(s));
        synchronized (outLock) {
            System.out.println(PREFIX + "error " + where + ": " + t);
            s.toString().lines().skip(1).forEach(l -> System.out.println("    " + l.strip()));
            System.out.flush();
        }
    }

    private void end(final String reason) {
        printStats();
        line("end reason=" + reason);
        finished.countDown();
    }

    /** Sleeps, unless asked to stop. */
    void pause(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }
}
