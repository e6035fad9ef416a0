package org.softclan.net;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.softclan.dsm.testing.JvmProcess;

/**
 * Two test "hosts" ({@link HostPair}: two network namespaces joined by a veth pair, each host's JVM in its
 * namespace with its directory on a tmpfs of its own; two agents on 127.0.0.1 where namespaces cannot be
 * made, and {@link #describe()} says so: the tests print it, never a silent skip), with the JVMs started in
 * them. {@link #close()} kills those and deletes what was made.
 */
public final class TwoHosts implements AutoCloseable {
    private final HostPair hosts;
    private final List<JvmProcess> started = new ArrayList<>();

    /**
     * Makes the two hosts.
     *
     * @throws IOException if the directories cannot be made
     */
    public TwoHosts() throws IOException {
        this.hosts = new HostPair();
    }

    /** {@return what the two hosts are, for the test's output} */
    public String describe() {
        return hosts.describe();
    }

    /**
     * {@return the address host {@code i} (0 or 1) listens on, with {@code port}} (see {@link HostPair#address})
     *
     * @param i    the host, 0 or 1
     * @param port the port
     */
    public String address(final int i, final int port) {
        return hosts.address(i, port);
    }

    /**
     * Starts {@code main} as host {@code i}, its directory (a tmpfs only it sees) as the first argument.
     *
     * @param i    the host, 0 or 1
     * @param main the main class (on this JVM's class path)
     * @return the process
     * @throws IOException if it cannot be started
     */
    public JvmProcess start(final int i, final Class<?> main) throws IOException {
        final JvmProcess p = JvmProcess.startWrapped(hosts.launcher(i), main, List.of("-Xmx256m"),
            hosts.directory(i).toString());
        started.add(p);
        return p;
    }

    /** Kills the hosts' processes, deletes the namespaces and the directories. */
    @Override
    public void close() throws IOException {
        for (final JvmProcess p : started) {
            p.close();
        }
        hosts.close();
    }
}
