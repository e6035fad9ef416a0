package org.softclan.bench.peers;

import java.nio.file.Paths;
import java.util.Map;

/**
 * The child JVM of every measurement, started by a {@link PeerProcess}: the echo side of a round trip
 * and the sending side of a one-way stream. It runs the commands the measuring JVM writes to its standard
 * input, one line each, and answers on its standard output (diagnostics go to standard error), through the
 * one command loop of the child JVMs ({@link PeerProcess#serveCommands}):
 *
 * <ul>
 *   <li>at start it says {@code ready};</li>
 *   <li>{@code echo TRANSPORT SIZE [KEY=VALUE ...]}: opens the transport's {@link PeerTransport.Echo} with
 *       the client's parameters, says {@code open [KEY=VALUE ...]} (its own), echoes until {@code stop}
 *       (or {@code exit}) arrives or the client goes, closes it and answers {@code OK N} with the number
 *       of requests checked and echoed;</li>
 *   <li>{@code send KEY=VALUE ...}: the settings of a {@link Config}, {@code slots}, {@link Rig#FABRIC} and
 *       what the receiver named; opens the transport's {@link PeerTransport.Sender}, sends
 *       ({@link ThroughputBench#send}), ends the stream and says {@code sent bytes=N messages=M crc=C};
 *       then waits for {@code done}, closes its end and answers {@code OK};</li>
 *   <li>{@code clock}: answers {@code OK <System.nanoTime()>};</li>
 *   <li>{@code exit}, or the end of standard input: exits.</li>
 * </ul>
 *
 * A command that fails answers {@code error MESSAGE}; the JVM exits with status 1 if an echo failed. It halts
 * when its parent process exits.
 */
public final class PeerMain {
    private static Rig rig;
    private static boolean echoFailed;

    private PeerMain() {
    }

    /** @param args none */
    public static void main(final String[] args) {
        try {
            PeerProcess.serveCommands(c -> switch (c[0]) {
                case "clock" -> Long.toString(System.nanoTime());
                case "echo" -> echo(c);
                case "send" -> send(PeerProcess.pairs(String.join(" ", c)));
                default -> throw new IllegalArgumentException("unknown command '" + String.join(" ", c)
                    + "'; the commands are echo, send, clock, exit");
            });
        } finally {
            if (rig != null) {
                rig.close();
            }
        }
        System.exit(echoFailed ? 1 : 0);
    }

    private static String echo(final String[] args) throws Exception {
        try {
            final long echoed;
            try (PeerTransport.Echo echo = Transports.byName(args[1]).echo(Payload.checkSize(Integer.parseInt(args[2])))) {
                PeerProcess.say("open" + PeerProcess.tokens(echo.open(PeerProcess.pairs(String.join(" ", args)))));
                echoed = echo.run(PeerProcess::stopRequested);
            }
            // answered once the echo side is closed, so the client may remove what it attached to
            return Long.toString(echoed);
        } catch (final Exception | Error e) {
            e.printStackTrace();
            echoFailed = true;
            throw e;
        }
    }

    private static String send(final Map<String, String> pairs) throws Exception {
        if (rig == null) {
            rig = Rig.attach(Paths.get(pairs.get(Rig.FABRIC)));
        }
        final Config c = Config.fromMap(pairs);
        final int slots = Integer.parseInt(pairs.get("slots"));
        final PeerTransport.Sender end = c.transport().sender(c, rig, pairs, slots);
        final String done;
        try {
            final long[] sent = ThroughputBench.send(end, c, slots);
            PeerProcess.say("sent bytes=" + sent[0] + " messages=" + sent[1] + " crc=" + sent[2]);
            done = PeerProcess.nextCommand();
        } finally {
            end.close();
        }
        if (!"done".equals(done)) {
            throw new IllegalStateException("expected 'done', got '" + done + "'");
        }
        return "";
    }
}
