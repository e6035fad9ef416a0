package org.softclan.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.softclan.dsm.Fabric;
import org.softclan.examples.rpc.KvClient;
import org.softclan.examples.rpc.KvServer;
import org.softclan.examples.rpc.KvService;
import org.softclan.net.HostPair;

/**
 * The RPC demo: a key-value server and a client, each in its own JVM, on a fresh temporary fabric. Starts
 * the server, waits for its ready line, runs the client (whose output it relays), stops the server and
 * removes the fabric. Passes only if the client exits with 0 after saying that all answers were correct.
 */
final class RpcDemo {
    /** How long the server may take to say it is ready. */
    static final long SERVER_READY_SECONDS = 30;
    /** How long the client may run. */
    static final long CLIENT_SECONDS = 45;

    private final PrintWriter out;
    private final int calls;
    private final int threads;
    private final int workers;
    /** How the server's polling thread and the client threads wait, by name ({@code WaitStrategy.named}). */
    private final String wait;

    /** 1: both JVMs on one fabric; 2: server and client on two hosts ({@link HostPair}), each with an agent. */
    private final int hosts;

    RpcDemo(final PrintWriter out, final int calls, final int threads, final int workers, final String wait,
            final int hosts) {
        this.out = out;
        this.wait = wait;
        this.calls = calls;
        this.threads = threads;
        this.workers = workers;
        this.hosts = hosts;
    }



    private void say(final String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    /** @return the exit code: 0 if the demo passed */
    int run() throws IOException, InterruptedException {
        final long started = System.nanoTime();
        say("rpc demo: a key-value store served by one JVM and called by another, through shared memory and"
            + " tripwires" + (hosts == 2 ? ", across two hosts (their NIC agents over Aeron UDP)" : ""));
        final AtomicReference<ChildJvm> serverRef = new AtomicReference<>();
        final AtomicReference<ChildJvm> clientRef = new AtomicReference<>();
        final String failure;
        if (hosts == 2) {
            return runOnTwoHosts(started, serverRef, clientRef);
        }
        final Fabric fabric = Fabric.createTemporary();
        final Path dir = fabric.root();
        // Ctrl-C (or SIGTERM) of the demo: take the JVMs it started with it, and the fabric.
        final Thread hook = new Thread(() -> {
            closeAll(clientRef, serverRef);
            fabric.close();
        }, "vmmc-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            say("[1/4] fabric " + dir + " (temporary)");
            failure = run(null, dir, serverRef, clientRef);
        } finally {
            closeAll(clientRef, serverRef);
            fabric.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // the hook cleans up
            }
        }
        say("      fabric " + dir + (Files.exists(dir) ? " NOT removed" : " removed"));
        if (failure != null) {
            say("rpc demo: FAILED: " + failure);
            return Vmmc.EXIT_FAILURE;
        }
        say(String.format(Locale.ROOT, "rpc demo: PASSED in %.1f s: every answer was right", seconds(started)));
        return 0;
    }

    /** The demo with server and client on two hosts; {@return the exit code} */
    private int runOnTwoHosts(final long started, final AtomicReference<ChildJvm> serverRef,
                              final AtomicReference<ChildJvm> clientRef) throws IOException, InterruptedException {
        final String failure;
        try (HostPair pair = new HostPair()) {
            final Thread hook = new Thread(() -> closeAll(clientRef, serverRef), "vmmc-demo-cleanup");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                say("[1/4] two hosts: " + pair.describe() + "; host a's fabric " + pair.directory(0) + ", host b's "
                    + pair.directory(1) + " (temporary)");
                failure = run(pair, null, serverRef, clientRef);
            } finally {
                closeAll(clientRef, serverRef);
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (final IllegalStateException shuttingDown) {
                    // the hook cleans up
                }
            }
        }
        if (failure != null) {
            say("rpc demo: FAILED: " + failure);
            return Vmmc.EXIT_FAILURE;
        }
        say(String.format(Locale.ROOT, "rpc demo: PASSED in %.1f s: every answer was right, across two hosts",
            seconds(started)));
        return 0;
    }

    @SafeVarargs
    private static void closeAll(final AtomicReference<ChildJvm>... refs) {
        for (final AtomicReference<ChildJvm> r : refs) {
            final ChildJvm c = r.get();
            if (c != null) {
                c.close();
            }
        }
    }

    /**
     * The run itself: on this host's fabric {@code dir} ({@code pair} null), or the server as host a and the
     * client as host b of {@code pair}, calling {@code kv@a}.
     *
     * @return why the demo failed, or null if it passed
     */
    private String run(final HostPair pair, final Path dir, final AtomicReference<ChildJvm> serverRef,
                       final AtomicReference<ChildJvm> clientRef) throws IOException, InterruptedException {
        final boolean two = pair != null;
        say("[2/4] starting the server JVM " + (two ? "as host a (" + KvServer.class.getSimpleName()
            + ", with host a's NIC agent)..." : "(" + KvServer.class.getSimpleName() + ")..."));
        final long t0 = System.nanoTime();
        final List<String> serverArgs = List.of("--wait", wait, "--fabric", (two ? pair.directory(0) : dir).toString(), "--workers",
            Integer.toString(workers));
        final ChildJvm server = ChildJvm.startOnHost(pair, 0, KvServer.class.getName(), serverArgs,
            line -> say("      server" + (two ? " (a)" : "") + " | " + line));
        serverRef.set(server);
        if (server.awaitLine("ready:", SERVER_READY_SECONDS, TimeUnit.SECONDS) == null) {
            return server.isAlive() ? "the server did not say it was ready within " + SERVER_READY_SECONDS + " s"
                : "the server ended before it was ready (its output is above)";
        }
        say(String.format(Locale.ROOT, "      server ready %.1f s after start%s", seconds(t0),
            two ? "" : " (pid " + server.pid() + ")"));

        say("[3/4] running the client JVM " + (two ? "as host b (" + KvClient.class.getSimpleName() + ", calling kv@a"
            + " through host b's agent)" : "(" + KvClient.class.getSimpleName() + ")") + ": scripted calls, then " + calls
            + " timed get/put calls on " + threads + " thread" + (threads == 1 ? "" : "s") + ", every answer checked");
        final List<String> clientLines = new ArrayList<>();
        final List<String> clientArgs = new ArrayList<>(List.of("--fabric", (two ? pair.directory(1) : dir).toString()));
        if (two) {
            clientArgs.addAll(List.of("--service", KvService.DEFAULT_NAME + "@a"));
        }
        clientArgs.addAll(List.of("--calls", Integer.toString(calls), "--threads", Integer.toString(threads), "--wait",
            wait));
        final ChildJvm client = ChildJvm.startOnHost(pair, 1, KvClient.class.getName(), clientArgs, line -> {
            synchronized (clientLines) {
                clientLines.add(line);
            }
            say("      client" + (two ? " (b)" : "") + " | " + line);
        });
        clientRef.set(client);
        final Integer clientExit = client.waitFor(CLIENT_SECONDS, TimeUnit.SECONDS);
        if (clientExit == null) {
            client.close();
        }

        say("[4/4] stopping the server...");
        final int serverExit = server.stop(10, TimeUnit.SECONDS);
        say("      server exited (" + describeExit(serverExit) + ")");

        if (clientExit == null) {
            return "the client did not finish within " + CLIENT_SECONDS + " s; it was killed";
        }
        final boolean allCorrect;
        synchronized (clientLines) {
            allCorrect = clientLines.stream().anyMatch(l -> l.startsWith("all ") && l.endsWith(" answers correct"));
        }
        if (clientExit != 0 || !allCorrect) {
            return "the client exited with " + clientExit + (allCorrect ? "" : " without saying that all answers"
                + " were correct");
        }
        return null;
    }

    private static String describeExit(final int exit) {
        return exit == 143 ? "stopped by SIGTERM" : exit == 137 ? "killed" : "exit code " + exit;
    }

    private static double seconds(final long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
