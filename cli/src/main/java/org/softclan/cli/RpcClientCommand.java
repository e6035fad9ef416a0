package org.softclan.cli;

import java.util.concurrent.Callable;

import org.softclan.examples.rpc.KvClient;
import org.softclan.examples.rpc.KvService;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmmc rpc-client}: the RPC demo's checking client, by hand, against a running {@code vmmc rpc-server}. */
@Command(name = "rpc-client", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Call the key-value server of 'vmmc rpc-server': scripted puts, gets, overwrites, deletes and scans, then a"
            + " timed loop of gets and puts, every answer checked against a local model.",
        "Prints calls per second, round-trip percentiles and 'all N answers correct' or the first wrong answer;"
            + " exits with 0 only if every answer was right."
    })
public final class RpcClientCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Option(names = "--service", paramLabel = "NAME", order = 1,
        description = "The service to call. Default: " + KvService.DEFAULT_NAME + ".")
    String service = KvService.DEFAULT_NAME;

    @Option(names = "--calls", paramLabel = "N", order = 2,
        description = "Timed get/put calls (after N/5 warm-up calls). Default: " + KvClient.DEFAULT_CALLS + ".")
    int calls = KvClient.DEFAULT_CALLS;

    @Option(names = "--threads", paramLabel = "T", order = 3,
        description = "Client threads, sharing one connection. Default: " + KvClient.DEFAULT_THREADS + ".")
    int threads = KvClient.DEFAULT_THREADS;

    @Override
    public Integer call() {
        RpcServerCommand.check(spec, calls >= 0, "--calls must not be negative (was " + calls + ")");
        RpcServerCommand.check(spec, threads >= 1, "--threads must be at least 1 (was " + threads + ")");
        if (!fabric.exists()) {
            throw new CliException("no fabric at " + fabric.root() + ": the directory does not exist (check --fabric;"
                + " 'vmmc rpc-server' creates it)");
        }
        return KvClient.runWorkload(fabric.root(), service, calls, threads, spec.commandLine().getOut());
    }
}
