package org.softclan.dsm;

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
     * @return whether the owning process is still running (a reused pid with another start time
     *         counts as dead)
     */
    public boolean isAlive() {
        final Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return false;
        }
        final long start = startOf(handle.get());
        return startMillis == 0 || start == 0 || start == startMillis;
    }

    private static long startOf(final ProcessHandle handle) {
        return handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    @Override
    public String toString() {
        return endpoint + "@pid" + pid;
    }
}
