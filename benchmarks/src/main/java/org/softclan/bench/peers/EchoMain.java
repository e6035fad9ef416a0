package org.softclan.bench.peers;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The echo JVM of every transport, started by {@link PingPongRunner}:
 * {@code EchoMain TRANSPORT SIZE [KEY=VALUE ...]}, the parameters being what the client's
 * {@link PeerTransport.Client#prepare()} returned.
 *
 * <p>Protocol on standard output (one line each): {@code ready [KEY=VALUE ...]} once the echo side is
 * open (its parameters for the client), then {@code done N} with the number of requests echoed, or
 * {@code error MESSAGE}. It stops when {@code stop} arrives on standard input, or standard input ends
 * (the parent is gone). Diagnostics go to standard error.
 */
public final class EchoMain {
    private EchoMain() {
    }

    /** @param args {@code TRANSPORT SIZE [KEY=VALUE ...]} */
    public static void main(final String[] args) {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        final PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
            StandardCharsets.UTF_8);
        System.exit(run(args, out));
    }

    private static int run(final String[] args, final PrintStream out) {
        if (args.length < 2) {
            out.println("error usage: EchoMain TRANSPORT SIZE [KEY=VALUE ...]");
            return 2;
        }
        final Map<String, String> params = parse(args, 2);
        final StopSignal stop = new StopSignal();
        try (PeerTransport.Echo echo = Transports.byName(args[0]).echo(Payload.checkSize(Integer.parseInt(args[1])))) {
            final Map<String, String> mine = echo.open(params);
            out.println("ready" + format(mine));
            stop.start();
            final long n = echo.run(stop::stopped);
            out.println("done " + n);
            return 0;
        } catch (final Exception | Error e) {
            e.printStackTrace();
            out.println("error " + String.valueOf(e).replace('\n', ' '));
            return 1;
        }
    }

    /** @return {@code KEY=VALUE} arguments from {@code from} on, in order */
    static Map<String, String> parse(final String[] args, final int from) {
        final Map<String, String> m = new LinkedHashMap<>();
        for (int i = from; i < args.length; i++) {
            final int eq = args[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected KEY=VALUE, got '" + args[i] + "'");
            }
            m.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        return m;
    }

    /** @return the parameters as {@code " KEY=VALUE ..."} (empty if none) */
    static String format(final Map<String, String> params) {
        final StringBuilder sb = new StringBuilder();
        for (final Map.Entry<String, String> e : params.entrySet()) {
            sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    /** Set when {@code stop} or the end of standard input arrives. */
    static final class StopSignal {
        private volatile boolean stopped;

        boolean stopped() {
            return stopped;
        }

        void start() {
            final Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null && !"stop".equals(line.trim())) {
                        System.err.println("echo: ignoring '" + line + "'");
                    }
                } catch (final java.io.IOException e) {
                    // the parent is gone: stop
                } finally {
                    stopped = true;
                }
            }, "echo-stop");
            t.setDaemon(true);
            t.start();
        }
    }
}
