package org.softclan.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The figures of a {@code vmmc soak} run and the invariants it checks: each pair of workers is judged
 * when it ends ({@link #mqPair}, {@link #rpcPair}, {@link #streamPair}) from the last counters its workers
 * printed and how they ended; attacks, crashes, overruns, errors and files left behind are added as they
 * are found. {@link #passed()} holds only if no invariant broke.
 *
 * <p>"Lost" is precise: a gap in the sequence a reader received from a writer (counted by
 * {@link SequenceCheck}), plus, when the reader outlived the writer (it read to the writer's departure),
 * the records the writer reported sent that never arrived. Records a killed writer never sent, or a
 * killed, signalled or closed reader never read, are not lost. A pair one of whose region files was cut
 * from outside is not a pair of well-behaved peers: its message and byte figures are shown apart and
 * break no invariant (its crashes, hangs and errors still do).
 */
final class SoakReport {
    /** Figures of one kind of traffic, for well-behaved pairs and for pairs whose regions were cut. */
    static final class Figures {
        final Map<String, Long> counts = new TreeMap<>();

        void add(final String name, final long value) {
            counts.merge(name, value, Long::sum);
        }

        long get(final String name) {
            return counts.getOrDefault(name, 0L);
        }
    }

    private final Figures mq = new Figures();
    private final Figures mqCut = new Figures();
    private final Figures rpc = new Figures();
    private final Figures rpcCut = new Figures();
    private final Figures stream = new Figures();
    private final Figures streamCut = new Figures();
    private final Figures stranger = new Figures();
    private final Map<String, Long> attacks = new TreeMap<>();
    private final List<String> failures = new ArrayList<>();
    private final List<String> overruns = new ArrayList<>();
    private final List<String> crashes = new ArrayList<>();
    private final List<String> leftBehind = new ArrayList<>();
    private long pairs;
    private long leftByCleanExits;
    private long peerGoneNoticed;
    private long slowestNoticeMs;
    private long cuwCount;
    private long slowestCuwMs;

    private static long v(final Map<String, Long> stats, final String name) {
        return stats.getOrDefault(name, 0L);
    }

    private static boolean startsWith(final String reason, final String prefix) {
        return reason != null && reason.startsWith(prefix);
    }

    /**
     * Judges a message-queue pair.
     *
     * @param reader    the reader's last counters
     * @param readerEnd why the reader ended ({@code soak:end reason=...}), null if it was killed
     * @param writer    the writer's last counters
     * @param cut       whether one of the pair's region files was cut from outside
     */
    synchronized void mqPair(final String pair, final Map<String, Long> reader, final String readerEnd,
                             final Map<String, Long> writer, final boolean cut) {
        pairs++;
        final Figures f = cut ? mqCut : mq;
        f.add("pairs", 1);
        f.add("sent", v(writer, "sent"));
        f.add("received", v(reader, "received"));
        f.add("duplicated", v(reader, "duplicated"));
        f.add("reordered", v(reader, "reordered"));
        f.add("torn", v(reader, "torn"));
        long lost = v(reader, "lost");
        // the reader read until the writer left: everything the writer reported sent must have arrived
        if (startsWith(readerEnd, "peer-gone")) {
            lost += Math.max(0, v(writer, "sent") - v(reader, "highest"));
        }
        f.add("lost", lost);
        strangers(reader);
        if (!cut) {
            check(lost == 0, pair + ": " + lost + " messages lost between a live writer and a live reader");
            check(v(reader, "duplicated") == 0, pair + ": " + v(reader, "duplicated") + " messages duplicated");
            check(v(reader, "reordered") == 0, pair + ": " + v(reader, "reordered") + " messages reordered");
            check(v(reader, "torn") == 0, pair + ": " + v(reader, "torn") + " torn messages");
            check(!startsWith(readerEnd, "protocol-error"), pair + ": the reader's connection to a well-behaved writer"
                + " broke with a protocol error: " + readerEnd);
        }
    }

    /** Judges an RPC pair from the client's counters. */
    synchronized void rpcPair(final String pair, final Map<String, Long> client, final Map<String, Long> server,
                              final boolean cut) {
        pairs++;
        final Figures f = cut ? rpcCut : rpc;
        f.add("pairs", 1);
        for (final String k : List.of("calls", "answered", "wrong", "timeouts", "failed", "async-never-completed")) {
            f.add(k, v(client, k));
        }
        f.add("served", v(server, "served"));
        strangers(server);
        if (!cut) {
            check(v(client, "wrong") == 0, pair + ": " + v(client, "wrong") + " wrong RPC answers");
            check(v(client, "async-never-completed") == 0, pair + ": " + v(client, "async-never-completed")
                + " asynchronous calls never completed, not even with a timeout");
        }
    }

    /**
     * Judges a byte-stream pair.
     *
     * @param tailChecked whether the bytes the sender reported written must all have arrived when the
     *                    receiver saw the sender go (true for PIO, whose writes are in the ring when they
     *                    return; not for a killed DMA sender, whose engine may not have moved them)
     */
    synchronized void streamPair(final String pair, final Map<String, Long> receiver, final String receiverEnd,
                                 final Map<String, Long> sender, final boolean tailChecked, final boolean cut) {
        pairs++;
        final Figures f = cut ? streamCut : stream;
        f.add("pairs", 1);
        f.add("sent", v(sender, "sent"));
        f.add("checked", v(receiver, "checked"));
        f.add("corrupted", v(receiver, "corrupted"));
        long lost = 0;
        if ("eof".equals(receiverEnd) || tailChecked && startsWith(receiverEnd, "peer-gone")) {
            lost = Math.max(0, v(sender, "sent") - v(receiver, "checked"));
        }
        f.add("lost", lost);
        strangers(receiver);
        if (!cut) {
            check(v(receiver, "corrupted") == 0, pair + ": " + v(receiver, "corrupted") + " corrupted stream bytes");
            check(lost == 0, pair + ": " + lost + " stream bytes the sender wrote never arrived");
            check(!startsWith(receiverEnd, "protocol-error"), pair + ": the stream from a well-behaved sender broke"
                + " with a protocol error: " + receiverEnd);
        }
    }

    private void strangers(final Map<String, Long> server) {
        stranger.add("connections", v(server, "stranger-conns"));
        stranger.add("dropped", v(server, "stranger-dropped"));
        stranger.add("messages", v(server, "stranger-msgs"));
        stranger.add("bytes", v(server, "stranger-bytes"));
    }

    /** Counts an attack of a kind. */
    synchronized void attack(final String kind) {
        attacks.merge(kind, 1L, Long::sum);
    }

    /** A survivor noticed its peer's departure (ended by itself) after {@code ms}. */
    synchronized void noticed(final long ms) {
        peerGoneNoticed++;
        slowestNoticeMs = Math.max(slowestNoticeMs, ms);
    }

    /** A thread waiting in receive left {@code ms} after another closed its connection. */
    synchronized void closeUnderWaiter(final long ms) {
        cuwCount++;
        slowestCuwMs = Math.max(slowestCuwMs, ms);
    }

    /** A wait that took longer than its bound (a hang, for the soak). */
    synchronized void overrun(final String what) {
        overruns.add(what);
        failures.add("overrun: " + what);
    }

    /** A JVM crash (an hs_err file, or a worker killed by a signal the soak did not send). */
    synchronized void crash(final String what) {
        crashes.add(what);
        failures.add("crash: " + what);
    }

    /** Any other broken invariant (an unexpected exception in a worker, ...). */
    synchronized void fail(final String what) {
        failures.add(what);
    }

    /**
     * A file left in the fabric by a process that is gone.
     *
     * @param byCleanExit whether its owner ended by itself (not killed, not crashed): such a file is a leak
     */
    private long namesLockBytes = -1;
    private long liveFiles;

    /**
     * The fabric's bookkeeping once every worker is gone: it must be what live processes hold (no
     * liveness file left) plus the fixed-size name lock, whatever the run did.
     */
    synchronized void bookkeeping(final long namesLock, final long live) {
        namesLockBytes = namesLock;
        liveFiles = live;
        if (live > 0) {
            fail("bookkeeping: " + live + " liveness file(s) left in .live with no worker running");
        }
    }

    synchronized void leftBehind(final String what, final boolean byCleanExit) {
        leftBehind.add(what);
        if (byCleanExit) {
            leftByCleanExits++;
        }
    }

    private void check(final boolean ok, final String failure) {
        if (!ok) {
            failures.add(failure);
        }
    }

    synchronized boolean passed() {
        return failures.isEmpty();
    }

    synchronized List<String> failures() {
        return List.copyOf(failures);
    }

    synchronized Figures mq() {
        return mq;
    }

    synchronized Figures rpc() {
        return rpc;
    }

    synchronized Figures stream() {
        return stream;
    }

    /** Prints the report. */
    synchronized void print(final PrintWriter out) {
        out.println("report:");
        out.printf("  pairs of workers          %d%n", pairs);
        out.printf("  message queues            pairs %d: sent %d, received %d, lost %d, duplicated %d, reordered %d,"
                + " torn %d%n", mq.get("pairs"), mq.get("sent"), mq.get("received"), mq.get("lost"),
            mq.get("duplicated"), mq.get("reordered"), mq.get("torn"));
        out.printf("  rpc                       pairs %d: calls %d, answered %d, wrong %d, timed out %d, failed %d"
                + " (server served %d)%n", rpc.get("pairs"), rpc.get("calls"), rpc.get("answered"), rpc.get("wrong"),
            rpc.get("timeouts"), rpc.get("failed"), rpc.get("served"));
        out.printf("  byte streams              pairs %d: bytes sent %d, checked %d, corrupted %d, lost %d%n",
            stream.get("pairs"), stream.get("sent"), stream.get("checked"), stream.get("corrupted"), stream.get("lost"));
        out.printf("  total                     messages sent %d, received %d, lost %d, duplicated %d, reordered %d,"
                + " torn %d; rpc calls %d, answered %d, wrong %d; stream bytes checked %d, corrupted %d%n",
            mq.get("sent") + mqCut.get("sent"), mq.get("received") + mqCut.get("received"), mq.get("lost"),
            mq.get("duplicated"), mq.get("reordered"), mq.get("torn"), rpc.get("calls") + rpcCut.get("calls"),
            rpc.get("answered") + rpcCut.get("answered"), rpc.get("wrong"),
            stream.get("checked") + streamCut.get("checked"), stream.get("corrupted"));
        out.printf("  pairs with a cut region   message queues %d (sent %d, received %d, lost %d, torn %d);"
                + " rpc %d (calls %d, answered %d, wrong %d); streams %d (checked %d, corrupted %d)%n",
            mqCut.get("pairs"), mqCut.get("sent"), mqCut.get("received"), mqCut.get("lost"), mqCut.get("torn"),
            rpcCut.get("pairs"), rpcCut.get("calls"), rpcCut.get("answered"), rpcCut.get("wrong"),
            streamCut.get("pairs"), streamCut.get("checked"), streamCut.get("corrupted"));
        out.printf("  hostile connections       dropped by the workers %d (garbage they delivered as messages: %d,"
                + " as stream bytes: %d)%n", stranger.get("dropped"), stranger.get("messages"), stranger.get("bytes"));
        final StringBuilder a = new StringBuilder();
        attacks.forEach((k, n) -> a.append(a.length() == 0 ? "" : ", ").append(k).append(' ').append(n));
        out.printf("  attacks                   %s%n", a.length() == 0 ? "none" : a);
        out.printf("  peer departures noticed   %d, slowest after %d ms (bound %d ms)%n", peerGoneNoticed,
            slowestNoticeMs, Soak.NOTICE_BOUND_MS);
        out.printf("  close under waiter        %d, slowest waiter left after %d ms%n", cuwCount, slowestCuwMs);
        out.printf("  JVM crashes               %d%s%n", crashes.size(), list(crashes));
        out.printf("  overrun waits             %d%s%n", overruns.size(), list(overruns));
        out.printf("  files left behind         %d by workers that are gone, %d of them by workers that ended by"
            + " themselves (not killed or crashed)%s%n", leftBehind.size(), leftByCleanExits, list(leftBehindSorted()));
        out.printf("  bookkeeping at the end    .names.lock %d bytes (fixed size), .live %d file(s) (no worker"
            + " runs)%n", namesLockBytes, liveFiles);
    }

    /** @return the files left behind, regions and other files before the name service's bookkeeping */
    synchronized List<String> leftBehindSorted() {
        final List<String> sorted = new ArrayList<>(leftBehind);
        sorted.sort(java.util.Comparator.comparing((String f) -> f.startsWith(".")).thenComparing(f -> f));
        return sorted;
    }

    private static String list(final List<String> items) {
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < items.size() && i < 30; i++) {
            b.append(System.lineSeparator()).append("      ").append(items.get(i));
        }
        if (items.size() > 30) {
            b.append(System.lineSeparator()).append("      ... and ").append(items.size() - 30).append(" more");
        }
        return b.toString();
    }
}
