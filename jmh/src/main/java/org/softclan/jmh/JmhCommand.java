package org.softclan.jmh;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./vmmc bench jmh}: runs the JMH micro-benchmarks of this jar ({@link WritePathBenchmark},
 * {@link PioBurstBenchmark}, {@link TripwireBenchmark}, {@link QueueBenchmark},
 * {@link CodecBenchmark}) with the JVM flags of {@link JmhMain}, writing JMH's JSON results to
 * {@code <out>/jmh.json}. Without {@code --quick} each benchmark runs with its own annotations;
 * {@code --quick} runs one fork of one 0.5 s warm-up and two 0.5 s measurement iterations each
 * (a few minutes for all; figures for a smoke check, not for comparison).
 */
@Command(name = "jmh", mixinStandardHelpOptions = true,
    description = {"Runs the JMH micro-benchmarks (all, or those matching the patterns) and writes <out>/jmh.json.",
        "Same as: java -jar jmh/target/jmh.jar [patterns] -rf json -rff <out>/jmh.json"})
public final class JmhCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "1 fork, 1 x 0.5 s warm-up, 2 x 0.5 s measurement per benchmark.")
    boolean quick;

    @Option(names = "--out", defaultValue = "target/bench-jmh", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Parameters(arity = "0..*", description = "Benchmark regular expressions (default: all).")
    List<String> patterns = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        final Path dir = out.isAbsolute() ? out : Paths.get("").toAbsolutePath().resolve(out);
        Files.createDirectories(dir);
        final Path json = dir.resolve("jmh.json");
        final ChainedOptionsBuilder b = new OptionsBuilder()
            .resultFormat(ResultFormatType.JSON)
            .result(json.toString())
            .jvmArgsAppend(JmhMain.jvmFlags().toArray(new String[0]));
        if (patterns.isEmpty()) {
            b.include("org\\.softclan\\.jmh\\..*");
        } else {
            for (final String p : patterns) {
                b.include(p);
            }
        }
        if (quick) {
            b.forks(1)
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(500))
                .measurementIterations(2).measurementTime(TimeValue.milliseconds(500));
        }
        try {
            new Runner(b.build()).run();
        } catch (final org.openjdk.jmh.runner.NoBenchmarksException e) {
            System.err.println("vmmc bench jmh: no benchmark matches " + patterns
                + "; java -jar jmh/target/jmh.jar -l lists them");
            return 1;
        }
        System.out.println("wrote " + json);
        return 0;
    }

    /**
     * {@code ./vmmc bench jmh ...}: the launcher runs this jar's command here, apart from the two-JVM
     * harness ({@code org.softclan.bench.BenchMain}), which does not carry JMH.
     *
     * @param args the command's options and patterns
     */
    public static void main(final String[] args) {
        System.exit(new picocli.CommandLine(new JmhCommand()).setCommandName("vmmc bench jmh").execute(args));
    }
}
