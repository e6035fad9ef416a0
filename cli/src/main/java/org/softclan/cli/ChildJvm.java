package org.softclan.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A {@code main} class run in a new JVM like this one: the same {@code java} (from {@code java.home}),
 * the same JVM arguments (the flags Chronicle needs, heap settings) with Chronicle's analytics and banner
 * off, and the same classpath (the {@code vmmc} jar when run by the launcher). Its standard output and
 * error, merged, are read line by line on a daemon thread and handed to a consumer.
 */
final class ChildJvm implements AutoCloseable {
    private static final String EOF = "\u0000EOF";

    private final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final PrintWriter stdin;
    private final Thread reader;

    private ChildJvm(final Process process, final Consumer<String> onLine, final boolean keepStdin) {
        this.process = process;
        if (keepStdin) {
            this.stdin = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
        } else {
            this.stdin = null;
            try {
                process.getOutputStream().close();
            } catch (final IOException e) {
                // nothing to close
            }
        }
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    onLine.accept(line);
                    lines.add(line);
                }
            } catch (final IOException e) {
                // the process went away
            } finally {
                lines.add(EOF);
            }
        }, "vmmc-child-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** @return the command line that runs {@code mainClass} with {@code args} in a JVM like this one */
    static List<String> command(final String mainClass, final List<String> args) {
        return command(mainClass, List.of(), args);
    }

    /**
     * @param jvmArgs JVM arguments added after this JVM's own (a later {@code -Xmx} wins)
     * @return the command line that runs {@code mainClass} with {@code args} in a JVM like this one
     */
    static List<String> command(final String mainClass, final List<String> jvmArgs, final List<String> args) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (final String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // a debugger agent would clash on its port
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) {
                cmd.add(a);
            }
        }
        cmd.add("-Dchronicle.analytics.disable=true");
        cmd.add("-Dchronicle.announcer.disable=true");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Starts {@code mainClass} in a new JVM.
     *
     * @param onLine called with each line it prints (standard output and error), on the reader thread
     */
    static ChildJvm start(final String mainClass, final List<String> args, final Consumer<String> onLine)
        throws IOException {
        final Process p = new ProcessBuilder(command(mainClass, args)).redirectErrorStream(true).start();
        return new ChildJvm(p, onLine, false);
    }

    /**
     * Starts {@code mainClass} in a new JVM with extra JVM arguments, its standard input kept open for
     * {@link #send}: when this JVM dies, the child reads the end of its input.
     *
     * @param onLine called with each line it prints (standard output and error), on the reader thread
     */
    static ChildJvm startWithInput(final String mainClass, final List<String> jvmArgs, final List<String> args,
                                   final Consumer<String> onLine) throws IOException {
        return startWithInput(List.of(), mainClass, jvmArgs, args, onLine);
    }

    /**
     * As {@link #startWithInput(String, List, List, Consumer)}, run through {@code launcher} (for
     * instance {@code unshare ...}), which must run the command it is given as its last arguments.
     */
    static ChildJvm startWithInput(final List<String> launcher, final String mainClass, final List<String> jvmArgs,
                                   final List<String> args, final Consumer<String> onLine) throws IOException {
        final List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(command(mainClass, jvmArgs, args));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return new ChildJvm(p, onLine, true);
    }

    /** The UDP port each host's agent listens on (on two namespaces; the loopback fallback adds 0 and 1). */
    static final int AGENT_PORT = 40_456;

    /**
     * Starts {@code mainClass} for a demo: in a JVM like this one ({@code pair} null), or as host {@code side}
     * (0: a, 1: b) of {@code pair}, in that host's namespace through {@link RunWithAgent} with that host's agent.
     *
     * @param onLine called with each line it prints, on the reader thread
     */
    static ChildJvm startOnHost(final org.softclan.net.HostPair pair, final int side, final String mainClass,
                                final List<String> args, final Consumer<String> onLine) throws IOException {
        if (pair == null) {
            return start(mainClass, args, onLine);
        }
        final String me = side == 0 ? "a" : "b";
        final String other = side == 0 ? "b" : "a";
        final List<String> all = new ArrayList<>(List.of("--fabric", pair.directory(side).toString(), "--host", me,
            "--listen", pair.address(side, AGENT_PORT), "--peer", other + "=" + pair.address(1 - side, AGENT_PORT), "--",
            mainClass));
        all.addAll(args);
        return startWithInput(pair.launcher(side), RunWithAgent.class.getName(), List.of(), all, onLine);
    }

    /** Sends a line to its standard input (if it was kept open); a process that has gone ignores it. */
    void send(final String line) {
        if (stdin != null) {
            stdin.println(line);
        }
    }

    /** @return the process's handle (to signal it) */
    ProcessHandle handle() {
        return process.toHandle();
    }

    /** @return the child's pid */
    long pid() {
        return process.pid();
    }

    /**
     * Waits for a line starting with {@code prefix}.
     *
     * @return the line, or {@code null} if the process ended first or the timeout passed
     */
    String awaitLine(final String prefix, final long timeout, final TimeUnit unit) throws InterruptedException {
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            final long left = deadline - System.nanoTime();
            final String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                return null;
            }
            if (EOF.equals(line)) {
                lines.add(EOF);
                return null;
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /**
     * Waits for the process to end and its output to be read.
     *
     * @return its exit code, or {@code null} if it is still running after the timeout
     */
    Integer waitFor(final long timeout, final TimeUnit unit) throws InterruptedException {
        if (!process.waitFor(timeout, unit)) {
            return null;
        }
        reader.join(TimeUnit.SECONDS.toMillis(5));
        return process.exitValue();
    }

    /**
     * Asks the process to stop (SIGTERM: its shutdown hooks run) and waits; kills it if it does not stop in
     * time.
     *
     * @return its exit code
     */
    int stop(final long timeout, final TimeUnit unit) throws InterruptedException {
        // Through the handle: Process.destroy() would also close our end of its output, losing its last lines.
        process.toHandle().destroy();
        final Integer exit = waitFor(timeout, unit);
        if (exit != null) {
            return exit;
        }
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(TimeUnit.SECONDS.toMillis(5));
        return process.exitValue();
    }

    /** @return whether the process is still running */
    boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the process if it is still running (SIGKILL). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
