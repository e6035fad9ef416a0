package org.softclan.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.softclan.net.NicAgent;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code vmmc agent}: runs this host's NIC agent until Ctrl-C (or for {@code --seconds}): it serves the
 * fabric's regions to the peer hosts (their writes land here and fire this host's tripwires).
 */
@Command(name = "agent", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Run this host's NIC agent: serve the fabric's regions to peer hosts over Aeron UDP until Ctrl-C.",
        "Peer hosts import a region as NAME@HOST; their stores are applied here through the NIC's own write path,"
            + " so this host's tripwires fire as for a local writer. Event queues are never served; connection"
            + " rings and listen regions are, so connections, RPC and streams cross hosts.",
        "Prints one line starting with 'ready:' once it runs, and its counters every --stats seconds."
    })
public final class AgentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Mixin
    AgentOptions agent;

    @Option(names = "--stats", paramLabel = "SECONDS", order = 30,
        description = "Print the agent's counters every SECONDS (and once when it stops).")
    Long stats;

    @Option(names = "--seconds", paramLabel = "N", order = 31,
        description = "Stop after N seconds instead of waiting for Ctrl-C.")
    Long seconds;

    @Override
    public Integer call() throws InterruptedException {
        if (seconds != null && seconds < 0 || stats != null && stats <= 0) {
            throw new ParameterException(spec.commandLine(), "--seconds must not be negative and --stats must be"
                + " positive");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final CountDownLatch stop = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "vmmc-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (NicAgent a = agent.launch(fabric.root(), "vmmc agent")) {
            out.println("ready: agent of host '" + a.host() + "' serving fabric " + a.fabric().root() + ", listening on "
                + agent.listen + ", peers " + agent.peers + "; "
                + (seconds == null ? "until Ctrl-C" : "for " + seconds + " s (or until Ctrl-C)"));
            out.flush();
            final long end = seconds == null ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (true) {
                final long left = end - System.nanoTime();
                final long slice = stats == null ? left : Math.min(left, TimeUnit.SECONDS.toNanos(stats));
                if (left <= 0 || stop.await(slice, TimeUnit.NANOSECONDS)) {
                    break;
                }
                if (stats != null) {
                    out.println("counters: " + line(a.counters()));
                    out.flush();
                }
                if (!a.isAlive()) {
                    out.println("the agent stopped (its Aeron client or driver failed): " + line(a.counters()));
                    return 1;
                }
            }
            out.println("stopped: " + line(a.counters()));
            out.flush();
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // the hook is what woke us: the JVM exits once it returns
            }
        }
        return 0;
    }

    static String line(final Map<String, Object> counters) {
        final StringBuilder s = new StringBuilder();
        counters.forEach((k, v) -> s.append(s.length() == 0 ? "" : " ").append(k).append('=').append(v));
        return s.toString();
    }
}
