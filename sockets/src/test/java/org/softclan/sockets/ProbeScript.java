package org.softclan.sockets;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.softclan.dsm.testing.JvmProcess;

/**
 * The test's side of a scripted probe JVM ({@link NioProbeMain}, {@link NioScriptMain}): sends one command
 * per line and takes its reply ({@code OK ...} or {@code ERR ...}); lines the probe prints on its own (a
 * background select's {@code SELECTED ...}, a loop's {@code LOOP ...}) are kept until a test awaits them.
 */
final class ProbeScript {
    /** How long a reply may take unless a command says otherwise, in ms. */
    static final long REPLY_MS = 10_000;

    final String name;
    final JvmProcess process;
    /** A line starting with this fails whatever is being waited for (a probe's own alarm); null for none. */
    private final String alarm;
    private final List<String> kept = new ArrayList<>();

    /**
     * @param name    the probe's name in failure messages
     * @param process the probe
     * @param alarm   a prefix of lines that fail any wait at once, or {@code null}
     */
    ProbeScript(final String name, final JvmProcess process, final String alarm) {
        this.name = name;
        this.process = process;
        this.alarm = alarm;
    }

    /** Sends a command; {@return its reply line} */
    String reply(final String command) throws InterruptedException {
        return reply(command, REPLY_MS);
    }

    /** Sends a command; {@return its reply line}, waiting {@code ms} at most */
    String reply(final String command, final long ms) throws InterruptedException {
        process.send(command);
        return take(l -> l.startsWith("OK") || l.startsWith("ERR"), ms, command);
    }

    /** As {@link #reply}, asserting {@code OK}; {@return what follows it} */
    String ok(final String command) throws InterruptedException {
        final String line = reply(command);
        assertTrue(line.startsWith("OK"), name + ": " + command + ": " + line);
        return line.length() > 3 ? line.substring(3) : "";
    }

    /** {@return the next line starting with {@code prefix}}, waiting {@code ms} at most */
    String await(final String prefix, final long ms) throws InterruptedException {
        return take(l -> l.startsWith(prefix), ms, "a line " + prefix);
    }

    /**
     * Closes the probe's channels and selector, ends its threads, and forgets their lines and the replies
     * a failed test left unread (up to a {@code sync} with a fresh token).
     */
    void reset() throws InterruptedException {
        final String token = Long.toString(System.nanoTime());
        process.send("reset");
        process.send("sync " + token);
        final String synced = "OK sync " + token;
        final List<String> before = new ArrayList<>(kept);
        kept.clear();
        String line;
        while (!(line = take(l -> true, REPLY_MS, synced)).equals(synced)) {
            before.add(line);
        }
        assertTrue(before.stream().anyMatch(l -> l.startsWith("OK reset")),
            name + ": threads of the last test did not end: " + before);
    }

    private String take(final Predicate<String> wanted, final long ms, final String what) throws InterruptedException {
        for (final Iterator<String> it = kept.iterator(); it.hasNext(); ) {
            final String l = it.next();
            if (wanted.test(l)) {
                it.remove();
                return l;
            }
        }
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (true) {
            final long left = deadline - System.nanoTime();
            final String l;
            try {
                l = process.expectLine("", Math.max(1, left), TimeUnit.NANOSECONDS);
            } catch (final AssertionError e) {
                throw new AssertionError(name + ": no " + what + " within " + ms + " ms; lines kept: " + kept + "; "
                    + e.getMessage(), e);
            }
            if (alarm != null && l.startsWith(alarm)) {
                throw new AssertionError(name + ": " + l + " (waiting for " + what + ")");
            }
            if (wanted.test(l)) {
                return l;
            }
            kept.add(l);
        }
    }
}
