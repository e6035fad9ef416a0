package org.softclan.bench;

import java.util.List;
import java.util.concurrent.Callable;

import org.softclan.bench.throughput.StreamCommand;
import org.softclan.bench.throughput.TechniquesCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./vmmc bench} command line: two-process harnesses that measure this library against raw
 * shared memory and its peers. Each subcommand prints its results and where it wrote its files.
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
        return List.of(new StreamCommand(), new TechniquesCommand(), new JmhCommand());
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
