package org.softclan.tripwire;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Who holds a cross-process lock or claim, as one 64-bit word a process can CAS into shared memory,
 * and whether that holder is gone.
 *
 * <pre>
 *   63            32 31             0
 *  +----------------+----------------+
 *  | start time     | pid            |   start time: field 22 of /proc/PID/stat (clock ticks since
 *  | (low 32 bits)  |                |   boot), 0 where /proc is not there; never 0 as a whole word
 *  +----------------+----------------+
 * </pre>
 *
 * <p>A process that died leaves its token behind; the start time tells it from a later process that
 * was given the same pid. {@link #isDead(long)} is the one place that decides liveness, so another
 * mechanism (a kernel-held file lock) can replace it without touching the protocols that use it.
 * Any 64-bit value, however garbled, is a valid argument: garbage that names no running process
 * reads as dead, so a lock word a hostile peer scribbled on can be taken over.
 */
final class HolderIdentity {
    private static final long CURRENT = tokenOf(ProcessHandle.current().pid());
    /** Tokens of pid and start time, for tables no other process shares (a mapping's private table). */
    static final HolderIdentity PROCESS = new HolderIdentity(null, CURRENT);

    /** The fabric whose liveness files tell whether a holder is alive; {@code null}: pid and start time. */
    private final org.softclan.dsm.Fabric fabric;
    private final long me;

    private HolderIdentity(final org.softclan.dsm.Fabric fabric, final long me) {
        this.fabric = fabric;
        this.me = me;
    }

    /**
     * The identity a process uses in the tables of {@code mapping}'s region: the liveness id of the
     * endpoint that mapped it, checked with {@link org.softclan.dsm.Fabric#isAlive(long)} (a lock the
     * kernel holds for the endpoint's life, visible across PID namespaces). An endpoint without a
     * liveness id (none is made so today) falls back to pid and start time.
     */
    static HolderIdentity of(final org.softclan.dsm.Mapping mapping) {
        final org.softclan.dsm.Endpoint ep = mapping instanceof org.softclan.dsm.InboundMapping in ? in.endpoint()
            : mapping instanceof org.softclan.dsm.OutboundMapping out ? out.endpoint() : null;
        final long id = ep == null ? 0 : ep.owner().livenessId();
        return id == 0 ? PROCESS : new HolderIdentity(ep.fabric(), id);
    }

    /** @return the token this process writes as holder (never 0) */
    long token() {
        return me;
    }

    /**
     * @return whether the holder a token names is certainly gone: for a fabric's tables, nobody holds
     *         the liveness lock of that id (an open, an {@code fcntl} and a close, or a set look-up for this
     *         JVM's own ids); otherwise as {@link #isDead(long)}. Any value is a valid argument: garbage
     *         names no live holder, so a lock word a peer scribbled on can be taken over
     */
    boolean holderDead(final long token) {
        if (token == me) {
            return false;
        }
        return fabric == null ? isDead(token) : !fabric.isAlive(token);
    }

    /** @return how a message names the holder of {@code token} */
    String describe(final long token) {
        return fabric == null ? "pid " + pidOf(token) : "the endpoint with liveness id " + Long.toHexString(token);
    }

    /** @return this process's token (never 0) */
    static long current() {
        return CURRENT;
    }

    /** @return the pid a token names (which may be garbage) */
    static long pidOf(final long token) {
        return token & 0xFFFF_FFFFL;
    }

    /**
     * @return whether the process a token names has certainly exited (or never existed, or its pid
     *         now belongs to another process): reads /proc/PID/stat, a few microseconds; call it only
     *         after a wait has gone on for a while
     */
    static boolean isDead(final long token) {
        if (token == CURRENT) {
            return false;
        }
        final long pid = pidOf(token);
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            return true;
        }
        final String stat = readStat(pid);
        if (stat == null) {
            // with a /proc, no entry means no such process; without one, ask the JDK (pid reuse undetected)
            return Files.isDirectory(Paths.get("/proc/self"))
                || ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
        }
        final int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 >= stat.length()) {
            return false;
        }
        final char state = stat.charAt(close + 2);
        if (state == 'Z' || state == 'X') {
            return true;
        }
        // a token this class made on Linux never has start time 0 (no JVM starts at the boot tick)
        return (token >>> 32) == 0 || (token >>> 32) != (startTicks(stat) & 0xFFFF_FFFFL);
    }

    static long tokenOf(final long pid) {
        final String stat = readStat(pid);
        final long start = stat == null ? 0 : startTicks(stat) & 0xFFFF_FFFFL;
        return start << 32 | (pid & 0xFFFF_FFFFL);
    }

    /** @return field 22 (starttime) of a /proc/PID/stat line, or 0 if it cannot be parsed */
    private static long startTicks(final String stat) {
        final int close = stat.lastIndexOf(')');
        if (close < 0) {
            return 0;
        }
        // fields after the command: 3 state, 4 ppid, ... 22 starttime, i.e. the 20th after ") "
        final String[] f = stat.substring(close + 2).split(" ");
        if (f.length < 20) {
            return 0;
        }
        try {
            return Long.parseLong(f[19]);
        } catch (final NumberFormatException e) {
            return 0;
        }
    }

    private static String readStat(final long pid) {
        final Path p = Paths.get("/proc", Long.toString(pid), "stat");
        try {
            return Files.readString(p);
        } catch (final IOException | RuntimeException e) {
            return null;
        }
    }
}
