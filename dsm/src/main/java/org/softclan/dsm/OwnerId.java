package org.softclan.dsm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.Optional;

/**
 * Who owns a region: the owning endpoint's name, its liveness id, and, for display, the owning
 * process's pid and start time.
 *
 * <p><b>Liveness</b> is decided by the lock the owning endpoint holds on its liveness file in the fabric
 * (see the fabric's {@code .live} directory): the kernel keeps that lock for the owner's whole life and
 * drops it when the process dies, in whatever PID namespace either process runs and whatever the
 * clocks say. The pid is shown in messages but plays no part. Only an identity without a liveness id
 * (made by {@link #current(String)}, or read from a file written by an older version) falls back to the
 * pid and its start time, which only works when both processes share a PID namespace.
 *
 * @param pid          the owning process's id, in its own PID namespace (for display)
 * @param startMillis  the owning process's start time, epoch milliseconds, or 0 if unknown (for display)
 * @param endpoint     the owning endpoint's name
 * @param livenessId   the owning endpoint's liveness id, or 0 if it has none
 * @param livenessFile the file whose lock says whether the owner is alive, or {@code null} if it has none
 */
public record OwnerId(long pid, long startMillis, String endpoint, long livenessId, Path livenessFile) {
    private static final long CURRENT_START = startOf(ProcessHandle.current());

    /**
     * An identity without a liveness id: {@link #isAlive()} falls back to the pid.
     *
     * @param pid         the owning process's id
     * @param startMillis the owning process's start time, epoch milliseconds, or 0 if unknown
     * @param endpoint    the owning endpoint's name
     */
    public OwnerId(final long pid, final long startMillis, final String endpoint) {
        this(pid, startMillis, endpoint, 0L, null);
    }

    /**
     * The identity of an endpoint of this process, by name.
     *
     * @param endpoint the endpoint's name
     * @return an identity of this process's endpoint of that name, without a liveness id (an
     *         {@link Endpoint}'s own identity, {@link Endpoint#owner()}, has one)
     */
    public static OwnerId current(final String endpoint) {
        return new OwnerId(ProcessHandle.current().pid(), CURRENT_START, endpoint);
    }

    /**
     * The identity of an endpoint of a fabric, as recorded by it (in a region's header or its statistics file).
     *
     * @param fabricRoot  the fabric's directory
     * @param pid         the owning process's id
     * @param startMillis the owning process's start time, epoch milliseconds, or 0 if unknown
     * @param endpoint    the owning endpoint's name
     * @param livenessId  the endpoint's liveness id (0: none; {@link #isAlive()} then asks about the pid)
     * @return the identity, whose {@link #isAlive()} asks the endpoint's liveness file
     */
    public static OwnerId inFabric(final Path fabricRoot, final long pid, final long startMillis, final String endpoint,
                                   final long livenessId) {
        return new OwnerId(pid, startMillis, endpoint, livenessId,
            livenessId == 0 ? null : Liveness.fileOf(fabricRoot, livenessId));
    }

    /** The identity of an endpoint of this process holding {@code liveness}. */
    static OwnerId current(final String endpoint, final Liveness liveness) {
        return new OwnerId(ProcessHandle.current().pid(), CURRENT_START, endpoint, liveness.id, liveness.file);
    }

    /**
     * Whether the owner may still be running. With a liveness id: whether some process holds the lock on
     * its liveness file (a set look-up if this JVM holds it, else an open, an {@code fcntl} and a close:
     * a few microseconds, for slow paths only); an I/O error answers true, since the owner may be alive.
     * Without one: whether the pid exists in this PID namespace with the recorded start time and is not
     * a zombie.
     *
     * @return whether the owner is alive
     */
    public boolean isAlive() {
        if (livenessId != 0 && livenessFile != null) {
            return Liveness.isHeld(livenessId, livenessFile);
        }
        return pidIsAlive();
    }

    private boolean pidIsAlive() {
        final Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive() || isZombie(pid)) {
            return false;
        }
        final long start = startOf(handle.get());
        return startMillis == 0 || start == 0 || start == startMillis;
    }

    /** Reads the state letter of /proc/PID/stat where there is one (Linux); elsewhere says no. */
    private static boolean isZombie(final long pid) {
        final Path stat = Paths.get("/proc", Long.toString(pid), "stat");
        try {
            final String s = Files.readString(stat);
            final int close = s.lastIndexOf(')');
            if (close < 0 || close + 2 >= s.length()) {
                return false;
            }
            final char state = s.charAt(close + 2);
            return state == 'Z' || state == 'X';
        } catch (final IOException | RuntimeException e) {
            return false;
        }
    }

    private static long startOf(final ProcessHandle handle) {
        return handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    @Override
    public String toString() {
        return endpoint + "@pid" + pid;
    }
}
