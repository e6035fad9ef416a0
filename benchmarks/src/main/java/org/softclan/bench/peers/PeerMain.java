package org.softclan.bench.peers;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;


/**
 * The child JVM of every measurement, started by a {@link PeerProcess}: the echo side of a round trip
 * and the sending side of a one-way stream. It runs the commands the measuring JVM writes to its standard
 * input, one line each, and answers on its standard output (diagnostics go to standard error):
 *
 * <ul>
 *   <li>at start it says {@code ready};</li>
 *   <li>{@code echo TRANSPORT SIZE [KEY=VALUE ...]}: opens the transport's {@link PeerTransport.Echo} with
 *       the client's parameters, answers {@code open [KEY=VALUE ...]} (its own), echoes until {@code stop}
 *       (or {@code exit}) arrives or the client goes, closes it and answers {@code done N} with the number
 *       of requests checked and echoed;</li>
 *   <li>{@code send KEY=VALUE ...}: the settings of a {@link Config}, {@code slots}, {@link Rig#FABRIC} and
 *       what the receiver named; opens the transport's {@link PeerTransport.Sender}, sends
 *       ({@link ThroughputBench#send}), ends the stream and answers {@code sent bytes=N messages=M crc=C};
 *       then waits for {@code done}, closes its end and answers {@code closed};</li>
 *   <li>{@code clock}: answers {@code clock <System.nanoTime()>};</li>
 *   <li>{@code exit}, or the end of standard input: exits.</li>
 * </ul>
 *
 * A command that fails answers {@code error MESSAGE}. The JVM halts when its parent process exits.
 */
public final class PeerMain {
    private final BlockingQueue<String> commands = new LinkedBlockingQueue<>();
    private final PrintStream out;
    private Rig rig;

    private PeerMain(final PrintStream out) {
        this.out = out;
    }

    /** @param args none */
    public static void main(final String[] args) {
        PeerProcess.quietLibraries();
        ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
        final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        // libraries that print to System.out must not mix with the answers
        System.setOut(System.err);
        final PeerMain main = new PeerMain(out);
        PeerProcess.readLines(System.in, main.commands, String::trim, "peer-commands");
        System.exit(main.serve());
    }

    private String nextCommand() {
        try {
            final String line = commands.take();
            if (PeerProcess.EOF.equals(line)) {
                commands.add(PeerProcess.EOF);
            }
            return line;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return PeerProcess.EOF;
        }
    }

    /** @return whether {@code stop} (taken), {@code exit} or the end of input (both left) is next */
    private boolean stopRequested() {
        final String head = commands.peek();
        if ("stop".equals(head)) {
            commands.poll();
            return true;
        }
        return PeerProcess.EOF.equals(head) || "exit".equals(head);
    }

    private int serve() {
        out.println("ready");
        int status = 0;
        try {
            String line;
            while (!PeerProcess.EOF.equals(line = nextCommand()) && !"exit".equals(line)) {
                if ("clock".equals(line)) {
                    out.println("clock " + System.nanoTime());
                } else if (line.startsWith("echo ")) {
                    status |= echo(line.substring(5).trim().split(" ", 3));
                } else if (line.startsWith("send ")) {
                    send(PeerProcess.pairs(line.substring(5)));
                } else {
                    out.println("error unknown command '" + line + "'; the commands are echo, send, clock, exit");
                }
            }
        } finally {
            if (rig != null) {
                rig.close();
            }
        }
        return status;
    }

    private int echo(final String[] args) {
        try {
            final long echoed;
            try (PeerTransport.Echo echo = Transports.byName(args[0]).echo(Payload.checkSize(Integer.parseInt(args[1])))) {
                out.println("open" + PeerProcess.tokens(echo.open(args.length > 2 ? PeerProcess.pairs(args[2]) : Map.of())));
                echoed = echo.run(this::stopRequested);
            }
            // said once the echo side is closed, so the client may remove what it attached to
            out.println("done " + echoed);
            return 0;
        } catch (final Exception | Error e) {
            e.printStackTrace();
            out.println("error " + oneLine(e));
            return 1;
        }
    }

    private void send(final Map<String, String> pairs) {
        PeerTransport.Sender end = null;
        try {
            if (rig == null) {
                rig = Rig.attach(Paths.get(pairs.get(Rig.FABRIC)));
            }
            final Config c = Config.fromMap(pairs);
            final int slots = Integer.parseInt(pairs.get("slots"));
            end = c.transport().sender(c, rig, pairs, slots);
            final long[] sent = ThroughputBench.send(end, c, slots);
            out.println("sent bytes=" + sent[0] + " messages=" + sent[1] + " crc=" + sent[2]);
        } catch (final Exception | Error e) {
            if (end != null) {
                end.close();
            }
            out.println("error " + oneLine(e));
            return;
        }
        final String done = nextCommand();
        end.close();
        out.println("closed");
        if (!"done".equals(done)) {
            out.println("error expected 'done', got '" + done + "'");
        }
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
}
