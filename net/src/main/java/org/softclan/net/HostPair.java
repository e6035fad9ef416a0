package org.softclan.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Two "hosts" on this machine, for demos and tests across hosts. As root with {@code ip}: two network
 * namespaces joined by a veth pair (addresses 10.213.N.1 and 10.213.N.2, a private range used only inside
 * them, jumbo frames: an MTU of {@value #VETH_MTU}); a program started with {@link #launcher(int)} runs in host i's namespace and in a mount namespace of
 * its own where host i's directory ({@link #directory(int)}) is a fresh tmpfs, so neither host can see a
 * file of the other. Otherwise (not root, no {@code ip}, or namespaces refused): no launcher prefix, two
 * directories and two agents on 127.0.0.1 (host 1's port one more), and {@link #describe()} says so.
 * {@link #close()} deletes the namespaces and the directories.
 */
public final class HostPair implements AutoCloseable {
    /** The veth pair's MTU, bytes: jumbo frames, as a cluster interconnect's network has. */
    public static final int VETH_MTU = 9000;

    private final boolean namespaces;
    private final String tag;
    private final Path dir;
    private final String[] addresses = new String[2];
    private final String why;

    /**
     * Makes the two hosts (see the class comment).
     *
     * @throws IOException if the directories cannot be made
     */
    public HostPair() throws IOException {
        this.tag = "sc" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFL, 36);
        this.dir = Files.createTempDirectory("softclan-hosts-");
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        String reason = null;
        boolean made = false;
        if (!"root".equals(System.getProperty("user.name"))) {
            reason = "not root";
        } else if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip"))) {
            reason = "no ip command (iproute2)";
        } else {
            final int net = 1 + ThreadLocalRandom.current().nextInt(250);
            addresses[0] = "10.213." + net + ".1";
            addresses[1] = "10.213." + net + ".2";
            try {
                sh("ip netns add " + namespace(0));
                sh("ip netns add " + namespace(1));
                sh("ip link add " + tag + "a mtu " + VETH_MTU + " type veth peer name " + tag + "b mtu " + VETH_MTU);
                for (int i = 0; i < 2; i++) {
                    final String dev = tag + (i == 0 ? "a" : "b");
                    sh("ip link set " + dev + " netns " + namespace(i));
                    sh("ip -n " + namespace(i) + " addr add " + addresses[i] + "/24 dev " + dev);
                    sh("ip -n " + namespace(i) + " link set " + dev + " up");
                    sh("ip -n " + namespace(i) + " link set lo up");
                }
                made = true;
            } catch (final IOException e) {
                reason = "network namespaces could not be made: " + e.getMessage();
                deleteNamespaces();
                deleteVeth();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                reason = "interrupted while making network namespaces";
                deleteNamespaces();
                deleteVeth();
            }
        }
        this.namespaces = made;
        if (!made) {
            addresses[0] = "127.0.0.1";
            addresses[1] = "127.0.0.1";
        }
        this.why = reason;
    }

    /** {@return whether the hosts are network namespaces (else two agents on 127.0.0.1)} */
    public boolean isNamespaces() {
        return namespaces;
    }

    /** {@return what the two hosts are, for a program's output} */
    public String describe() {
        return namespaces
            ? "two network namespaces (" + namespace(0) + " " + addresses[0] + ", " + namespace(1) + " " + addresses[1]
                + ", a veth pair), each host's files on its own tmpfs"
            : "NOT network namespaces (" + why + "): two agents on 127.0.0.1 with separate fabric directories";
    }

    /**
     * {@return the address host {@code i} listens on, with {@code port}} (on the loopback fallback, host 1's
     * port is one more, so both hosts can listen)
     *
     * @param i    the host, 0 or 1
     * @param port the port
     */
    public String address(final int i, final int port) {
        return addresses[i] + ":" + (namespaces ? port : port + i);
    }

    /**
     * {@return host {@code i}'s directory}: its own tmpfs inside its mount namespace (empty outside it), a
     * plain directory on the loopback fallback
     *
     * @param i the host, 0 or 1
     */
    public Path directory(final int i) {
        return dir.resolve(i == 0 ? "a" : "b");
    }

    /**
     * {@return the command prefix that runs a program as host {@code i}}: {@code ip netns exec} into its
     * namespace, {@code unshare --mount} and a tmpfs mounted over {@link #directory(int)}, then the program
     * ({@code exec}); empty on the loopback fallback
     *
     * @param i the host, 0 or 1
     */
    public List<String> launcher(final int i) {
        return namespaces
            ? List.of("ip", "netns", "exec", namespace(i), "unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs -o size=1g tmpfs " + directory(i) + " && exec \"$0\" \"$@\"")
            : List.of();
    }

    private String namespace(final int i) {
        return tag + "-" + (i == 0 ? "a" : "b");
    }

    private static void sh(final String command) throws IOException, InterruptedException {
        final Path out = Files.createTempFile("softclan-ip-", ".out");
        try {
            final Process p = new ProcessBuilder(command.split(" ")).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("'" + command + "' did not finish within 10 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("'" + command + "' failed: " + Files.readString(out).trim());
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Deletes the veth pair if it is still in this namespace (a set-up that failed half-way). */
    private void deleteVeth() {
        try {
            sh("ip link del " + tag + "a");
        } catch (final IOException e) {
            // not there (moved into a namespace and deleted with it, or never made)
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void deleteNamespaces() {
        for (int i = 0; i < 2; i++) {
            try {
                sh("ip netns del " + namespace(i));   // the veth end inside goes with it, and its peer
            } catch (final IOException e) {
                // not made
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Deletes the namespaces and the directories (the programs started in them should have ended: a
     * namespace's tmpfs goes with its last process).
     *
     * @throws IOException if a directory cannot be deleted
     */
    @Override
    public void close() throws IOException {
        if (namespaces) {
            deleteNamespaces();
        }
        final List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(all::add);
        }
        for (final Path f : all) {
            Files.deleteIfExists(f);
        }
    }
}
