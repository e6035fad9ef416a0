package org.softclan.dsm.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A separate JVM started from a test, with the test's classpath and the JVM flags the build sets for
 * Chronicle, running a class's {@code main}. Its standard output is read line by line on a daemon
 * thread; tests wait for lines with a timeout ({@link #expectLine}) and talk to it on its standard
 * input ({@link #send}). Closing kills it if it is still running.
 */
public final class JvmProcess implements AutoCloseable {
    private static final String EOF = "\u0000EOF";

    private final Process process;
    private final String name;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuffer transcript = new StringBuffer();
    private final PrintWriter stdin;
    private final Thread reader;

    private JvmProcess(final String name, final Process process) {
        this.name = name;
        this.process = process;
        this.stdin = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    transcript.append(line).append('\n');
                    lines.add(line);
                }
            } catch (final IOException e) {
                transcript.append("[reader failed: ").append(e).append("]\n");
            } finally {
                lines.add(EOF);
            }
        }, "jvm-process-reader-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** @return the path of the {@code java} launcher running this JVM */
    public static Path javaExecutable() {
        return Paths.get(System.getProperty("java.home"), "bin", "java");
    }

    /** @return the JVM flags the build passes to test JVMs (Chronicle's opens/exports, analytics off) */
    public static List<String> jvmFlags() {
        final String flags = System.getProperty("softclan.test.jvmFlags", "").trim();
        final List<String> out = new ArrayList<>();
        if (!flags.isEmpty()) {
            out.addAll(Arrays.asList(flags.split("\\s+")));
        }
        out.add("-Dchronicle.analytics.disable=true");
        out.add("-Dchronicle.announcer.disable=true");
        return out;
    }

    /**
     * Starts {@code mainClass} with {@code args} in a new JVM (stderr merged into stdout).
     *
     * @param extraJvmArgs further JVM arguments, e.g. {@code -Xmx256m}
     */
    public static JvmProcess start(final Class<?> mainClass, final List<String> extraJvmArgs, final String... args)
        throws IOException {
        return startWrapped(List.of(), mainClass, extraJvmArgs, args);
    }

    /**
     * Starts {@code mainClass} like {@link #start(Class, List, String...)}, but through a launcher
     * command that runs the {@code java} command line it is given, e.g.
     * {@code unshare --pid --fork --mount-proc}. {@link #pid()} is then the launcher's pid.
     *
     * @param launcher the launcher's command and options, put before {@code java}
     */
    public static JvmProcess startWrapped(final List<String> launcher, final Class<?> mainClass,
                                          final List<String> extraJvmArgs, final String... args) throws IOException {
        return launch(launcher, jvmFlags(), mainClass, extraJvmArgs, args);
    }

    /**
     * Starts {@code mainClass} like {@link #start(Class, List, String...)}, but <em>without</em> the
     * build's {@code --add-opens}/{@code --add-exports} flags (only Chronicle's analytics and announcer
     * are switched off), as a program that depends on the artifacts but did not copy the flags runs.
     */
    public static JvmProcess startWithoutJvmFlags(final Class<?> mainClass, final List<String> extraJvmArgs,
                                                  final String... args) throws IOException {
        return launch(List.of(), List.of("-Dchronicle.analytics.disable=true", "-Dchronicle.announcer.disable=true"),
            mainClass, extraJvmArgs, args);
    }

    private static JvmProcess launch(final List<String> launcher, final List<String> flags, final Class<?> mainClass,
                                     final List<String> extraJvmArgs, final String... args) throws IOException {
        final List<String> cmd = new ArrayList<>(launcher);
        cmd.add(javaExecutable().toString());
        cmd.addAll(flags);
        cmd.addAll(extraJvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(Arrays.asList(args));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return new JvmProcess(mainClass.getSimpleName(), p);
    }

    /** Starts {@code mainClass} with {@code args} and a 256 MiB heap. */
    public static JvmProcess start(final Class<?> mainClass, final String... args) throws IOException {
        return start(mainClass, List.of("-Xmx256m"), args);
    }

    /** @return the child's pid */
    public long pid() {
        return process.pid();
    }

    /** @return the child process (for a wrapped start: the launcher) */
    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** Sends one line to the child's standard input. */
    public void send(final String line) {
        stdin.println(line);
    }

    /**
     * Waits for the next line of output that starts with {@code prefix}, skipping others.
     *
     * @return the whole line
     * @throws AssertionError with the transcript if it does not come within the timeout or the
     *                        process ends first
     */
    public String expectLine(final String prefix, final long timeout, final TimeUnit unit) throws InterruptedException {
        return expectLinesInAnyOrder(timeout, unit, prefix).get(0);
    }

    /**
     * Waits for lines starting with each of {@code prefixes}, in whatever order they come (output that two
     * processes write to one stream interleaves), skipping others.
     *
     * @return for each prefix, in the order given, the first whole line that started with it
     * @throws AssertionError with the transcript if they do not all come within the timeout or the process
     *                        ends first
     */
    public List<String> expectLinesInAnyOrder(final long timeout, final TimeUnit unit, final String... prefixes)
        throws InterruptedException {
        final String[] found = new String[prefixes.length];
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (int missing = prefixes.length; missing > 0; ) {
            final long left = deadline - System.nanoTime();
            final String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError(name + ": no line starting with '" + prefixes[firstNull(found)] + "' within "
                    + timeout + " " + unit + "; output so far:\n" + transcript);
            }
            if (EOF.equals(line)) {
                lines.add(EOF);
                throw new AssertionError(name + " ended (exit " + exitValueOrNone() + ") before printing a line"
                    + " starting with '" + prefixes[firstNull(found)] + "'; output:\n" + transcript);
            }
            for (int i = 0; i < prefixes.length; i++) {
                if (found[i] == null && line.startsWith(prefixes[i])) {
                    found[i] = line;
                    missing--;
                    break;
                }
            }
        }
        return List.of(found);
    }

    private static int firstNull(final String[] found) {
        int i = 0;
        while (found[i] != null) {
            i++;
        }
        return i;
    }

    /**
     * Waits for the process to exit and for all its output to be read, so {@link #transcript()} is
     * complete on return.
     *
     * @return its exit code
     * @throws AssertionError with the transcript if it does not exit within the timeout
     */
    public int waitFor(final long timeout, final TimeUnit unit) throws InterruptedException {
        if (!process.waitFor(timeout, unit)) {
            throw new AssertionError(name + " did not exit within " + timeout + " " + unit + "; output:\n"
                + transcript);
        }
        reader.join(unit.toMillis(timeout));
        return process.exitValue();
    }

    /** @return everything the process printed so far */
    public String transcript() {
        return transcript.toString();
    }

    /** Kills the process at once (SIGKILL) and waits for it to go. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String exitValueOrNone() {
        return process.isAlive() ? "none, still running" : Integer.toString(process.exitValue());
    }

    @Override
    public void close() {
        stdin.close();
        if (process.isAlive()) {
            kill();
        }
    }
}
