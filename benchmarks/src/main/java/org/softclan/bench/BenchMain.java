package org.softclan.bench;

import java.util.List;
import java.util.concurrent.Callable;

import org.softclan.bench.peers.CompareCommand;
import org.softclan.bench.peers.PeerProcess;
import org.softclan.bench.peers.PingPongCommand;
import org.softclan.bench.peers.StreamCommand;
import org.softclan.bench.peers.TechniquesCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./vmmc bench} command line: two-process harnesses that measure this library against raw
 * shared memory and its peers. Each subcommand prints its results and where it wrote its files.
 *
 * <ul>
 *   <li>{@code pingpong --transport T [--size BYTES] [--warmup N] [--iterations N] [--rate N]}: round-trip
 *       latency of one transport (raw, tripwire-spin, tripwire-block, futex, queue, rpc, aeron-ipc, tcp,
 *       uds, tcp-spin, uds-spin; tripwire-yield, tripwire-competitive, tripwire-park, rpc-competitive)
 *       between this JVM and an echo JVM ({@link PingPongCommand}).</li>
 *   <li>{@code compare [--size 32] [--iterations N] [--out DIR]}: every transport in turn, each in fresh
 *       JVMs; a Markdown table, a CSV, HdrHistogram files and an SVG chart ({@link CompareCommand}).</li>
 *   <li>{@code stream --transport T --size BYTES [--rate N]}: one-way throughput (raw ring, the byte
 *       stream with each send technique, aeron-ipc, tcp, uds), or latency at a fixed rate
 *       ({@link StreamCommand}).</li>
 *   <li>{@code techniques [--sizes ...] [--out DIR]}: throughput against message size for every send and
 *       receive technique, as in the design-space study's figures 2 and 3 ({@link TechniquesCommand}).</li>
 *   <li>{@code jmh [--quick] [--out DIR]}: every micro-benchmark, results as JSON; the launcher runs it
 *       from the {@code jmh} module's jar ({@code org.softclan.jmh.JmhCommand}), not from this one.</li>
 * </ul>
 */
@Command(name = "vmmc bench", mixinStandardHelpOptions = true,
    description = "Benchmarks between two JVMs: round trips, throughput, the send/receive techniques.",
    footer = {"", "The JMH micro-benchmarks: vmmc bench jmh [--quick] [--out DIR] [PATTERN...] (their own jar, jmh/target/jmh.jar)."})
public final class BenchMain implements Callable<Integer> {
    /**
     * The subcommands; each is a picocli command class with a public no-argument constructor.
     *
     * @return the command objects, in the order help lists them
     */
    static List<Object> subcommands() {
        return List.of(new PingPongCommand(), new StreamCommand(), new CompareCommand(), new TechniquesCommand(),
            new org.softclan.bench.waiting.WaitingCommand(), new org.softclan.bench.rpc.RpcBenchCommand());
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 2;
    }

    /**
     * @param args the subcommand and its options
     */
    public static void main(final String[] args) {
        PeerProcess.quietLibraries();
        final CommandLine cli = new CommandLine(new BenchMain());
        for (final Object sub : subcommands()) {
            cli.addSubcommand(sub);
        }
        System.exit(cli.execute(args));
    }
}
