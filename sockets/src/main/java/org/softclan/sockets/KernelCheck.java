package org.softclan.sockets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the kernel says about a process, for the switch of a TCP connection to a byte stream: which
 * sockets it holds and which files it has mapped. The pid a peer names in its hello or ack is only a
 * claim, and so are the descriptor numbers it names with it; the checks here make them a fact: under
 * the one descriptor it names, the process holds the TCP socket in question ({@code /proc/PID/fd/N}
 * links to the socket's inode, found in {@code /proc/net/tcp} and {@code tcp6}), and under the other it
 * holds open the file of this stream's ring, which it maps. A process of the fabric that forges a hello
 * for another process's TCP connection, or acks for a port another process listens on, fails the first
 * or the second (the other process holds no descriptor of the forger's ring), and the connection stays
 * on TCP. Each check looks at one descriptor, never at all of them: what it costs does not grow with
 * what the peer holds.
 *
 * <p>Linux only; {@code /proc/PID/fd} of another user's process is not readable, so a peer of another
 * user never passes (its connections stay on TCP). Slow paths only: each check is a {@code readlink} or
 * a {@code stat} in {@code /proc} and a read of {@code /proc/net/tcp} (whose length grows with this
 * network namespace's TCP sockets).
 */
final class KernelCheck {
    private static final String LISTEN = "0A";

    private KernelCheck() {
    }

    /**
     * @param localPort  the socket's local port
     * @param remotePort its remote port; 0 with {@code listen}
     * @param listen     whether to find listening sockets (else connected ones)
     * @return the inodes of the TCP sockets of this network namespace with those ports (IPv4 and IPv6)
     */
    static Set<Long> tcpSocketInodes(final int localPort, final int remotePort, final boolean listen) {
        final Set<Long> out = new HashSet<>();
        for (final String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            final List<String> lines;
            try {
                lines = Files.readAllLines(Paths.get(table), StandardCharsets.US_ASCII);
            } catch (final IOException e) {
                continue;
            }
            for (int i = 1; i < lines.size(); i++) {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
                final String[] f = lines.get(i).trim().split("\\s+");
                if (f.length < 10) {
                    continue;
                }
                final boolean isListen = LISTEN.equals(f[3]);
                if (isListen != listen || port(f[1]) != localPort || (!listen && port(f[2]) != remotePort)) {
                    continue;
                }
                try {
                    out.add(Long.parseLong(f[9]));
                } catch (final NumberFormatException e) {
                    // not a line of the format above
                }
            }
        }
        out.remove(0L);
        return out;
    }

    /**
     * {@return whether the TCP connection from {@code clientPort} ends at {@code serverPort} of this host}:
     * whether a socket of this network namespace has {@code serverPort} as its local port and
     * {@code clientPort} as its remote one (the server's end, accepted or still in its listener's queue).
     * False when the connection was redirected to another port (a firewall rule) or goes elsewhere. Looks
     * again for up to 50 ms, for a server end the kernel is still making.
     */
    static boolean connectionEndsAt(final int serverPort, final int clientPort) {
        for (int attempt = 0; attempt < 50; attempt++) {
            for (final String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                try {
                    for (final String line : Files.readAllLines(Paths.get(table), StandardCharsets.US_ASCII)) {
                        final String[] f = line.trim().split("\\s+");
                        if (f.length >= 4 && !LISTEN.equals(f[3]) && port(f[1]) == serverPort && port(f[2]) == clientPort) {
                            return true;
                        }
                    }
                } catch (final IOException e) {
                    // the other table
                }
            }
            try {
                Thread.sleep(1);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private static int port(final String hexAddressAndPort) {
        final int colon = hexAddressAndPort.lastIndexOf(':');
        try {
            return colon < 0 ? -1 : Integer.parseInt(hexAddressAndPort.substring(colon + 1), 16);
        } catch (final NumberFormatException e) {
            return -1;
        }
    }

    /**
     * One {@code readlink} of {@code /proc/PID/fd/FD}: the descriptor the peer names in its hello or ack,
     * not a scan of all its descriptors (a peer holding thousands would make every check slow).
     *
     * @param pid    the process
     * @param fd     the descriptor number it claims for the socket
     * @param inodes the sockets it must be one of
     * @return whether process {@code pid} holds, under {@code fd}, one of the sockets {@code inodes}
     */
    static boolean holdsSocket(final long pid, final int fd, final Set<Long> inodes) {
        if (pid <= 0 || fd < 0 || inodes.isEmpty()) {
            return false;
        }
        final String target;
        try {
            target = Files.readSymbolicLink(Paths.get("/proc", Long.toString(pid), "fd", Integer.toString(fd))).toString();
        } catch (final IOException | SecurityException | UnsupportedOperationException e) {
            return false;   // gone, closed, or not ours to look at
        }
        if (!target.startsWith("socket:[") || !target.endsWith("]")) {
            return false;
        }
        try {
            return inodes.contains(Long.parseLong(target.substring(8, target.length() - 1)));
        } catch (final NumberFormatException e) {
            return false;
        }
    }

    /**
     * One {@code stat} of {@code /proc/PID/fd/FD} (the file the descriptor refers to, whatever its name now)
     * against one of {@code file}: the peer holds the region's file open under the descriptor it names
     * (a mapping keeps its file's descriptor open while mapped: {@link org.softclan.dsm.Mapping#descriptor()}).
     *
     * @param pid  the process
     * @param fd   the descriptor number it claims for the file
     * @param file the file
     * @return whether process {@code pid} holds {@code file} open under {@code fd} (same device and inode)
     */
    static boolean holdsFile(final long pid, final int fd, final Path file) {
        if (pid <= 0 || fd < 0) {
            return false;
        }
        try {
            final Object theirs = Files.readAttributes(Paths.get("/proc", Long.toString(pid), "fd", Integer.toString(fd)),
                BasicFileAttributes.class).fileKey();
            final Object ours = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
            return theirs != null && theirs.equals(ours);
        } catch (final IOException | SecurityException | UnsupportedOperationException e) {
            return false;
        }
    }
}
