package org.softclan.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One worker JVM of {@code vmmc soak}, as the soak sees it: its last counters, why it said it ended,
 * what was done to it (killed, signalled) and when it exited. Its output goes to a log file in the
 * soak's directory; overruns, errors and close-under-waiter times go to the report as they come.
 */
final class SoakProcess {
    private final Soak soak;
    private final String name;
    private final String role;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final List<String> errors = new ArrayList<>();
    private volatile Map<String, Long> stats = Map.of();
    private volatile String end;
    /** Completes with {@link System#nanoTime()} when the worker's process has exited. */
    private final java.util.concurrent.CompletableFuture<Long> exited = new java.util.concurrent.CompletableFuture<>();
    private volatile boolean killed;
    private volatile String signal;
    private volatile long signalNanos;
    private volatile Runnable onConnecting;
    private volatile long connectingNanos;
    private volatile long unidentifiedGoneNanos;
    private ChildJvm jvm;
    private volatile boolean namespaced;
    private volatile ProcessHandle inner;
    /** Opened when a thread dump asked for by {@link #threadDump()} has been written. */
    private volatile CountDownLatch dumpDone;
    private PrintWriter log;
    private boolean inError;

    SoakProcess(final Soak soak, final String name, final String role) {
        this.soak = soak;
        this.name = name;
        this.role = role;
    }

    /**
     * @param launcher empty, or a command that runs the worker's JVM in another PID namespace
     *                 ({@link Soak#namespaceLauncher}), whose exit status is the JVM's
     */
    void start(final List<String> launcher, final List<String> jvmArgs, final List<String> args) throws IOException {
        log = new PrintWriter(Files.newBufferedWriter(soak.soakDir.resolve(name.replaceAll("[^A-Za-z0-9#.-]", "_")
            + ".log"), StandardCharsets.UTF_8), true);
        log.println("# " + role + " " + args + (launcher.isEmpty() ? "" : " via " + launcher));
        namespaced = !launcher.isEmpty();
        jvm = ChildJvm.startWithInput(launcher, SoakWorker.class.getName(), jvmArgs, args, this::onLine);
        jvm.handle().onExit().thenRun(() -> exited.complete(System.nanoTime()));
    }

    /**
     * The worker JVM's process as this PID namespace sees it: the process started, or, in another PID
     * namespace, the {@code java} process under its launcher (signals and kill -9 go to the JVM itself).
     */
    private ProcessHandle target() {
        if (!namespaced) {
            return jvm.handle();
        }
        ProcessHandle t = inner;
        if (t != null) {
            return t;
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t == null && jvm.isAlive() && System.nanoTime() < deadline) {
            t = jvm.handle().descendants().filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .findFirst().orElse(null);
            if (t == null) {
                Thread.onSpinWait();
            }
        }
        if (t == null) {
            return jvm.handle();   // gone already, or not started yet: the launcher stands for it
        }
        inner = t;
        return t;
    }

    /** @return whether the worker runs in a PID namespace of its own */
    boolean namespaced() {
        return namespaced;
    }

    private void onLine(final String line) {
        synchronized (this) {
            log.println(line);
        }
        if (line.startsWith("JNI global refs")) {   // the last line of a thread dump's threads
            final CountDownLatch d = dumpDone;
            if (d != null) {
                d.countDown();
            }
        }
        if (!line.startsWith(SoakWorker.PREFIX)) {
            if (inError && line.startsWith("    ")) {
                synchronized (errors) {
                    if (errors.size() < 40) {
                        errors.add(line);
                    }
                }
            }
            return;
        }
        inError = false;
        final String l = line.substring(SoakWorker.PREFIX.length());
        if (l.startsWith("stat")) {
            final Map<String, Long> m = new TreeMap<>();
            for (final String kv : l.split(" ")) {
                final int eq = kv.indexOf('=');
                if (eq > 0) {
                    m.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
                }
            }
            stats = m;
        } else if (l.startsWith("ready") || l.startsWith("connected")) {
            ready.countDown();
        } else if (l.startsWith("unidentified-gone")) {
            unidentifiedGoneNanos = System.nanoTime();
        } else if (l.startsWith("connecting") || l.startsWith("exporting")) {
            connectingNanos = System.nanoTime();
            final Runnable r = onConnecting;
            if (r != null) {
                r.run();
            }
        } else if (l.startsWith("end reason=")) {
            end = l.substring("end reason=".length());
        } else if (l.startsWith("overrun ")) {
            soak.report.overrun(name + " (pid " + pid() + "): " + l.substring("overrun ".length()));
            soak.say(name + ": OVERRUN " + l.substring("overrun ".length()));
        } else if (l.startsWith("cuw ms=")) {
            soak.report.closeUnderWaiter(Long.parseLong(l.substring("cuw ms=".length())));
        } else if (l.startsWith("error ")) {
            inError = true;
            synchronized (errors) {
                errors.add(l.substring("error ".length()));
            }
            if (!adversary()) {
                soak.say(name + ": ERROR " + l.substring("error ".length()));
            }
        } else if (l.startsWith("corrupt ")) {
            soak.say(name + ": CORRUPT " + l.substring("corrupt ".length()));
        }
    }

    String name() {
        return name;
    }

    String role() {
        return role;
    }

    /** @return whether it plays a hostile peer or an armer: its errors are expected, not failures */
    boolean adversary() {
        return "hostile".equals(role) || "armer".equals(role);
    }

    /** @return the worker JVM's pid in this PID namespace */
    long pid() {
        return target().pid();
    }

    boolean alive() {
        return jvm.isAlive();
    }

    Map<String, Long> stats() {
        return stats;
    }

    /** @return why it said it ended, or null if it did not (killed, crashed, hung) */
    String end() {
        return end;
    }

    List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    boolean killed() {
        return killed;
    }

    String signal() {
        return signal;
    }

    long signalNanos() {
        return signalNanos;
    }

    /** @return when it exited ({@link System#nanoTime()}), or 0 while it runs */
    long exitNanos() {
        return exited.getNow(0L);
    }

    /**
     * @return when it exited ({@link System#nanoTime()}), waiting up to {@code millis} for it; the time
     *         now if it still runs then
     */
    long awaitExitNanos(final long millis) throws InterruptedException {
        try {
            return exited.get(millis, TimeUnit.MILLISECONDS);
        } catch (final java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException stillRunning) {
            return System.nanoTime();
        }
    }

    /** @return when it printed that it was about to connect or to listen ({@link System#nanoTime()}), 0 if not yet */
    long connectingNanos() {
        return connectingNanos;
    }

    /**
     * @return when it last printed that a peer it accepted left before identifying itself
     *         ({@link System#nanoTime()}), 0 if never
     */
    long unidentifiedGoneNanos() {
        return unidentifiedGoneNanos;
    }

    /** Runs {@code r} (on the output thread) when it prints that it is about to connect or to listen. */
    void onConnecting(final Runnable r) {
        onConnecting = r;
    }

    boolean awaitReady(final long millis) throws InterruptedException {
        return ready.await(millis, TimeUnit.MILLISECONDS);
    }

    /** @return whether it exited within {@code millis} */
    boolean awaitExit(final long millis) throws InterruptedException {
        return jvm.waitFor(millis, TimeUnit.MILLISECONDS) != null;
    }

    /** @return its exit code (waits briefly), or null if it runs */
    Integer exitCode() throws InterruptedException {
        return jvm.waitFor(1, TimeUnit.SECONDS);
    }

    void send(final String line) {
        jvm.send(line);
    }

    /** kill -9. */
    void kill() {
        killed = true;
        target().destroyForcibly();
    }

    /**
     * Has the JVM print a thread dump (SIGQUIT) into its output, which goes to the worker's log: for a
     * worker that overran a bound, before it is killed. Waits a moment for the dump to be written.
     */
    void threadDump() throws InterruptedException {
        if (alive()) {
            final CountDownLatch done = new CountDownLatch(1);
            dumpDone = done;
            try {
                new ProcessBuilder("kill", "-s", "QUIT", Long.toString(pid())).inheritIO().start()
                    .waitFor(10, TimeUnit.SECONDS);
            } catch (final IOException e) {
                return;   // no kill command: no dump
            }
            done.await(5, TimeUnit.SECONDS);   // the JVM writes the dump from its own thread; its end is seen
        }
    }

    /** Sends SIGTERM, SIGINT or SIGHUP ({@code kill -s NAME pid}). */
    void signal(final String sig) throws IOException, InterruptedException {
        if (signal == null) {
            // the bound runs from the first signal: another one does not restart it
            signal = sig;
            signalNanos = System.nanoTime();
        }
        new ProcessBuilder("kill", "-s", sig, Long.toString(pid())).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }

    /** @return how it ended, for the report */
    String how() {
        final StringBuilder b = new StringBuilder();
        if (killed) {
            b.append("killed -9");
        } else if (signal != null) {
            b.append("sent SIG").append(signal);
        }
        if (end != null) {
            b.append(b.length() > 0 ? ", " : "").append("ended: ").append(end);
        } else if (!alive()) {
            b.append(b.length() > 0 ? ", " : "").append("exit ").append(jvm.isAlive() ? "?" : exitValue());
        }
        return b.toString();
    }

    private String exitValue() {
        try {
            final Integer e = jvm.waitFor(0, TimeUnit.MILLISECONDS);
            return e == null ? "?" : e.toString();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    void closeLog() {
        synchronized (this) {
            log.close();
        }
    }
}
