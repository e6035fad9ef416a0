package org.softclan.cli;

import java.io.IOException;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmmc demo sockets}: an unchanged database server and client, over TCP and through the socket layer ({@link SocketsDemo}). */
@Command(name = "sockets", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    description = {
        "The socket layer's demo: H2's TCP server and a plain JDBC client, unchanged, each in its own JVM, run twice:"
            + " over loopback TCP, then with the socket layer's agent on a fresh temporary fabric.",
        "Prints the SELECT 1 round trip (p50, p99) and queries per second of both runs; exits with 0 only if the query"
            + " results were identical and the second run went through shared memory."
    })
public final class DemoSocketsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--queries", paramLabel = "N", description = "Timed SELECT 1 round trips per run, after a fifth"
        + " as many and at least 3 s to warm up. Default: 100000.")
    int queries = 100_000;

    @Override
    public Integer call() throws IOException, InterruptedException {
        RpcServerCommand.check(spec, queries >= 100, "--queries must be at least 100 (was " + queries + ")");
        return new SocketsDemo(spec.commandLine().getOut(), queries).run();
    }
}
