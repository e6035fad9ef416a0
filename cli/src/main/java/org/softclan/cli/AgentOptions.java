package org.softclan.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.softclan.net.NicAgent;

import picocli.CommandLine.Option;

/**
 * The options that make this process a host's NIC agent ({@code --host}, {@code --listen}, {@code --peer},
 * {@code --link-timeout}): required by {@code vmmc agent}, and by {@code vmmc write} and {@code vmmc read}
 * of a region of another host ({@code NAME@HOST}), which run an agent for as long as they take.
 */
public final class AgentOptions {
    @Option(names = "--host", paramLabel = "NAME", order = 20,
        description = "This host's name, as its peers know it (1 to 100 of A-Z a-z 0-9 . _ -).")
    String host;

    @Option(names = "--listen", paramLabel = "ADDR:PORT", order = 21,
        description = "The UDP address this host's agent receives on (Aeron), e.g. 10.0.0.1:40456.")
    String listen;

    @Option(names = "--peer", paramLabel = "NAME=ADDR:PORT", order = 22,
        description = "A peer host and the address its agent listens on; repeat for each. Each peer's agent must"
            + " list this host too.")
    List<String> peers = new ArrayList<>();

    @Option(names = "--link-timeout", paramLabel = "MS", order = 23, defaultValue = "5000",
        description = "How long a transfer may wait for the link, and how long a silent peer counts as alive,"
            + " in ms. Default: ${DEFAULT-VALUE}.")
    long timeoutMillis;

    /** {@return whether any of the options was given} */
    boolean given() {
        return host != null || listen != null || !peers.isEmpty();
    }

    /**
     * For a command on one region: launches this process's agent if {@code region} is of another host
     * ({@code NAME@HOST}), and refuses the agent's options for a region of this host.
     *
     * @param root   the fabric's directory
     * @param region the region's name as given
     * @param verb   what the command does with it, for messages ("a read")
     * @return the running agent (close it), or {@code null} for a region of this host
     * @throws CliException if the options do not fit the region
     */
    NicAgent launchFor(final Path root, final String region, final String verb) {
        if (region.indexOf('@') < 0) {
            if (given()) {
                throw new CliException("--host, --listen and --peer are for a region of another host (NAME@HOST), not '"
                    + region + "'");
            }
            return null;
        }
        // this process is its host's agent while the command runs: the agent attaches to the fabric's directory,
        // and the command's import of NAME@HOST goes through it
        return launch(root, verb + " of region '" + region + "'");
    }

    /**
     * Launches this process's agent on the fabric at {@code root}.
     *
     * @param why what needs it, for the message if an option is missing
     * @return the running agent (close it)
     * @throws CliException if {@code --host}, {@code --listen} or a {@code --peer} is missing or malformed
     */
    NicAgent launch(final Path root, final String why) {
        if (host == null || listen == null || peers.isEmpty()) {
            throw new CliException(why + " needs this process to be a host's NIC agent: give --host NAME, --listen"
                + " ADDR:PORT and --peer HOST=ADDR:PORT (and the peer's agent must list this host as a peer)");
        }
        final NicAgent.Context ctx = new NicAgent.Context().fabric(root).host(host).listen(listen)
            .timeout(timeoutMillis, TimeUnit.MILLISECONDS);
        for (final String p : peers) {
            final int eq = p.indexOf('=');
            if (eq <= 0 || eq == p.length() - 1) {
                throw new CliException("--peer '" + p + "': give NAME=ADDR:PORT, e.g. b=10.0.0.2:40456");
            }
            ctx.peer(p.substring(0, eq), p.substring(eq + 1));
        }
        try {
            return NicAgent.launch(ctx);
        } catch (final IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }
}
