package org.softclan.jmh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.openjdk.jmh.runner.Defaults;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.ProfilersFailedException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The benchmark jar's entry point: JMH's own command line ({@code java -jar jmh.jar -h} lists
 * the options), with the JVM flags Chronicle Bytes needs on JDK 17+ appended to every forked JVM.
 *
 * <p>The flags come from the build ({@code softclan.jvm.flags} in the root pom), written into the
 * resource {@value #FLAGS_RESOURCE} when the module is packaged. Any {@code -jvmArgsAppend} given on
 * the command line is kept and goes after them, so it can override a system property they set.
 *
 * <pre>{@code
 * java -jar jmh/target/jmh.jar WritePath -rf json -rff target/jmh-writepath.json
 * }</pre>
 */
public final class JmhMain {
    /** The classpath resource holding the forked JVMs' flags, separated by white space. */
    public static final String FLAGS_RESOURCE = "/softclan-jvm.flags";

    private JmhMain() {
    }

    /**
     * @param args JMH command-line options
     * @throws IOException if the help text cannot be printed or the flags resource cannot be read
     */
    public static void main(final String[] args) throws IOException {
        final CommandLineOptions cmd;
        try {
            cmd = new CommandLineOptions(args);
        } catch (final CommandLineOptionException e) {
            System.err.println("Error parsing command line:");
            System.err.println(" " + e.getMessage());
            System.exit(1);
            return;
        }

        final Runner runner = new Runner(withJvmFlags(cmd, jvmFlags()));
        try {
            if (cmd.shouldHelp()) {
                cmd.showHelp();
            } else if (cmd.shouldList()) {
                runner.list();
            } else if (cmd.shouldListWithParams()) {
                runner.listWithParams(cmd);
            } else if (cmd.shouldListProfilers()) {
                cmd.listProfilers();
            } else if (cmd.shouldListResultFormats()) {
                cmd.listResultFormats();
            } else {
                runner.run();
            }
        } catch (final NoBenchmarksException e) {
            System.err.println("No matching benchmarks. Miss-spelled regexp?");
            if (cmd.verbosity().orElse(Defaults.VERBOSITY) != VerboseMode.EXTRA) {
                System.err.println("Use " + VerboseMode.EXTRA + " verbose mode to debug the pattern matching.");
            } else {
                runner.list();
            }
            System.exit(1);
        } catch (final ProfilersFailedException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                System.err.println(t.getMessage());
                for (final Throwable s : t.getSuppressed()) {
                    System.err.println(s.getMessage());
                }
            }
            System.exit(1);
        } catch (final RunnerException e) {
            System.err.print("ERROR: ");
            e.printStackTrace(System.err);
            System.exit(1);
        }
    }

    /**
     * @param cmd   the parsed command line
     * @param flags JVM flags every forked JVM gets
     * @return the command line's options, with {@code flags} before any {@code -jvmArgsAppend} it gave
     */
    static Options withJvmFlags(final Options cmd, final List<String> flags) {
        final List<String> append = new ArrayList<>(flags);
        if (cmd.getJvmArgsAppend().hasValue()) {
            append.addAll(cmd.getJvmArgsAppend().get());
        }
        return new OptionsBuilder()
            .parent(cmd)
            .jvmArgsAppend(append.toArray(new String[0]))
            .build();
    }

    /**
     * @return the flags in {@value #FLAGS_RESOURCE}
     * @throws IOException           if the resource cannot be read
     * @throws IllegalStateException if it is missing or was not filtered by the build
     */
    static List<String> jvmFlags() throws IOException {
        final String text;
        try (InputStream in = JmhMain.class.getResourceAsStream(FLAGS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + FLAGS_RESOURCE + " is missing from the classpath;"
                    + " build the benchmarks with Maven (mvn -pl jmh -am package)");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        if (text.contains("${")) {
            throw new IllegalStateException("resource " + FLAGS_RESOURCE + " was not filtered by the build ("
                + text + "); build the benchmarks with Maven (mvn -pl jmh -am package)");
        }
        return text.isEmpty() ? List.of() : Arrays.asList(text.split("\\s+"));
    }
}
