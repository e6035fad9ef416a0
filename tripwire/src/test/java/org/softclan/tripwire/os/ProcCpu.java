package org.softclan.tripwire.os;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

/** Test plumbing: the CPU time a process has used, from {@code /proc/<pid>/stat}. */
final class ProcCpu {
    /** Clock ticks per second ({@code getconf CLK_TCK}; 100 on Linux unless that fails to run). */
    static final long TICKS_PER_SECOND = clockTicks();

    private ProcCpu() {
    }

    /** @return user plus system CPU time of every thread of process {@code pid}, in nanoseconds */
    static long cpuNanos(final long pid) throws IOException {
        final String stat = Files.readString(Paths.get("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        // the command name (field 2) is in parentheses and may hold spaces; field 3 follows ") "
        final String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        final long ticks = Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]); // utime + stime
        return ticks * 1_000_000_000L / TICKS_PER_SECOND;
    }

    private static long clockTicks() {
        try {
            final Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            try (InputStream in = p.getInputStream()) {
                final String out = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
                p.waitFor();
                return Long.parseLong(out);
            }
        } catch (final IOException | NumberFormatException e) {
            return 100;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
