package org.softclan.bench.waiting;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.softclan.bench.peers.MarkdownTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vmmc bench waiting}: the competitive-waiting experiment ({@link WaitingExperiment}). */
@Command(name = "waiting", mixinStandardHelpOptions = true,
    description = {"Between two JVMs, messages after gaps from 1 us to 10 ms (fixed and exponential); for each gap and"
        + " wait strategy the receiver's CPU time per message, the latency, and their sum (the cost) beside the better"
        + " of pure polling and pure blocking. Writes results.md and a chart per distribution (SVG)."})
public final class WaitingCommand implements Callable<Integer> {
    @Option(names = "--gaps", split = ",", paramLabel = "US", defaultValue = "1,10,30,100,300,1000,10000",
        description = "gaps between messages, microseconds (the mean for exponential gaps; default: ${DEFAULT-VALUE})")
    List<Double> gapsMicros;

    @Option(names = "--distributions", split = ",", defaultValue = "fixed,exponential",
        description = "fixed and/or exponential (default: ${DEFAULT-VALUE})")
    List<String> distributions;

    @Option(names = "--strategies", split = ",", defaultValue = "busy-spin,block,competitive,competitive-tuned",
        description = "wait strategies by name (busy-spin, block, competitive[:SPIN_NS], yield[:SPIN_NS],"
            + " park[:MIN_NS:MAX_NS], poll) or competitive-tuned (spin = the block cost measured first; default:"
            + " ${DEFAULT-VALUE})")
    List<String> strategies;

    @Option(names = "--seconds", defaultValue = "1", description = "about how long each run sends (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--min-messages", defaultValue = "200", description = "fewest messages per run (default: ${DEFAULT-VALUE})")
    int minMessages;

    @Option(names = "--max-messages", defaultValue = "20000", description = "most messages per run (default: ${DEFAULT-VALUE})")
    int maxMessages;

    @Option(names = "--out", paramLabel = "DIR", description = "where results go (default: bench-results/waiting-TIME)")
    Path out;

    @Override
    public Integer call() throws Exception {
        final List<Long> gaps;
        try {
            gaps = gapsMicros.stream().map(g -> {
                if (!(g > 0) || g > 1e6) {
                    throw new IllegalArgumentException("--gaps " + g + ": microseconds, more than 0 and at most 1000000");
                }
                return Math.round(g * 1e3);
            }).toList();
            final Path where = MarkdownTable.resultsDir(out, "waiting");
            final WaitingExperiment e = new WaitingExperiment(gaps, distributions, strategies, seconds, minMessages,
                maxMessages, where, System.err);
            e.run();
            return 0;
        } catch (final IllegalArgumentException e) {
            System.err.println("waiting: " + e.getMessage());
            return 2;
        }
    }
}
