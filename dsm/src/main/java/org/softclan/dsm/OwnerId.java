package org.softclan.dsm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.Optional;

/**
 * Who owns a region: the owning process (pid and its start time, which tells a live owner from a
 * later process that reused the pid) and the endpoint's name.
 *
 * @param pid         the owning process's id
 * @param startMillis the owning process's start time, epoch milliseconds, or 0 if unknown
 * @param endpoint    the owning endpoint's name
 */
public record OwnerId(long pid, long startMillis, String endpoint) {
    private static final long CURRENT_START = startOf(ProcessHandle.current());

    /**
     * @param endpoint the endpoint's name
     * @return the identity of this process's endpoint of that name
     */
    public static OwnerId current(final String endpoint) {
        return new OwnerId(ProcessHandle.current().pid(), CURRENT_START, endpoint);
    }

    /**
     * @return whether the owning process is still running: a process that has exited but not yet
     *         been reaped by its parent (a zombie), and a reused pid with another start time, count
     *         as dead
     */
    public boolean isAlive() {
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
