package org.softclan.bench.peers;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.softclan.dsm.DmaMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmmc bench techniques}: throughput against message size for every send and every receive
 * technique between two JVMs ({@link Techniques}); writes CSV, Markdown and two SVG charts.
 */
@Command(name = "techniques", mixinStandardHelpOptions = true,
    description = {"Throughput vs message size for every send technique (receiver: buffered) and every receive"
        + " technique (sender: pio) over byte streams between two JVMs (Warschko et al. 1999, figures 2 and 3).",
        "The DMA engine runs in the default mode for the machine's CPUs; JAVA_TOOL_OPTIONS=-Dsoftclan.dma.mode=dedicated"
        + " (or invoker) sets it for every JVM of the run.",
        "Writes techniques.csv, techniques.md, techniques-send.svg and techniques-receive.svg and prints the tables."})
public final class TechniquesCommand implements Callable<Integer> {
    @Option(names = "--sizes", split = ",", description = "Message sizes (default: 64,128,...,65536).")
    List<String> sizes;

    @Option(names = "--out", defaultValue = "target/bench-techniques",
        description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--warmup", defaultValue = "0.15", description = "Warm-up seconds per point (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--seconds", defaultValue = "0.35", description = "Measured seconds per point (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--ring", defaultValue = "1m", description = "Stream receive ring bytes (default: ${DEFAULT-VALUE}).")
    String ring;

    @Option(names = "--wait", defaultValue = "busy", description = "busy or competitive (default: ${DEFAULT-VALUE}).")
    String waitMode;

    @Option(names = "--repeat", defaultValue = "1", description = "Rounds of the whole experiment; with more than one,"
        + " the tables and charts show each point's median round and techniques-spread.md how far the rounds"
        + " spread (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Override
    public Integer call() throws Exception {
        final PrintStream o = System.out;
        final int[] s;
        final Config base;
        try {
            if (sizes == null || sizes.isEmpty()) {
                s = Techniques.defaultSizes();
            } else {
                s = new int[sizes.size()];
                for (int i = 0; i < s.length; i++) {
                    s[i] = (int) StreamCommand.parseBytes(sizes.get(i));
                    if (s[i] < MessageCheck.MIN_SIZE) {
                        throw new IllegalArgumentException("--sizes " + sizes.get(i) + " is below the smallest message,"
                            + " " + MessageCheck.MIN_SIZE + " bytes");
                    }
                }
            }
            if (repeat < 1) {
                throw new IllegalArgumentException("--repeat " + repeat + " must be at least 1");
            }
            if (!"busy".equals(waitMode) && !"competitive".equals(waitMode)) {
                throw new IllegalArgumentException("--wait " + waitMode + ": choose busy or competitive");
            }
            base = new Config().warmupSeconds(warmup).seconds(seconds)
                .ringBytes((int) StreamCommand.parseBytes(ring)).busySpin("busy".equals(waitMode));
        } catch (final IllegalArgumentException e) {
            System.err.println("techniques: " + e.getMessage());
            return 2;
        }
        final String preamble = "# bench techniques: throughput vs message size\n\n" + StreamCommand.environment()
            + "\n\nByte streams between two JVMs, ring " + base.ringBytes() + " bytes, stream waits "
            + (base.busySpin() ? "busy-spin" : "competitive") + ", per point " + warmup + " s warm-up + " + seconds
            + " s measured; reads of one message's size; every message checked. DMA engine: "
            + DmaMode.defaultMode().name().toLowerCase(Locale.ROOT) + " (" + DmaMode.PROPERTY + "; by default "
            + DmaMode.forProcessors(Runtime.getRuntime().availableProcessors()).name().toLowerCase(Locale.ROOT)
            + " on " + Runtime.getRuntime().availableProcessors() + " CPUs).\n\n";
        o.print(preamble);
        final long started = System.nanoTime();
        final List<List<Techniques.Point>> rounds = new ArrayList<>();
        try (ThroughputBench.Session session = ThroughputBench.open()) {
            for (int r = 1; r <= repeat; r++) {
                final String round = repeat > 1 ? "  round " + r + ":" : " ";
                rounds.add(Techniques.run(session, base, s, p -> o.println(round + " " + p.side() + " " + p.technique()
                    + " " + (p.result().ok() ? String.format(Locale.ROOT, "%d B: %.1f MB/s", p.size(),
                    p.result().mbPerSecond()) : p.size() + " B: n/a (" + p.result().error() + ")"))));
            }
        }
        final List<Techniques.Point> points = repeat > 1 ? Techniques.medians(rounds) : rounds.get(0);
        final Path dir = out.isAbsolute() ? out : Paths.get("").toAbsolutePath().resolve(out);
        final String md = Techniques.write(points, dir, preamble + (repeat > 1 ? "Each point: the median of " + repeat
            + " rounds (techniques-spread.md: how far they spread; techniques-rounds.csv: every round).\n\n" : ""));
        if (repeat > 1) {
            final String spread = Techniques.spread(rounds);
            Files.write(dir.resolve("techniques-spread.md"), (preamble + spread).getBytes(StandardCharsets.UTF_8));
            Files.write(dir.resolve("techniques-rounds.csv"),
                Techniques.roundsCsv(rounds).getBytes(StandardCharsets.UTF_8));
            o.println();
            o.print(spread);
        }
        o.println();
        o.print(md.substring(md.indexOf("### ")));
        o.println();
        o.println("wrote " + dir.resolve("techniques.csv") + ", techniques.md, techniques-send.svg, techniques-receive.svg");
        o.printf(Locale.ROOT, "(%.1f s in all)%n", (System.nanoTime() - started) / 1e9);
        return 0;
    }
}
