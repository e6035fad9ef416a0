package org.softclan.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.softclan.dsm.Fabric;
import org.softclan.dsm.RegionInfo;

/**
 * {@code vmmc soak}: a torture run. Three lanes each run a pair of worker JVMs ({@link SoakWorker}) doing
 * real work: a message-queue writer and reader, an RPC server and client, a byte-stream sender and
 * receiver. Meanwhile an attacker hits a random running pair at random moments (all choices from the
 * seed): kill -9 of a worker, a region file of a worker cut to 4 KiB, a hostile peer writing garbage into
 * a worker's receive region, a close under a waiting thread inside a worker, SIGTERM, SIGINT or SIGHUP;
 * some pairs also see their client killed mid-connect or their server signalled while it waits for a
 * client. When one worker of a pair ends, the other must notice within {@value #NOTICE_BOUND_MS} ms;
 * then the lane starts a fresh pair (on a new service name: counting starts again). At the end every
 * worker is stopped and every pair judged ({@link SoakReport}); JVM crashes are the {@code hs_err} files
 * the workers left in the soak's directory.
 */
final class Soak {
    /** How long a survivor may take to notice that its peer is gone (and end). */
    static final long NOTICE_BOUND_MS = 10_000;
    /** How long a worker may take to exit after SIGTERM, SIGINT or SIGHUP. */
    static final long SIGNAL_BOUND_MS = 10_000;
    /** How long a worker may take to start and get ready or connected. */
    static final long READY_BOUND_MS = 30_000;
    /** Exit code when stopped by Ctrl-C or SIGTERM. */
    static final int EXIT_STOPPED = 130;
    private static final String[] ALL_SIGNALS = {"TERM", "INT", "HUP"};
    /**
     * The signals sent to workers: those this JVM does not ignore. A worker inherits an ignored signal
     * (SIGHUP under {@code nohup}, SIGINT in a background job of a script) and a JVM keeps an inherited
     * SIG_IGN for its shutdown signals, so the worker rightly ignores it.
     */
    static final String[] SIGNALS = java.util.Arrays.stream(ALL_SIGNALS).filter(s -> !ignored(s))
        .toArray(String[]::new);

    /**
     * Whether this process ignores the signal: its bit in the {@code SigIgn} mask of
     * {@code /proc/self/status} (a JVM keeps an inherited SIG_IGN for its shutdown signals; it installs its
     * own handler for one it does not ignore). False where that file cannot be read.
     */
    private static boolean ignored(final String name) {
        final int signal = switch (name) {
            case "HUP" -> 1;
            case "INT" -> 2;
            case "TERM" -> 15;
            default -> throw new IllegalArgumentException("no signal number known for SIG" + name);
        };
        try {
            for (final String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) {
                    final long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                    return (mask & (1L << (signal - 1))) != 0;
                }
            }
        } catch (final java.io.IOException | RuntimeException e) {
            // not Linux, or no /proc: assume the signal is handled
        }
        return false;
    }

    /**
     * What to run.
     *
     * @param seconds how long to attack
     * @param fabric  the fabric's directory, or null for a fresh temporary one
     * @param seed    seeds every random choice
     * @param cut whether region files are cut from outside among the attacks ({@code --no-cut} leaves
     *            that one out)
     */
    record Settings(long seconds, Path fabric, long seed, boolean cut) {
    }

    /** @return whether the region-cut attack is among the attacks */
    boolean cutsRegions() {
        return settings.cut();
    }

    private final PrintWriter out;
    private final Settings settings;
    final SoakReport report = new SoakReport();
    private final long started = System.nanoTime();
    private final List<SoakProcess> all = new ArrayList<>();
    private final SoakLane[] lanes = new SoakLane[3];
    private volatile boolean over;
    /** Opened when the user stops the soak (Ctrl-C, SIGTERM) before its time is up. */
    private final java.util.concurrent.CountDownLatch stopRequested = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean stoppedByUser;
    private volatile boolean finished;
    Path fabricDir;
    Path soakDir;
    long token;

    Soak(final PrintWriter out, final Settings settings) {
        this.out = out;
        this.settings = settings;
    }

    /** Prints a line with the time since the start. */
    void say(final String line) {
        synchronized (out) {
            out.printf("[%6.1f s] %s%n", (System.nanoTime() - started) / 1e9, line);
            out.flush();
        }
    }

    boolean over() {
        return over;
    }

    /** Starts a worker JVM; it is remembered so that it is stopped however the soak ends. */
    SoakProcess start(final String name, final String role, final String service, final long seed,
                      final String option) throws IOException {
        return start(name, role, service, seed, option, false);
    }

    /**
     * @param namespaced run it in a PID namespace of its own ({@code unshare}), if this machine allows
     *                   that: it then sees none of the other workers' pids, and they do not see its
     */
    SoakProcess start(final String name, final String role, final String service, final long seed,
                      final String option, final boolean namespaced) throws IOException {
        synchronized (all) {
            if (over && stoppedByUser) {
                throw new IOException("the soak is stopping");
            }
            final boolean inNamespace = namespaced && namespaceLauncher != null;
            final SoakProcess p = new SoakProcess(this, name + (inNamespace ? " [own PID namespace]" : ""), role);
            if (inNamespace) {
                report.attack("worker in its own PID namespace");
            }
            p.start(inNamespace ? namespaceLauncher : List.of(), List.of("-Xmx96m", "-XX:+UseSerialGC", "-XX:ErrorFile=" + soakDir.resolve("hs_err_pid%p.log")),
                List.of(role, fabricDir.toString(), service, Long.toString(seed), Long.toString(token), option));
            all.add(p);
            return p;
        }
    }

    /**
     * Runs a worker in a PID namespace of its own, or {@code null} where that cannot be done (not root,
     * no {@code unshare}). A shell is PID 1 there and the JVM its child, so the JVM takes signals as
     * anywhere else and the launcher's exit status is the JVM's (128 + n when a signal ended it).
     */
    volatile List<String> namespaceLauncher;

    private static final List<String> NAMESPACE_LAUNCHER = List.of("unshare", "--pid", "--fork", "--mount-proc",
        "--kill-child", "sh", "-c", "\"$@\"; exit $?", "sh");

    /** @return why workers cannot run in PID namespaces of their own here, or null if they can */
    private static String namespaceUnavailable() {
        try {
            final List<String> cmd = new ArrayList<>(NAMESPACE_LAUNCHER);
            cmd.add("true");
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "unshare did not finish within 10 s";
            }
            final String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            return p.exitValue() == 0 ? null : "unshare failed (exit " + p.exitValue() + "): " + out;
        } catch (final IOException e) {
            return "no unshare: " + e.getMessage();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** @return the exit code: 0 if every invariant held */
    int run() throws IOException, InterruptedException {
        final Random rnd = new Random(settings.seed());
        token = rnd.nextLong();
        final boolean temporary = settings.fabric() == null;
        if (temporary) {
            final Path shm = Fabric.SHM;
            final Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                : Paths.get(System.getProperty("java.io.tmpdir"));
            fabricDir = Files.createTempDirectory(base, "softclan-soak-");
        } else {
            fabricDir = settings.fabric().toAbsolutePath().normalize();
            Files.createDirectories(fabricDir);
        }
        soakDir = Files.createTempDirectory("vmmc-soak-");
        say("soak: " + settings.seconds() + " s, seed " + settings.seed() + ", fabric " + fabricDir
            + (temporary ? " (temporary)" : "") + ", logs and crash files in " + soakDir);
        final String noNamespace = namespaceUnavailable();
        if (noNamespace == null) {
            namespaceLauncher = NAMESPACE_LAUNCHER;
        } else {
            say("workers cannot run in PID namespaces of their own here (" + noNamespace + "): all share this one");
        }
        for (final String sig : ALL_SIGNALS) {
            if (!java.util.Arrays.asList(SIGNALS).contains(sig)) {
                say("SIG" + sig + " is ignored in this process (nohup, a background job?) and so in every worker it"
                    + " starts: no SIG" + sig + " attacks");
            }
        }
        final Thread hook = new Thread(() -> {
            stoppedByUser = true;
            over = true;
            stopRequested.countDown();
            killAll();
            if (temporary) {
                deleteTree(fabricDir);
            }
            if (!finished) {
                synchronized (out) {
                    out.println("soak: STOPPED by Ctrl-C or a signal; every worker JVM it started was killed"
                        + (temporary ? ", the fabric removed" : "") + "; worker logs in " + soakDir);
                    out.flush();
                }
            }
        }, "vmmc-soak-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        final String[] kinds = {"mq", "rpc", "stream"};
        final Thread[] threads = new Thread[lanes.length];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new SoakLane(this, kinds[i], new Random(rnd.nextLong()));
            threads[i] = new Thread(lanes[i], "soak-lane-" + kinds[i]);
            threads[i].start();
        }
        final SoakAttacker attacker = new SoakAttacker(this, lanes, new Random(rnd.nextLong()));
        final Thread attackerThread = new Thread(attacker, "soak-attacker");
        attackerThread.start();
        try {
            final long end = started + TimeUnit.SECONDS.toNanos(settings.seconds());
            stopRequested.await(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            say("time is up: stopping every pair (clients first, then servers, which must notice)");
            over = true;
            attackerThread.interrupt();
            attackerThread.join(10_000);
            for (final Thread t : threads) {
                t.join(60_000);
                if (t.isAlive()) {
                    report.overrun("lane " + t.getName() + " did not stop its pair within 60 s");
                }
            }
        } finally {
            killAll();
        }
        finished = true;
        crashes();
        leftBehind();
        Files.write(soakDir.resolve("left-behind.txt"), report.leftBehindSorted());
        final boolean passed = report.passed();
        synchronized (out) {
            report.print(out);
            if (stoppedByUser) {
                out.println("soak: STOPPED by Ctrl-C or a signal; every worker JVM was killed");
            } else if (passed) {
                out.println("soak: PASSED: every invariant held");
            } else {
                out.println("soak: FAILED: " + report.failures().size() + " broken invariant(s); worker logs and crash"
                    + " files kept in " + soakDir);
                report.failures().stream().limit(50).forEach(f -> out.println("  - " + f));
            }
            out.flush();
        }
        if (temporary) {
            deleteTree(fabricDir);
            say("fabric " + fabricDir + (Files.exists(fabricDir) ? " NOT removed" : " removed"));
        }
        if (passed && !stoppedByUser) {
            deleteTree(soakDir);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException shuttingDown) {
            // the hook is cleaning up
        }
        return stoppedByUser ? EXIT_STOPPED : passed ? 0 : Vmmc.EXIT_FAILURE;
    }

    private void killAll() {
        synchronized (all) {
            for (final SoakProcess p : all) {
                if (p.alive()) {
                    p.kill();
                }
            }
        }
    }

    /** Counts the hs_err files the workers left: each is a JVM crash. */
    private void crashes() throws IOException {
        try (Stream<Path> files = Files.list(soakDir)) {
            for (final Path f : (Iterable<Path>) files.filter(f -> f.getFileName().toString().startsWith("hs_err_pid"))
                .sorted()::iterator) {
                final String name = f.getFileName().toString();
                final long pid = Long.parseLong(name.replaceAll("\\D", ""));
                final List<String> lines = Files.readAllLines(f);
                final String summary = lines.stream().filter(l -> l.startsWith("# ") && (l.contains("SIG")
                    || l.contains("Problematic frame") || l.startsWith("# J ") || l.startsWith("# C ")
                    || l.startsWith("# V ") || l.contains("Internal Error"))).limit(4)
                    .reduce((a, b) -> a + " | " + b).orElse("");
                report.crash(f + " (" + owner(pid) + "): " + summary);
            }
        }
    }

    /** @return the worker that ran as {@code pid}, and how it ended */
    String owner(final long pid) {
        synchronized (all) {
            for (final SoakProcess p : all) {
                if (p.pid() == pid) {
                    return p.name() + ", pid " + pid + ", " + p.how();
                }
            }
        }
        return "pid " + pid + ", not a worker";
    }

    /** Lists the files left in the fabric: every worker is gone by now. */
    private void leftBehind() {
        if (!Files.isDirectory(fabricDir)) {
            return;
        }
        final java.util.Map<Path, Long> owners = new java.util.HashMap<>();
        try (Fabric fabric = Fabric.open(new Fabric.Context().root(fabricDir).createIfMissing(false))) {
            for (final RegionInfo r : fabric.regions()) {
                owners.put(r.file().toAbsolutePath().normalize(), r.owner().pid());
            }
        } catch (final RuntimeException e) {
            say("cannot read the fabric's regions: " + e);
        }
        try (Stream<Path> files = Files.walk(fabricDir)) {
            // a dead worker's statistics file is kept for a minute after its last publication, by design (vmmc
            // stat shows it dead with its last figures); the fabric's sweeps remove it later
            final Path stat = fabricDir.resolve(org.softclan.dsm.stat.StatFileDescriptor.DIR);
            files.filter(Files::isRegularFile).filter(f -> !f.startsWith(stat)
                || org.softclan.dsm.stat.StatReader.reclaimable(f, org.softclan.dsm.stat.StatReader.RETAIN_DEAD_MILLIS))
                .sorted().forEach(f -> {
                final Long pid = owners.get(f.toAbsolutePath().normalize());
                final SoakProcess w = pid == null ? null : worker(pid);
                report.leftBehind(fabricDir.relativize(f) + (pid == null ? "" : " (" + owner(pid) + ")"),
                    w != null && !w.killed() && w.end() != null);
            });
        } catch (final IOException e) {
            say("cannot list the fabric: " + e);
        }
        // the name service's own files: a fixed-size lock file and one liveness file per live endpoint
        long names = -1;
        long live = 0;
        try {
            final Path lock = fabricDir.resolve(".names.lock");
            names = Files.exists(lock) ? Files.size(lock) : 0;
            final Path liveDir = fabricDir.resolve(".live");
            if (Files.isDirectory(liveDir)) {
                try (Stream<Path> l = Files.list(liveDir)) {
                    live = l.count();
                }
            }
        } catch (final IOException e) {
            say("cannot measure the fabric's bookkeeping: " + e);
        }
        report.bookkeeping(names, live);
    }

    private SoakProcess worker(final long pid) {
        synchronized (all) {
            for (final SoakProcess p : all) {
                if (p.pid() == pid) {
                    return p;
                }
            }
        }
        return null;
    }

    /** Cuts a region file of the worker {@code p} to 4 KiB; returns what it did, or null if it has none. */
    String truncateRegionOf(final SoakProcess p, final Random rnd) {
        final List<RegionInfo> mine = new ArrayList<>();
        try (Fabric fabric = Fabric.open(new Fabric.Context().root(fabricDir).createIfMissing(false))) {
            for (final RegionInfo r : fabric.regions()) {
                if (r.owner().pid() == p.pid()) {
                    mine.add(r);
                }
            }
        } catch (final RuntimeException e) {
            return null;
        }
        if (mine.isEmpty()) {
            return null;
        }
        final RegionInfo r = mine.get(rnd.nextInt(mine.size()));
        try (RandomAccessFile f = new RandomAccessFile(r.file().toFile(), "rw")) {
            final long was = f.length();
            f.setLength(4096);
            return "cut " + fabricDir.relativize(r.file()) + " from " + was + " to 4096 bytes";
        } catch (final IOException e) {
            return null;
        }
    }

    static void deleteTree(final Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (final Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (final IOException e) {
            // reported by the caller, which checks that the directory is gone
        }
    }
}
