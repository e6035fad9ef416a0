package org.softclan.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One lane of {@code vmmc soak}: a pair of workers of one kind (message queue, RPC or byte stream) at a
 * time. It starts the server side, waits for it, starts the client side, lets them work until one ends
 * (an attack) or the soak is over, checks that the survivor notices within {@link Soak#NOTICE_BOUND_MS},
 * judges the pair, and starts a fresh one on a new service name.
 */
final class SoakLane implements Runnable {
    /** A pair of workers and what was done to it. */
    static final class Pair {
        final String name;
        final String service;
        final String technique;
        volatile SoakProcess server;
        volatile SoakProcess client;
        final List<SoakProcess> others = new ArrayList<>();
        volatile boolean cut;
        volatile boolean running;

        Pair(final String name, final String service, final String technique) {
            this.name = name;
            this.service = service;
            this.technique = technique;
        }

        synchronized void addOther(final SoakProcess p) {
            others.add(p);
        }

        synchronized List<SoakProcess> othersCopy() {
            return List.copyOf(others);
        }
    }

    private final Soak soak;
    final String kind;
    private final Random rnd;
    private volatile Pair current;
    private int generation;

    SoakLane(final Soak soak, final String kind, final Random rnd) {
        this.soak = soak;
        this.kind = kind;
        this.rnd = rnd;
    }

    /** @return the pair now working, or null */
    Pair current() {
        final Pair p = current;
        return p != null && p.running ? p : null;
    }

    private String serverRole() {
        return switch (kind) {
            case "mq" -> "mq-reader";
            case "rpc" -> "rpc-server";
            default -> "stream-receiver";
        };
    }

    private String clientRole() {
        return switch (kind) {
            case "mq" -> "mq-writer";
            case "rpc" -> "rpc-client";
            default -> "stream-sender";
        };
    }

    @Override
    public void run() {
        while (!soak.over()) {
            try {
                runPair();
            } catch (final InterruptedException e) {
                return;
            } catch (final Exception e) {
                soak.report.fail(kind + " lane: " + e);
                soak.say(kind + " lane: " + e);
            }
        }
    }

    private void runPair() throws IOException, InterruptedException {
        generation++;
        final String technique = "stream".equals(kind) && rnd.nextInt(3) == 0 ? "copy-dma" : "pio";
        final Pair p = new Pair(kind + "#" + generation, "soak-" + kind + "-" + generation, technique);
        try {
            if (rnd.nextInt(10) == 0) {
                // kill -9 of the server while it exports its listen region: the name must be usable again
                final long delayMicros = rnd.nextInt(30_000);
                final SoakProcess doomed = soak.start(p.name + " " + serverRole() + " (killed exporting)", serverRole(),
                    p.service, rnd.nextLong(), "");
                p.addOther(doomed);
                killWhenAboutTo(doomed, delayMicros);
                soak.report.attack("kill -9 mid-export");
                if (!doomed.awaitExit(Soak.READY_BOUND_MS)) {
                    doomed.kill();
                }
                soak.say(p.name + ": kill -9 of " + doomed.name() + " " + delayMicros + " us after it began to export its"
                    + " listen region; a new server must get the name " + p.service);
            }
            // one pair in four has a member in a PID namespace of its own: liveness must hold across them
            final int namespaced = rnd.nextInt(8);
            p.server = soak.start(p.name + " " + serverRole(), serverRole(), p.service, rnd.nextLong(), "",
                namespaced == 0);
            if (!p.server.awaitReady(Soak.READY_BOUND_MS)) {
                soak.report.overrun(p.name + ": " + p.server.name() + " not ready within " + Soak.READY_BOUND_MS + " ms ("
                    + p.server.how() + ")");
                return;
            }
            if (rnd.nextInt(10) == 0 && Soak.SIGNALS.length > 0) {
                // a signal while the server waits for its first client
                final String sig = Soak.SIGNALS[rnd.nextInt(Soak.SIGNALS.length)];
                soak.report.attack("SIG" + sig + " while waiting in accept");
                soak.say(p.name + ": SIG" + sig + " to " + p.server.name() + " (pid " + p.server.pid()
                    + ") while it waits for a client");
                p.server.signal(sig);
                if (!p.server.awaitExit(Soak.SIGNAL_BOUND_MS)) {
                    soak.report.overrun(p.name + ": " + p.server.name() + " still running " + Soak.SIGNAL_BOUND_MS
                        + " ms after SIG" + sig);
                    p.server.kill();
                }
                return;
            }
            if (rnd.nextInt(7) == 0) {
                // kill -9 of the client while it connects (exports its receive region, claims a slot)
                final long delayMicros = rnd.nextInt(30_000);
                final SoakProcess doomed = soak.start(p.name + " " + clientRole() + " (killed connecting)", clientRole(),
                    p.service, rnd.nextLong(), technique);
                p.addOther(doomed);
                killWhenAboutTo(doomed, delayMicros);
                soak.report.attack("kill -9 mid-connect");
                if (!doomed.awaitExit(Soak.READY_BOUND_MS)) {
                    doomed.kill();
                }
                soak.say(p.name + ": kill -9 of " + doomed.name() + " " + delayMicros + " us after it began to connect ("
                    + (doomed.end() != null ? "it had ended: " + doomed.end() : "connected: "
                    + (doomed.stats().isEmpty() ? "no" : "maybe")) + "); a new client must still get in");
            }
            p.client = soak.start(p.name + " " + clientRole(), clientRole(), p.service, rnd.nextLong(), technique,
                namespaced == 1);
            if (!p.client.awaitReady(Soak.READY_BOUND_MS)) {
                soak.report.overrun(p.name + ": " + p.client.name() + " not connected within " + Soak.READY_BOUND_MS
                    + " ms (" + p.client.how() + ")");
                return;
            }
            p.running = true;
            current = p;
            while (!soak.over() && p.server.alive() && p.client.alive()) {
                Thread.sleep(20);
                for (final SoakProcess w : new SoakProcess[] {p.server, p.client}) {
                    if (w.signal() != null && w.alive() && !w.killed()
                        && System.nanoTime() - w.signalNanos() > TimeUnit.MILLISECONDS.toNanos(Soak.SIGNAL_BOUND_MS)) {
                        soak.report.overrun(p.name + ": " + w.name() + " (pid " + w.pid() + ") still running "
                            + Soak.SIGNAL_BOUND_MS + " ms after SIG" + w.signal());
                        w.kill();
                    }
                }
            }
            p.running = false;
            current = null;
            if (p.server.alive() && p.client.alive()) {
                stopGracefully(p);
            } else {
                awaitSurvivor(p);
            }
        } finally {
            p.running = false;
            current = null;
            finish(p);
        }
    }

    private static void killWhenAboutTo(final SoakProcess doomed, final long delayMicros) {
        doomed.onConnecting(() -> {
            try {
                TimeUnit.MICROSECONDS.sleep(delayMicros);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            doomed.kill();
        });
    }

    /** The end of the soak: the client stops, the server must notice; then the server stops. */
    private void stopGracefully(final Pair p) throws InterruptedException {
        p.client.send("stop");
        if (!p.client.awaitExit(Soak.SIGNAL_BOUND_MS)) {
            soak.report.overrun(p.name + ": " + p.client.name() + " did not stop within " + Soak.SIGNAL_BOUND_MS + " ms");
            p.client.kill();
            p.client.awaitExit(10_000);
        }
        final long t0 = p.client.exitNanos() != 0 ? p.client.exitNanos() : System.nanoTime();
        final long left = Soak.NOTICE_BOUND_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        if (p.server.awaitExit(Math.max(0, left))) {
            soak.report.noticed(TimeUnit.NANOSECONDS.toMillis(exitOf(p.server) - t0));
        } else if ("rpc".equals(kind) && neverSawItsClient(p.server)) {
            soak.say(p.name + ": " + p.server.name() + " never saw its client (connected and closed between two of"
                + " its looks at the client count): nothing to notice");
        } else {
            soak.report.overrun(p.name + ": " + p.server.name() + " (pid " + p.server.pid() + ") did not notice within "
                + Soak.NOTICE_BOUND_MS + " ms that its client closed");
            p.server.send("stop");
            if (!p.server.awaitExit(Soak.SIGNAL_BOUND_MS)) {
                p.server.kill();
            }
        }
    }

    /** Stops an RPC server and tells whether it never had a client (its calls and its client count). */
    private static boolean neverSawItsClient(final SoakProcess server) throws InterruptedException {
        server.send("stop");
        if (!server.awaitExit(Soak.SIGNAL_BOUND_MS)) {
            return false;
        }
        return server.stats().getOrDefault("served", 0L) == 0 && server.stats().getOrDefault("had-client", 0L) == 0;
    }

    private static long exitOf(final SoakProcess w) throws InterruptedException {
        return w.awaitExitNanos(1_000);
    }

    /** One of the pair ended (attacked, or it failed): the other must notice within the bound. */
    private void awaitSurvivor(final Pair p) throws InterruptedException {
        final SoakProcess first = !p.server.alive() ? p.server : p.client;
        final SoakProcess other = first == p.server ? p.client : p.server;
        final long t0 = exitOf(first);
        final long left = Soak.NOTICE_BOUND_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        if (other.awaitExit(Math.max(0, left))) {
            final long ms = TimeUnit.NANOSECONDS.toMillis(exitOf(other) - t0);
            soak.report.noticed(ms);
            soak.say(p.name + ": " + first.name() + " gone (" + first.how() + "); " + other.name() + " noticed after "
                + ms + " ms (" + other.how() + ")");
        } else if (!other.alive()) {
            soak.report.noticed(0);
        } else if (first == p.client && other.unidentifiedGoneNanos() != 0
            && other.unidentifiedGoneNanos() - first.connectingNanos() > 0) {
            // the client died after connecting but before its hello: the server saw a peer leave, and
            // could not know it was its client (a stranger looks the same); it noticed all it could
            soak.report.noticed(Math.max(0, TimeUnit.NANOSECONDS.toMillis(other.unidentifiedGoneNanos() - t0)));
            soak.say(p.name + ": " + first.name() + " gone (" + first.how() + ") before identifying itself; "
                + other.name() + " saw a peer it could not identify leave, and goes on listening; stopping it");
            other.send("stop");
            if (!other.awaitExit(Soak.SIGNAL_BOUND_MS)) {
                soak.report.overrun(p.name + ": " + other.name() + " (pid " + other.pid() + ") did not stop within "
                    + Soak.SIGNAL_BOUND_MS + " ms");
                other.kill();
            }
        } else {
            soak.report.overrun(p.name + ": " + other.name() + " (pid " + other.pid() + ") did not notice within "
                + Soak.NOTICE_BOUND_MS + " ms that " + first.name() + " was gone (" + first.how() + ")");
            soak.say(p.name + ": " + other.name() + " did NOT notice within " + Soak.NOTICE_BOUND_MS + " ms that "
                + first.name() + " was gone (" + first.how() + "); killing it (its thread dump is in its log)");
            other.threadDump();
            other.send("stop");
            if (!other.awaitExit(Soak.SIGNAL_BOUND_MS)) {
                other.kill();
            }
        }
    }

    /** Waits for everything of the pair to end, then judges it. */
    private void finish(final Pair p) throws InterruptedException {
        final List<SoakProcess> everyone = new ArrayList<>(p.othersCopy());
        if (p.server != null) {
            everyone.add(p.server);
        }
        if (p.client != null) {
            everyone.add(p.client);
        }
        for (final SoakProcess w : everyone) {
            if (!w.awaitExit(w.adversary() ? 10_000 : 1_000)) {
                if (!soak.over() || !w.adversary()) {
                    soak.report.overrun(p.name + ": " + w.name() + " (pid " + w.pid() + ") still running when its pair"
                        + " ended (" + w.how() + "; its thread dump is in its log)");
                    w.threadDump();
                }
                w.kill();
                w.awaitExit(10_000);
            }
            judgeExit(p, w);
        }
        if (p.server == null || p.client == null) {
            return;
        }
        switch (kind) {
            case "mq" -> soak.report.mqPair(p.name, p.server.stats(), p.server.end(), p.client.stats(), p.cut);
            case "rpc" -> soak.report.rpcPair(p.name, p.client.stats(), p.server.stats(), p.cut);
            default -> soak.report.streamPair(p.name, p.server.stats(), p.server.end(), p.client.stats(),
                "pio".equals(p.technique), p.cut);
        }
        soak.say(p.name + " judged: " + p.server.name() + " " + p.server.stats() + " [" + p.server.how() + "]; "
            + p.client.name() + " " + p.client.stats() + " [" + p.client.how() + "]" + (p.cut ? " (a region was cut)" : ""));
    }

    /** An exit the soak did not cause is a crash; an unexpected exception in a worker breaks an invariant. */
    private void judgeExit(final Pair p, final SoakProcess w) throws InterruptedException {
        final Integer code = w.exitCode();
        w.closeLog();
        final boolean expected = code != null && (code == 0 || w.killed() && code == 137
            || w.signal() != null && (code == 143 || code == 130 || code == 129));
        if (!expected && (code == null || code != 134)) {
            // 134 (SIGABRT) is a JVM crash: its hs_err file is counted at the end
            soak.report.fail(p.name + ": " + w.name() + " (pid " + w.pid() + ") exited with " + code
                + (code != null && code > 128 ? " (signal " + (code - 128) + ", not sent by the soak)" : "") + " ("
                + w.how() + ")");
        }
        if (!w.adversary() && !w.errors().isEmpty()) {
            soak.report.fail(p.name + ": " + w.name() + " (pid " + w.pid() + ") " + String.join(System.lineSeparator()
                + "        ", w.errors().subList(0, Math.min(12, w.errors().size()))));
        }
    }
}
