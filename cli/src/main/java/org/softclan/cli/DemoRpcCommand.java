package org.softclan.cli;

import java.io.IOException;
import java.util.concurrent.Callable;

import org.softclan.examples.rpc.KvClient;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vmmc demo rpc}: a key-value server and a checking client, each in its own JVM, on a fresh
 * temporary fabric (see {@link RpcDemo}).
 */
@Command(name = "rpc", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "The RPC demo: start a key-value server in one JVM and a client in another on a fresh temporary fabric;"
            + " the client runs scripted puts, gets, overwrites, deletes and scans, then a timed loop of gets and"
            + " puts, checking every answer against a local model.",
        "Prints the client's calls per second and round-trip percentiles; exits with 0 only if every answer was"
            + " right. The two halves can be run by hand with 'vmmc rpc-server' and 'vmmc rpc-client'."
    })
public final class DemoRpcCommand implements Callable<Integer> {
    /** Default timed calls. */
    static final int DEFAULT_CALLS = KvClient.DEFAULT_CALLS;
    /** The spin of the waits when every waiting thread (clients and the server's poller) has a CPU. */
    static final long SPIN_WITH_CPUS_NANOS = 200_000;

    /**
     * {@return the client threads the demo runs unless told: one CPU is the server's polling thread's, the others
     * the clients' (each spins a little while it waits for its answer), at least one}
     */
    static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    }
    /** Default server worker threads. */
    static final int DEFAULT_WORKERS = 0;

    @Spec
    CommandSpec spec;

    @Option(names = "--calls", paramLabel = "N", order = 1,
        description = "Timed get/put calls (after N/5 warm-up calls). Default: " + DEFAULT_CALLS + ".")
    int calls = DEFAULT_CALLS;

    @Option(names = "--threads", paramLabel = "T", order = 2,
        description = "Client threads, sharing one connection. Default: one per CPU but one (the server's polling"
            + " thread's), at least 1.")
    Integer threads;

    @Option(names = "--workers", paramLabel = "W", order = 3,
        description = "Server threads that run handlers; 0 runs them on the polling thread. Default: "
            + DEFAULT_WORKERS + ".")
    int workers = DEFAULT_WORKERS;

    @Option(names = "--hosts", paramLabel = "N", order = 4,
        description = "1: both JVMs on this host's fabric (default). 2: server and client on two hosts, each with its"
            + " own fabric and NIC agent, linked by Aeron UDP: two network namespaces joined by a veth pair when run as"
            + " root with ip, else two agents on 127.0.0.1 (said on screen).")
    int hosts = 1;

    /**
     * Says which threads and waits the demo runs with, then runs it.
     *
     * @param out     where the demo writes
     * @param calls   timed calls
     * @param threads client threads, or {@code null} for {@link #defaultThreads()}
     * @param workers the server's handler threads (0: its polling thread)
     * @param hosts   1, or 2 for server and client on two hosts
     * @return the demo's exit code
     * @throws IOException          if a JVM cannot be started
     * @throws InterruptedException if interrupted while waiting for one
     */
    static int run(final java.io.PrintWriter out, final int calls, final Integer threads, final int workers,
                   final int hosts) throws IOException, InterruptedException {
        final int cpus = Runtime.getRuntime().availableProcessors();
        final int t = threads != null ? threads : defaultThreads();
        // with a CPU for every waiting thread, a ping-pong of calls stays awake if each side spins longer than the
        // other takes to wake (tens of us); with a 10-us spin both sides end up blocking on every call (measured
        // here: p50 50-70 us against 6-7 us)
        final boolean cpuEach = cpus >= t + 1;
        final String wait = cpuEach ? "competitive:" + SPIN_WITH_CPUS_NANOS : "competitive";
        out.println("rpc demo: " + t + " client thread" + (t == 1 ? "" : "s") + (threads != null ? " (--threads)"
            : " chosen for this machine's " + cpus + " CPU" + (cpus == 1 ? "" : "s") + ": one for the server's polling"
            + " thread, the rest for clients") + "; server and clients wait with " + wait + (cpuEach
            ? " (spin " + SPIN_WITH_CPUS_NANOS / 1000 + " us, then block: each waiting thread has a CPU)"
            : " (spin 10 us, then block: fewer CPUs than waiting threads)") + ", handlers on the "
            + (workers == 0 ? "polling thread" : workers + " worker thread" + (workers == 1 ? "" : "s")));
        out.flush();
        return new RpcDemo(out, calls, t, workers, wait, hosts).run();
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        RpcServerCommand.check(spec, hosts == 1 || hosts == 2, "--hosts must be 1 or 2 (was " + hosts + ")");
        RpcServerCommand.check(spec, calls >= 0, "--calls must not be negative (was " + calls + ")");
        RpcServerCommand.check(spec, threads == null || threads >= 1, "--threads must be at least 1 (was " + threads + ")");
        RpcServerCommand.check(spec, workers >= 0, "--workers must not be negative (was " + workers + ")");
        return run(spec.commandLine().getOut(), calls, threads, workers, hosts);
    }
}
