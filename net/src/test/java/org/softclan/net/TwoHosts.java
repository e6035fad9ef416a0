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
import org.softclan.dsm.testing.JvmProcess;

/**
 * Two test "hosts" on this machine. As root with {@code ip}: two network namespaces joined by a veth pair
 * (addresses 10.213.N.1 and 10.213.N.2, a private range used only inside them), each host's JVM started
 * in its namespace and in a mount namespace of its own, where its directory is a fresh tmpfs, so neither
 * host can see a file of the other. Otherwise: two directories and two agents on 127.0.0.1, and
 * {@link #describe()} says so (the tests print it: never a silent skip). {@link #close()} deletes what it made.
 */
final class TwoHosts implements AutoCloseable {
    private final boolean namespaces;
    private final String tag;
    private final Path dir;
    private final String[] addresses = new String[2];
    private final List<JvmProcess> started = new ArrayList<>();
    private final String why;

    TwoHosts() throws IOException, InterruptedException {
        this.tag = "sc" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFL, 36);
        this.dir = Files.createTempDirectory("softclan-net-");
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
                sh("ip netns add " + ns(0));
                sh("ip netns add " + ns(1));
                sh("ip link add " + tag + "a type veth peer name " + tag + "b");
                for (int i = 0; i < 2; i++) {
                    final String dev = tag + (i == 0 ? "a" : "b");
                    sh("ip link set " + dev + " netns " + ns(i));
                    sh("ip -n " + ns(i) + " addr add " + addresses[i] + "/24 dev " + dev);
                    sh("ip -n " + ns(i) + " link set " + dev + " up");
                    sh("ip -n " + ns(i) + " link set lo up");
                }
                made = true;
            } catch (final IOException e) {
                reason = "network namespaces could not be made: " + e.getMessage();
                deleteNamespaces();
            }
        }
        this.namespaces = made;
        if (!made) {
            addresses[0] = "127.0.0.1";
            addresses[1] = "127.0.0.1";
        }
        this.why = reason;
    }

    /** {@return what the two hosts are, for the test's output} */
    String describe() {
        return namespaces
            ? "two network namespaces (" + ns(0) + " " + addresses[0] + ", " + ns(1) + " " + addresses[1]
                + ", a veth pair), each host's files on its own tmpfs"
            : "NOT network namespaces (" + why + "): two agents on 127.0.0.1 with separate fabrics";
    }

    /** {@return the address host {@code i} (0 or 1) listens on, with {@code port}} */
    String address(final int i, final int port) {
        return addresses[i] + ":" + (namespaces ? port : port + i);
    }

    /** Starts {@code main} as host {@code i}, its directory as the first argument. */
    JvmProcess start(final int i, final Class<?> main) throws IOException {
        final Path d = dir.resolve(i == 0 ? "a" : "b");
        final List<String> launcher = namespaces
            ? List.of("ip", "netns", "exec", ns(i), "unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs -o size=1g tmpfs " + d + " && exec \"$0\" \"$@\"")
            : List.of();
        final JvmProcess p = JvmProcess.startWrapped(launcher, main, List.of("-Xmx256m"), d.toString());
        started.add(p);
        return p;
    }

    private String ns(final int i) {
        return tag + "-" + (i == 0 ? "a" : "b");
    }

    private static void sh(final String command) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(command.split(" ")).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("'" + command + "' failed: " + out.trim());
        }
    }

    private void deleteNamespaces() {
        for (int i = 0; i < 2; i++) {
            try {
                sh("ip netns del " + ns(i));   // the veth end inside goes with it, and its peer
            } catch (final IOException | InterruptedException e) {
                // not made
            }
        }
    }

    @Override
    public void close() throws IOException {
        for (final JvmProcess p : started) {
            p.close();
        }
        if (namespaces) {
            deleteNamespaces();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
