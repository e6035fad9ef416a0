package org.softclan.bench.peers;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The child JVM of a measurement ({@link PeerMain}, started with this JVM's {@code java}, class path and
 * input arguments) and the line protocol on its standard input and output. Lines the child prints that
 * no one waits for go to this JVM's standard error; an {@code error ...} line fails the wait for any
 * other answer and makes {@link #check()} throw.
 *
 * <p>Ownership: the caller owns the process; {@link #close()} asks it to exit and kills it if it does
 * not within 10 s, {@link #kill()} kills it at once.
 */
public final class PeerProcess implements AutoCloseable {
    /** How long to wait for an answer of the child. */
    static final long ANSWER_SECONDS = 60;
    /** What a queue of lines ({@link #readLines}) holds once the stream has ended. */
    static final String EOF = "\u0000eof";

    private final String role;
    private final Process process;
    private final PrintWriter toChild;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private volatile String failure;

    private PeerProcess(final String role, final Process process) {
        this.role = role;
        this.process = process;
        this.toChild = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        readLines(process.getInputStream(), lines, line -> {
            if (line.startsWith("error")) {
                failure = line;
            }
            return line;
        }, "peer-output");
    }

    /**
     * Starts a daemon thread ({@code name}) that adds each line of {@code in}, as {@code each} returns it, to
     * {@code lines}, and {@link #EOF} once the stream ends (the other process is gone).
     */
    static void readLines(final InputStream in, final BlockingQueue<String> lines, final UnaryOperator<String> each,
                          final String name) {
        final Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(each.apply(line));
                }
            } catch (final IOException e) {
                // the other side is gone
            } finally {
                lines.add(EOF);
            }
        }, name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts a child JVM and waits for its {@code ready}.
     *
     * @param role what the child is, for messages (e.g. "tcp echo", "sending")
     * @return the child, ready for commands
     * @throws IOException if it cannot be started or does not say ready
     */
    public static PeerProcess start(final String role) throws IOException {
        return start(role, List.of(), PeerMain.class, List.of());
    }

    /**
     * Starts a child JVM running {@code mainClass} through {@code launcher} (a command prefix: for instance
     * {@code ip netns exec NS ...}, which runs the command given as its last arguments) and waits for its
     * {@code ready}.
     *
     * @param role      what the child is, for messages
     * @param launcher  the command prefix (empty: none)
     * @param mainClass the child's main class
     * @param args      its arguments
     * @return the child, ready for commands
     * @throws IOException if it cannot be started or does not say ready
     */
    public static PeerProcess start(final String role, final List<String> launcher, final Class<?> mainClass,
                                    final List<String> args) throws IOException {
        final List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(javaCommand(mainClass, List.of(), args));
        final Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final PeerProcess child = new PeerProcess(role, p);
        try {
            child.expect("ready");
        } catch (final IOException | RuntimeException e) {
            child.kill();
            throw e;
        }
        return child;
    }

    /** What a child's command does: the answer after {@code OK}, or an exception (answered {@code error ...}). */
    @FunctionalInterface
    public interface Command {
        /**
         * @param words the command line, split at spaces
         * @return the answer's text after {@code OK} (may be empty)
         * @throws Exception for an answer {@code error} with the exception's text
         */
        String run(String[] words) throws Exception;
    }

    /** The child's command lines not yet taken ({@link #serveCommands}), {@link #EOF} last once input ended. */
    private static final BlockingQueue<String> COMMANDS = new LinkedBlockingQueue<>();
    /** The child's answers: its real standard output ({@link System#out} is standard error in the child). */
    private static PrintStream answers = System.out;

    /**
     * The child's side of the line protocol, the one command loop of every child JVM: says {@code ready}, then
     * answers each command line on standard input with one line, {@code OK TEXT} or {@code error EXCEPTION},
     * until {@code exit} or the end of input. A command may {@linkplain #say say} lines before its answer and
     * {@linkplain #nextCommand take} the lines that follow its own. Libraries that print to {@link System#out}
     * print to standard error instead, apart from the answers; the JVM halts at once if the parent process dies.
     *
     * @param commands runs one command
     */
    public static void serveCommands(final Command commands) {
        quietLibraries();
        ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
        answers = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        readLines(System.in, COMMANDS, String::trim, "peer-commands");
        say("ready");
        String line;
        while (!EOF.equals(line = nextCommand()) && !"exit".equals(line)) {
            try {
                final String text = commands.run(line.split(" "));
                say(text.isEmpty() ? "OK" : "OK " + text);
            } catch (final Exception | Error e) {
                say("error " + oneLine(e));
            }
        }
    }

    /**
     * Child side: writes one line to the parent (any thread may).
     *
     * @param line the line, without a line break
     */
    public static void say(final String line) {
        answers.println(line.replace('\n', ' ').replace('\r', ' '));
    }

    /**
     * Child side: takes the next command line, waiting for it.
     *
     * @return the line, trimmed, or {@link #EOF} (left for the loop) once the input ended
     */
    static String nextCommand() {
        try {
            final String line = COMMANDS.take();
            if (EOF.equals(line)) {
                COMMANDS.add(EOF);
            }
            return line;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return EOF;
        }
    }

    /**
     * Child side: whether the parent asked a running command to stop.
     *
     * @return whether {@code stop} (taken), {@code exit} or the end of input (both left for the loop) is next
     */
    public static boolean stopRequested() {
        final String head = COMMANDS.peek();
        if ("stop".equals(head)) {
            COMMANDS.poll();
            return true;
        }
        return EOF.equals(head) || "exit".equals(head);
    }

    /**
     * @param e a failure
     * @return it and its causes on one line
     */
    public static String oneLine(final Throwable e) {
        final StringBuilder b = new StringBuilder(e.toString());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            b.append(" <- ").append(c);
        }
        return b.toString().replace('\n', ' ').replace('\r', ' ');
    }

    /**
     * Keeps the libraries' notices off the output: Chronicle's analytics and announcer, and SLF4J's own
     * notice that no logging backend is bound (optional logging of the libraries).
     */
    public static void quietLibraries() {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        System.setProperty("slf4j.internal.verbosity", "ERROR");
    }

    /**
     * @param mainClass the class to run
     * @param jvmArgs   JVM arguments added to this JVM's
     * @param args      its arguments
     * @return the command line of a JVM like this one (its debugger and flight recorder options left out), with {@code jvmArgs},
     *         running {@code mainClass}
     */
    public static List<String> javaCommand(final Class<?> mainClass, final List<String> jvmArgs, final List<String> args) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (final String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // not the debugger's options, nor a flight recording (the children would write over the parent's file)
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp") && !a.startsWith("-XX:StartFlightRecording")) {
                cmd.add(a);
            }
        }
        cmd.add("-Dchronicle.analytics.disable=true");
        cmd.add("-Dchronicle.announcer.disable=true");
        cmd.add("-Dslf4j.internal.verbosity=ERROR");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        return cmd;
    }

    /**
     * @param text {@code KEY=VALUE} tokens separated by spaces (others are skipped)
     * @return the pairs, in order
     */
    public static Map<String, String> pairs(final String text) {
        final Map<String, String> m = new LinkedHashMap<>();
        for (final String token : text.trim().split("\\s+")) {
            final int eq = token.indexOf('=');
            if (eq > 0) {
                m.put(token.substring(0, eq), token.substring(eq + 1));
            }
        }
        return m;
    }

    /**
     * @param pairs keys and values without spaces or '='
     * @return {@code " KEY=VALUE ..."}, empty if there are none
     */
    public static String tokens(final Map<String, String> pairs) {
        final StringBuilder b = new StringBuilder();
        for (final Map.Entry<String, String> e : pairs.entrySet()) {
            b.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        return b.toString();
    }

    /** Sends one command line. */
    public void send(final String line) {
        toChild.println(line);
    }

    /**
     * @param prefix how the answer starts
     * @return the next line starting with {@code prefix}
     * @throws IOException if the child reports an error, exits or does not answer within {@value #ANSWER_SECONDS} s
     */
    public String expect(final String prefix) throws IOException {
        final String line = next(prefix);
        if (!line.startsWith(prefix)) {
            throw new IOException("the " + role + " JVM failed: " + line.substring(Math.min(6, line.length())));
        }
        return line;
    }

    /**
     * @param prefix how the answer starts
     * @return the next line starting with {@code prefix} or {@code error}; clears the failure {@link #check()} sees
     * @throws IOException if the child exits or does not answer within {@value #ANSWER_SECONDS} s
     */
    public String answer(final String prefix) throws IOException {
        final String line = next(prefix);
        failure = null;
        return line;
    }

    private String next(final String prefix) throws IOException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ANSWER_SECONDS);
        while (true) {
            final String line;
            try {
                line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for the " + role + " JVM");
            }
            if (line == null) {
                throw new IOException("the " + role + " JVM did not say '" + prefix + "' within " + ANSWER_SECONDS
                    + " s");
            }
            if (EOF.equals(line)) {
                lines.add(EOF);
                throw new IOException("the " + role + " JVM exited" + exitStatus() + " before saying '" + prefix + "'");
            }
            if (line.startsWith(prefix) || line.startsWith("error")) {
                return line;
            }
            System.err.println("[" + role + "] " + line);
        }
    }

    /**
     * Throws if the child died or reported an error (spinning ends call it now and then).
     *
     * @throws IOException naming what happened
     */
    public void check() throws IOException {
        final String f = failure;
        if (f != null) {
            throw new IOException("the " + role + " JVM failed: " + f.substring(Math.min(6, f.length())));
        }
        if (!process.isAlive()) {
            throw new IOException("the " + role + " JVM exited with status " + process.exitValue());
        }
    }

    private String exitStatus() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? " with status " + process.exitValue() : "";
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /**
     * Asks the child to exit and waits for it.
     *
     * @throws IOException if it does not exit within 30 s, or exits with a status other than 0
     */
    public void exit() throws IOException {
        send("exit");
        toChild.close();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IOException("the " + role + " JVM did not exit within 30 s of being asked");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for the " + role + " JVM to exit");
        }
        if (process.exitValue() != 0) {
            throw new IOException("the " + role + " JVM exited with status " + process.exitValue());
        }
    }

    /** Kills the child if it is still running, and waits for it to go. */
    public void kill() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        toChild.close();
    }

    /** Asks the child to exit, killing it if it does not; never throws. */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                exit();
            } catch (final IOException e) {
                System.err.println(e.getMessage());
            }
        }
        kill();
    }
}
