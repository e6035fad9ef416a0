package org.softclan.cli;

import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.softclan.net.NicAgent;

/**
 * Runs a program's {@code main} in a JVM that is a host's NIC agent: {@code --fabric DIR --host NAME --listen
 * ADDR:PORT --peer HOST=ADDR:PORT... [--link-timeout MS] -- MAIN_CLASS ARGS...}. The agent (with its duty
 * thread) attaches itself to the fabric's directory first, so the program's imports of {@code NAME@HOST},
 * connections to {@code SERVICE@HOST} and its listeners reach and serve the peer hosts with no change to
 * the program. Used by the demos across two hosts; the agent closes when {@code main} returns.
 */
public final class RunWithAgent {
    private RunWithAgent() {
    }

    /**
     * @param args the agent's options, {@code --}, the main class and its arguments
     * @throws Throwable whatever the program's {@code main} throws
     */
    public static void main(final String[] args) throws Throwable {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        final int dash = Arrays.asList(args).indexOf("--");
        if (dash < 0 || dash == args.length - 1) {
            throw new IllegalArgumentException("usage: --fabric DIR --host NAME --listen ADDR:PORT --peer HOST=ADDR:PORT"
                + " [--link-timeout MS] -- MAIN_CLASS ARGS...");
        }
        final NicAgent.Context ctx = new NicAgent.Context();
        final List<String> peers = new ArrayList<>();
        for (int i = 0; i < dash; i += 2) {
            if (i + 1 >= dash) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            final String v = args[i + 1];
            switch (args[i]) {
                case "--fabric" -> ctx.fabric(Path.of(v));
                case "--host" -> ctx.host(v);
                case "--listen" -> ctx.listen(v);
                case "--link-timeout" -> ctx.timeout(Long.parseLong(v), TimeUnit.MILLISECONDS);
                case "--peer" -> {
                    final int eq = v.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--peer " + v + ": give HOST=ADDR:PORT");
                    }
                    ctx.peer(v.substring(0, eq), v.substring(eq + 1));
                    peers.add(v);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        final Class<?> main = Class.forName(args[dash + 1]);
        final String[] rest = Arrays.copyOfRange(args, dash + 2, args.length);
        try (NicAgent agent = NicAgent.launch(ctx)) {
            System.out.println("agent of host '" + agent.host() + "' on " + agent.fabric().root() + ", peers " + peers);
            try {
                main.getMethod("main", String[].class).invoke(null, (Object) rest);
            } catch (final InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
