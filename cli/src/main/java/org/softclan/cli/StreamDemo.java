package org.softclan.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.softclan.dsm.Fabric;
import org.softclan.examples.stream.StreamReceiver;
import org.softclan.examples.stream.StreamSender;
import org.softclan.net.HostPair;
import org.softclan.vmmc.stream.ReceiveTechnique;
import org.softclan.vmmc.stream.SendTechnique;

/**
 * The streaming demo: a {@link StreamReceiver} and a {@link StreamSender}, each in its own JVM, on a fresh
 * temporary fabric. Starts the receiver, waits for its ready line, starts the sender, relays both JVMs'
 * output and draws the receiver's progress, then removes the fabric (also on Ctrl-C or a failure).
 * Passes only if both JVMs exit with 0 and the receiver said the payload arrived intact.
 */
final class StreamDemo {
    /** How long the receiver may take to say it is ready. */
    static final long RECEIVER_READY_SECONDS = 30;
    /** How long the receiver may wait for the sender to connect. */
    static final long ACCEPT_SECONDS = 60;
    /** How long a JVM may linger after the other one failed. */
    static final long GRACE_SECONDS = 10;
    /** How often the receiver reports progress. */
    static final long PROGRESS_MS = 100;
    /** Exit code when stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it). */
    static final int EXIT_STOPPED = 130;
    private static final String SERVICE = "demo-stream";
    private static final Pattern RATE = Pattern.compile(" in ([0-9.]+) s \\(([0-9.]+) GB/s\\); crc32c (0x[0-9a-f]{8})");

    /**
     * What to stream.
     *
     * @param size             bytes of generated data, or -1 to stream {@code file}
     * @param file             the file to stream, or null
     * @param technique        the sender's technique
     * @param receiveTechnique the receiver's technique
     * @param chunk            the buffer size on both sides
     */
    record Settings(long size, Path file, SendTechnique technique, ReceiveTechnique receiveTechnique, int chunk) {
        long payload() throws IOException {
            return file != null ? Files.size(file) : size;
        }
    }

    private final PrintWriter out;
    private final Settings settings;
    private final ProgressDisplay progress;
    private final AtomicReference<ChildJvm> receiverRef = new AtomicReference<>();
    private final AtomicReference<ChildJvm> senderRef = new AtomicReference<>();
    private volatile boolean stopping;
    private final CountDownLatch reported = new CountDownLatch(1);

    /** 1: both JVMs on one fabric; 2: receiver and sender on two hosts ({@link HostPair}), each with an agent. */
    private final int hosts;
    /** The two hosts, while a two-host run lasts (else null). */
    private volatile HostPair pair;

    StreamDemo(final PrintWriter out, final Settings settings, final boolean terminal) {
        this(out, settings, terminal, 1);
    }

    StreamDemo(final PrintWriter out, final Settings settings, final boolean terminal, final int hosts) {
        this.out = out;
        this.settings = settings;
        this.progress = new ProgressDisplay(out, terminal, "      ");
        this.hosts = hosts;
    }

    private void say(final String line) {
        progress.line(line);
    }

    /** @return the exit code: 0 if the demo passed */
    int run() throws IOException, InterruptedException {
        try {
            return runAndReport();
        } finally {
            reported.countDown();
        }
    }

    private int runAndReport() throws IOException, InterruptedException {
        final long started = System.nanoTime();
        final long payload = settings.payload();
        say("stream demo: " + ProgressDisplay.bytes(payload) + " of " + (settings.file() != null ? "the file "
            + settings.file() : "generated data") + " from one JVM to another through a byte stream "
            + (hosts == 2 ? "across two hosts (their NIC agents over Aeron UDP)" : "over shared memory")
            + " (send technique " + settings.technique().cliName() + ", receive technique "
            + settings.receiveTechnique().cliName() + ", chunks of " + settings.chunk() + " bytes)");
        if (hosts == 2) {
            pair = new HostPair();
        }
        final Fabric fabric = Fabric.createTemporary();
        final Path dir = fabric.root();
        // Ctrl-C (or SIGTERM) of the demo: take the JVMs it started with it, and the fabric; the main thread
        // then reports, and the JVM exits once this hook returns.
        final Thread hook = new Thread(() -> {
            stopping = true;
            cleanUp(fabric);
            try {
                reported.await(2, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "vmmc-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        final Outcome outcome;
        try {
            outcome = run(dir, payload);
        } finally {
            progress.finish();
            cleanUp(fabric);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // the hook cleans up
            }
        }
        say("      fabric " + dir + (Files.exists(dir) ? " NOT removed" : " removed")
            + (pair == null ? "" : Files.exists(pair.directory(0)) ? "; the two hosts' directories NOT removed"
            : "; the two hosts and their directories removed"));
        if (stopping) {
            say("stream demo: STOPPED by Ctrl-C or SIGTERM; the receiver and sender JVMs were killed");
            return EXIT_STOPPED;
        }
        if (outcome.failure != null) {
            say("stream demo: FAILED: " + outcome.failure);
            return Vmmc.EXIT_FAILURE;
        }
        say(String.format(Locale.ROOT, "stream demo: PASSED in %.1f s: %d bytes (%s) arrived intact at %s GB/s"
                + " (%s s, receiver's clock from header to end of stream); crc32c %s sent = received",
            seconds(started), payload, ProgressDisplay.bytes(payload), outcome.gbs, outcome.seconds, outcome.crc));
        return 0;
    }

    /** Kills the JVMs still running and removes the fabric; the second caller waits for the first. */
    private synchronized void cleanUp(final Fabric fabric) {
        for (final AtomicReference<ChildJvm> r : List.of(senderRef, receiverRef)) {
            final ChildJvm c = r.get();
            if (c != null) {
                c.close();
            }
        }
        fabric.close();
        final HostPair p = pair;
        if (p != null) {
            try {
                p.close();
            } catch (final IOException e) {
                say("      could not delete the two hosts' directories: " + e.getMessage());
            }
        }
    }

    /** How the run ended: a failure, or the receiver's figures. */
    private record Outcome(String failure, String seconds, String gbs, String crc) {
        static Outcome failed(final String why) {
            return new Outcome(why, null, null, null);
        }
    }

    private Outcome run(final Path dir, final long payload) throws IOException, InterruptedException {
        final HostPair p = pair;
        say(p == null ? "[1/4] fabric " + dir + " (temporary)" : "[1/4] two hosts: " + p.describe() + "; the receiver is"
            + " host a (fabric " + p.directory(0) + "), the sender host b (fabric " + p.directory(1) + "), each with its"
            + " NIC agent, linked by Aeron UDP");

        say("[2/4] starting the receiver JVM (" + StreamReceiver.class.getSimpleName() + (p == null ? "" : ", host a")
            + ")...");
        final long t0 = System.nanoTime();
        final List<String> receiverLines = new ArrayList<>();
        final List<String> receiverArgs = List.of("--fabric", (p == null ? dir : p.directory(0)).toString(),
            "--service", SERVICE,
            "--receive-technique", settings.receiveTechnique().cliName(), "--chunk", Integer.toString(settings.chunk()),
            "--progress-ms", Long.toString(PROGRESS_MS), "--accept-seconds", Long.toString(ACCEPT_SECONDS));
        final ChildJvm receiver = ChildJvm.startOnHost(pair, 0, StreamReceiver.class.getName(), receiverArgs, line -> {
            if (line.startsWith("progress: ")) {
                showProgress(line);
                return;
            }
            synchronized (receiverLines) {
                receiverLines.add(line);
            }
            say("      receiver | " + line);
        });
        receiverRef.set(receiver);
        if (receiver.awaitLine("ready:", RECEIVER_READY_SECONDS, TimeUnit.SECONDS) == null) {
            return Outcome.failed(receiver.isAlive() ? "the receiver did not say it was ready within "
                + RECEIVER_READY_SECONDS + " s" : "the receiver JVM ended before it was ready (its output is above)");
        }
        say(String.format(Locale.ROOT, "      receiver ready %.1f s after start (pid %d)", seconds(t0), receiver.pid()));

        say("[3/4] starting the sender JVM (" + StreamSender.class.getSimpleName() + (p == null ? "" : ", host b, to "
            + SERVICE + "@a") + "): streaming " + ProgressDisplay.bytes(payload) + ", every byte checked on arrival");
        final List<String> senderArgs = new ArrayList<>(List.of("--fabric", (p == null ? dir : p.directory(1)).toString(),
            "--service", p == null ? SERVICE : SERVICE + "@a",
            "--technique", settings.technique().cliName(), "--chunk", Integer.toString(settings.chunk())));
        if (settings.file() != null) {
            senderArgs.addAll(List.of("--file", settings.file().toAbsolutePath().toString()));
        } else {
            senderArgs.addAll(List.of("--size", Long.toString(settings.size())));
        }
        final ChildJvm sender = ChildJvm.startOnHost(pair, 1, StreamSender.class.getName(), senderArgs,
            line -> say("      sender   | " + line));
        senderRef.set(sender);

        // Both JVMs end by themselves: the receiver at the end of the stream, or when the sender went away;
        // the sender when all is sent, or when it failed. The deadline only guards against a hang.
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120 + payload / 20_000_000);
        Integer receiverExit = null;
        Integer senderExit = null;
        long senderEndedAt = 0;
        while (receiverExit == null && System.nanoTime() - deadline < 0) {
            receiverExit = receiver.waitFor(100, TimeUnit.MILLISECONDS);
            if (senderExit == null && (senderExit = sender.waitFor(0, TimeUnit.MILLISECONDS)) != null) {
                senderEndedAt = System.nanoTime();
            }
            if (receiverExit == null && senderExit != null && senderExit != 0
                && System.nanoTime() - senderEndedAt > TimeUnit.SECONDS.toNanos(GRACE_SECONDS)) {
                break;   // the sender failed (before connecting, perhaps) and the receiver still waits
            }
        }
        progress.finish();
        if (stopping) {
            return Outcome.failed("stopped");
        }
        say("[4/4] both JVMs done; checking the verdict");
        if (receiverExit == null) {
            receiver.close();
            if (senderExit == null) {
                sender.close();
            }
            return Outcome.failed(senderExit != null && senderExit != 0
                ? "the sender JVM failed (" + describeExit(senderExit) + ") and the receiver did not end; it was killed"
                : "the transfer did not finish in time; both JVMs were killed");
        }
        if (senderExit == null) {
            senderExit = sender.waitFor(GRACE_SECONDS, TimeUnit.SECONDS);
            if (senderExit == null) {
                sender.close();
            }
        }
        final String result;
        synchronized (receiverLines) {
            result = receiverLines.stream().filter(l -> l.startsWith("result: ")).findFirst().orElse(null);
        }
        if (receiverExit != 0 || result == null || !result.startsWith("result: INTACT: ")) {
            String why = result != null && result.startsWith("result: FAILED: ")
                ? "the receiver says: " + result.substring("result: FAILED: ".length())
                : "the receiver JVM exited (" + describeExit(receiverExit) + ") without a verdict";
            if (senderExit == null) {
                why += "; the sender JVM did not end and was killed";
            } else if (senderExit != 0) {
                why += "; the sender JVM failed (" + describeExit(senderExit) + ", its output is above)";
            }
            return Outcome.failed(why);
        }
        if (senderExit == null || senderExit != 0) {
            return Outcome.failed("the receiver got the data intact, but the sender JVM "
                + (senderExit == null ? "did not end and was killed" : "failed (" + describeExit(senderExit) + ")"));
        }
        final Matcher m = RATE.matcher(result);
        if (!m.find()) {
            return Outcome.failed("the receiver's verdict has no time, rate and checksum: " + result);
        }
        return new Outcome(null, m.group(1), m.group(2), m.group(3));
    }

    private void showProgress(final String line) {
        final String[] f = line.split(" ");
        if (f.length == 4) {
            try {
                progress.update(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
            } catch (final NumberFormatException ignored) {
                say("      receiver | " + line);
            }
        }
    }

    private static String describeExit(final int exit) {
        return exit == 143 ? "stopped by SIGTERM" : exit == 137 ? "killed" : "exit code " + exit;
    }

    private static double seconds(final long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
