package org.softclan.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A transfer's progress on the demo's output. On a terminal, one line redrawn in place with {@code \r}:
 * a bar, the percentage, bytes so far and the throughput; other lines printed meanwhile appear above it.
 * Elsewhere (a pipe, a log, CI), a progress line every {@link #LINE_INTERVAL_NANOS} and one at the end,
 * so the output stays readable. Thread-safe: lines and updates may come from different threads.
 */
final class ProgressDisplay {
    /** Time between two progress lines when the output is not a terminal. */
    static final long LINE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int BAR_WIDTH = 30;

    private final PrintWriter out;
    private final boolean terminal;
    private final String indent;
    private String drawn;
    private boolean started;
    private long lastLine;

    /**
     * @param out      where to print
     * @param terminal whether {@code out} is a terminal (redraw in place) or not (a line each second)
     * @param indent   put before each progress line when not on a terminal
     */
    ProgressDisplay(final PrintWriter out, final boolean terminal, final String indent) {
        this.out = out;
        this.terminal = terminal;
        this.indent = indent;
    }

    /** @return whether this JVM's standard output (and input) is a terminal */
    static boolean stdoutIsTerminal() {
        return System.console() != null;
    }

    /** Prints a line, above the progress bar if one is shown. */
    synchronized void line(final String text) {
        clearBar();
        out.println(text);
        if (drawn != null) {
            out.print(drawn);
        }
        out.flush();
    }

    /**
     * Shows the progress.
     *
     * @param done     bytes so far
     * @param total    bytes in all
     * @param nanos    time since the transfer started
     */
    synchronized void update(final long done, final long total, final long nanos) {
        final String text = format(done, total, nanos);
        if (terminal) {
            clearBar();
            drawn = text;
            out.print(text);
            out.flush();
        } else {
            final long now = System.nanoTime();
            if (!started) {
                started = true;   // the first line comes a second after the transfer starts, or at its end
                lastLine = now;
            }
            if (done >= total || now - lastLine >= LINE_INTERVAL_NANOS) {
                out.println(indent + "progress " + text);
                out.flush();
                lastLine = now;
            }
        }
    }

    /** Ends the bar's line (leaving its last state on screen); later lines go below it. */
    synchronized void finish() {
        if (drawn != null) {
            out.println();
            out.flush();
            drawn = null;
        }
    }

    private void clearBar() {
        if (drawn != null) {
            out.print("\r" + " ".repeat(drawn.length()) + "\r");
        }
    }

    /** @return e.g. {@code [#######-------]  47%  482.0 MiB / 1.00 GiB  2.31 GB/s} */
    static String format(final long done, final long total, final long nanos) {
        final double fraction = total == 0 ? 1 : Math.min(1, (double) done / total);
        final int filled = (int) Math.round(fraction * BAR_WIDTH);
        return "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "] "
            + String.format(Locale.ROOT, "%3d%%  %s / %s  %s", (int) Math.floor(fraction * 100), bytes(done),
            bytes(total), rate(done, nanos));
    }

    /** @return bytes in binary units, e.g. {@code 482.0 MiB}, {@code 1.00 GiB}, {@code 512 B} */
    static String bytes(final long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        }
        if (n >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        }
        if (n >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", n / (double) (1L << 10));
        }
        return n + " B";
    }

    /** @return gigabytes (10^9 bytes) per second, e.g. {@code 2.31 GB/s} */
    static String rate(final long bytes, final long nanos) {
        return nanos <= 0 ? "-.-- GB/s" : String.format(Locale.ROOT, "%.2f GB/s", (double) bytes / nanos);
    }
}
