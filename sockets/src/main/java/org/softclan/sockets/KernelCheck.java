package org.softclan.sockets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the kernel says about a process, for the switch of a TCP connection to a byte stream: which
 * sockets it holds and which files it has mapped. The pid a peer names in its hello or ack is only a
 * claim; the checks here make it a fact: the process holds the TCP socket in question (its
 * {@code /proc/PID/fd} links to the socket's inode, found in {@code /proc/net/tcp} and {@code tcp6}) and
 * has this stream's ring mapped ({@code /proc/PID/maps}). A process of the fabric that forges a hello for
 * another process's TCP connection, or acks for a port another process listens on, fails the first or
 * the second, and the connection stays on TCP.
 *
 * <p>Linux only; {@code /proc/PID/fd} of another user's process is not readable, so a peer of another
 * user never passes (its connections stay on TCP). Slow paths only: each check reads a few
 * {@code /proc} files (tens to hundreds of microseconds).
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

    /** {@return whether process {@code pid} holds a descriptor of one of the sockets {@code inodes}} */
    static boolean holdsSocket(final long pid, final Set<Long> inodes) {
        if (pid <= 0 || inodes.isEmpty()) {
            return false;
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Paths.get("/proc", Long.toString(pid), "fd"))) {
            for (final Path fd : fds) {
                final String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (final IOException e) {
                    continue;   // closed meanwhile
                }
                if (target.startsWith("socket:[") && target.endsWith("]")) {
                    try {
                        if (inodes.contains(Long.parseLong(target.substring(8, target.length() - 1)))) {
                            return true;
                        }
                    } catch (final NumberFormatException e) {
                        // not a socket link
                    }
                }
            }
        } catch (final IOException | SecurityException e) {
            return false;   // gone, or not ours to look at
        }
        return false;
    }

    /** {@return whether process {@code pid} has the file {@code file} mapped} */
    static boolean mapsFile(final long pid, final Path file) {
        if (pid <= 0) {
            return false;
        }
        String path;
        try {
            path = file.toRealPath().toString();   // the kernel's name for it: symbolic links resolved
        } catch (final IOException e) {
            path = file.toAbsolutePath().normalize().toString();
        }
        try {
            for (final String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "maps"),
                     StandardCharsets.UTF_8)) {
                if (line.endsWith(" " + path)) {
                    return true;
                }
            }
        } catch (final IOException | SecurityException | java.io.UncheckedIOException e) {
            return false;
        }
        return false;
    }
}
