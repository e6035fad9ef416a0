package org.softclan.bench.rpc;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.softclan.bench.peers.MarkdownTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vmmc bench rpc}: RPC calls per second and latency beside TCP loopback ({@link RpcBench}). */
@Command(name = "rpc", mixinStandardHelpOptions = true,
    description = {"Null RPC calls between two JVMs: calls per second and latency percentiles, beside the same workload"
        + " over TCP loopback with a minimal framing. Writes results.md."})
public final class RpcBenchCommand implements Callable<Integer> {
    @Option(names = "--threads", defaultValue = "1", paramLabel = "T", description = "client threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--in-flight", defaultValue = "64", paramLabel = "N",
        description = "calls each thread keeps outstanding; 1: synchronous calls (default: ${DEFAULT-VALUE})")
    int inFlight;

    @Option(names = "--clients", defaultValue = "1", paramLabel = "C",
        description = "RPC connections the threads spread over (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "R",
        description = "calls per second in all, latency from each call's intended send time; 0: as fast as possible"
            + " (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--transports", split = ",", defaultValue = "rpc,tcp", description = "rpc and/or tcp (default: ${DEFAULT-VALUE})")
    List<String> transports;

    @Option(names = "--seconds", defaultValue = "3", description = "measured seconds per run (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--warmup-seconds", defaultValue = "2", description = "seconds of calls before (default: ${DEFAULT-VALUE})")
    double warmSeconds;

    @Option(names = "--rounds", defaultValue = "3", description = "rounds, each transport once per round (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--server-wait", defaultValue = "busy-spin",
        description = "the RPC server's polling wait strategy by name (default: ${DEFAULT-VALUE})")
    String serverWait;

    @Option(names = "--background-receiver", defaultValue = "false", fallbackValue = "true", arity = "0..1",
        description = "run the RPC clients' background receiver threads (default: ${DEFAULT-VALUE}: the load threads"
            + " receive for themselves)")
    boolean backgroundReceiver;

    @Option(names = "--batch", defaultValue = "true", fallbackValue = "true", arity = "0..1", negatable = true,
        description = "send asynchronous calls batched, published --batch-limit at a time or when the window is full, as"
            + " the TCP loop writes the calls that fit and flushes once (default: ${DEFAULT-VALUE}; --no-batch publishes"
            + " each call)")
    boolean batch;

    @Option(names = "--batch-limit", defaultValue = "16", paramLabel = "N",
        description = "batched calls published together at most (the RPC clients' batchLimit; default: ${DEFAULT-VALUE})")
    int batchLimit;

    @Option(names = "--futures", defaultValue = "false", fallbackValue = "true", arity = "0..1",
        description = "complete asynchronous calls through a CompletableFuture each (default: ${DEFAULT-VALUE}: a"
            + " reused RpcCallback each, no allocation per call)")
    boolean futures;

    @Option(names = "--out", paramLabel = "DIR", description = "where results go (default: bench-results/rpc-TIME)")
    Path out;

    @Override
    public Integer call() throws Exception {
        final Path where = MarkdownTable.resultsDir(out, "rpc");
        final RpcBench bench;
        try {
            bench = new RpcBench(transports, threads, inFlight, clients, rate, seconds, warmSeconds, rounds, serverWait,
                backgroundReceiver, batch, where, System.err).batchLimit(batchLimit).futures(futures);
        } catch (final IllegalArgumentException e) {
            System.err.println("rpc: " + e.getMessage());
            return 2;
        }
        bench.run();
        return 0;
    }
}
