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
    /** Default client threads. */
    static final int DEFAULT_THREADS = KvClient.DEFAULT_THREADS;
    /** Default server worker threads. */
    static final int DEFAULT_WORKERS = 0;

    @Spec
    CommandSpec spec;

    @Option(names = "--calls", paramLabel = "N", order = 1,
        description = "Timed get/put calls (after N/5 warm-up calls). Default: " + DEFAULT_CALLS + ".")
    int calls = DEFAULT_CALLS;

    @Option(names = "--threads", paramLabel = "T", order = 2,
        description = "Client threads, sharing one connection. Default: " + DEFAULT_THREADS + ".")
    int threads = DEFAULT_THREADS;

    @Option(names = "--workers", paramLabel = "W", order = 3,
        description = "Server threads that run handlers; 0 runs them on the polling thread. Default: "
            + DEFAULT_WORKERS + ".")
    int workers = DEFAULT_WORKERS;

    @Option(names = "--hosts", paramLabel = "N", order = 4,
        description = "1: both JVMs on this host's fabric (default). 2: server and client on two hosts, each with its"
            + " own fabric and NIC agent, linked by Aeron UDP: two network namespaces joined by a veth pair when run as"
            + " root with ip, else two agents on 127.0.0.1 (said on screen).")
    int hosts = 1;

    @Override
    public Integer call() throws IOException, InterruptedException {
        RpcServerCommand.check(spec, hosts == 1 || hosts == 2, "--hosts must be 1 or 2 (was " + hosts + ")");
        RpcServerCommand.check(spec, calls >= 0, "--calls must not be negative (was " + calls + ")");
        RpcServerCommand.check(spec, threads >= 1, "--threads must be at least 1 (was " + threads + ")");
        RpcServerCommand.check(spec, workers >= 0, "--workers must not be negative (was " + workers + ")");
        return new RpcDemo(spec.commandLine().getOut(), calls, threads, workers, hosts).run();
    }
}
