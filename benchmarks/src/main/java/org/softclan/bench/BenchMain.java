package org.softclan.bench;

import java.util.List;
import java.util.concurrent.Callable;

import org.softclan.bench.peers.CompareCommand;
import org.softclan.bench.peers.PingPongCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./vmmc bench} command line: two-process harnesses that measure this library against raw
 * shared memory and its peers. Each subcommand prints its results and where it wrote its files.
 *
 * <ul>
 *   <li>{@code pingpong --transport T [--size BYTES] [--warmup N] [--iterations N] [--rate N]}: round-trip
 *       latency of one transport (raw, tripwire-spin, tripwire-block, queue, rpc, aeron-ipc, tcp, uds)
 *       between this JVM and an echo JVM ({@link PingPongCommand}).</li>
 *   <li>{@code compare [--size 32] [--iterations N] [--out DIR]}: every transport in turn, each in fresh
 *       JVMs; a Markdown table, a CSV, HdrHistogram files and an SVG chart ({@link CompareCommand}).</li>
 * </ul>
 */
@Command(name = "vmmc bench", mixinStandardHelpOptions = true,
    description = "Benchmarks between two JVMs: round trips, throughput, the send/receive techniques.")
public final class BenchMain implements Callable<Integer> {
    /**
     * The subcommands; each is a picocli command class with a public no-argument constructor.
     *
     * @return the command objects, in the order help lists them
     */
    static List<Object> subcommands() {
        return List.of(new PingPongCommand(), new CompareCommand());
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
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        final CommandLine cli = new CommandLine(new BenchMain());
        for (final Object sub : subcommands()) {
            cli.addSubcommand(sub);
        }
        System.exit(cli.execute(args));
    }
}
