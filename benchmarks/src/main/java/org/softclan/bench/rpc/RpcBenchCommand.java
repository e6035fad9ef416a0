package org.softclan.bench.rpc;

import static org.softclan.bench.peers.LatencyTable.median;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.softclan.bench.peers.MarkdownTable;
import org.softclan.bench.peers.PeerProcess;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.rpc.RpcCallback;
import org.softclan.vmmc.rpc.RpcClient;
import org.softclan.vmmc.rpc.RpcException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vmmc bench rpc}: RPC throughput and latency between two JVMs. The server JVM ({@link RpcBenchPeer})
 * echoes a long; this JVM's {@code --threads} client threads, spread over {@code --clients} connections, each
 * keep up to {@code --in-flight} calls outstanding (1: synchronous {@link RpcClient#call}; more: {@link
 * RpcClient#callAsync}), as fast as they can or at a fixed total {@code --rate}. Beside it the same workload over
 * TCP loopback with a minimal framing (16-byte requests and answers, the server's answers flushed in batches):
 * the kernel socket floor for the same job. Each transport runs in a fresh server JVM per round, rounds
 * alternate the order; the report (results.md) gives medians over the rounds.
 *
 * <p>Latency is measured from each call's intended send time when a rate is set (a stall is charged to every
 * call it delays), else from its send. A load thread whose calls complete on its own thread (TCP, synchronous
 * calls, an exclusive client) reads the clock once per receive, after the answers, and that reading is also the
 * send time of the calls it sends next: each latency is an upper bound ({@link Tally}).
 */
@Command(name = "rpc", mixinStandardHelpOptions = true,
    description = {"Null RPC calls between two JVMs: calls per second and latency percentiles, beside the same workload"
        + " over TCP loopback with a minimal framing. Writes results.md."})
public final class RpcBenchCommand implements Callable<Integer> {
    @Option(names = "--threads", defaultValue = "1", paramLabel = "T", description = "client threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--in-flight", defaultValue = "64", paramLabel = "N",
        description = "calls each thread keeps outstanding; 1: synchronous calls (default: ${DEFAULT-VALUE})")
    int inFlight;

    @Option(names = "--clients", defaultValue = "1", paramLabel = "C",
        description = "RPC connections the threads spread over (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "R",
        description = "calls per second in all, latency from each call's intended send time; 0: as fast as possible"
            + " (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--transports", split = ",", defaultValue = "rpc,tcp", description = "rpc and/or tcp (default: ${DEFAULT-VALUE})")
    List<String> transports;

    @Option(names = "--seconds", defaultValue = "3", description = "measured seconds per run (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--warmup-seconds", defaultValue = "2", description = "seconds of calls before (default: ${DEFAULT-VALUE})")
    double warmSeconds;

    @Option(names = "--rounds", defaultValue = "3", description = "rounds, each transport once per round (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--server-wait", defaultValue = "busy-spin",
        description = "the RPC server's polling wait strategy by name (default: ${DEFAULT-VALUE})")
    String serverWait;

    @Option(names = "--background-receiver", defaultValue = "false", fallbackValue = "true", arity = "0..1",
        description = "run the RPC clients' background receiver threads (default: ${DEFAULT-VALUE}: the load threads"
            + " receive for themselves)")
    boolean backgroundReceiver;

    @Option(names = "--batch", defaultValue = "true", fallbackValue = "true", arity = "0..1", negatable = true,
        description = "send asynchronous calls batched, published --batch-limit at a time or when the window is full, as"
            + " the TCP loop writes the calls that fit and flushes once (default: ${DEFAULT-VALUE}; --no-batch publishes"
            + " each call)")
    boolean batch;

    @Option(names = "--batch-limit", defaultValue = "16", paramLabel = "N",
        description = "batched calls published together at most (the RPC clients' batchLimit; default: ${DEFAULT-VALUE})")
    int batchLimit;

    @Option(names = "--exclusive", defaultValue = "true", fallbackValue = "true", arity = "0..1", negatable = true,
        description = "each load thread owns its RPC client (RpcClient.Context.exclusive: no send lock, no atomic"
            + " operation of the client's per call), when there is a client per thread and no background receiver"
            + " (default: ${DEFAULT-VALUE}; --no-exclusive: clients any thread may use)")
    boolean exclusive;

    @Option(names = "--futures", defaultValue = "false", fallbackValue = "true", arity = "0..1",
        description = "complete asynchronous calls through a CompletableFuture each (default: ${DEFAULT-VALUE}: a"
            + " reused RpcCallback each, no allocation per call)")
    boolean futures;

    @Option(names = "--out", paramLabel = "DIR", description = "where results go (default: bench-results/rpc-TIME)")
    Path out;

    /** One run's figures. */
    record Run(String transport, double callsPerSecond, double p50Micros, double p99Micros, double maxMicros) {
    }

    @Override
    public Integer call() throws Exception {
        try {
            check();
        } catch (final IllegalArgumentException e) {
            System.err.println("rpc: " + e.getMessage());
            return 2;
        }
        run();
        return 0;
    }

    /** @throws IllegalArgumentException naming the options out of range */
    void check() {
        for (final String t : transports) {
            if (!t.equals("rpc") && !t.equals("tcp")) {
                throw new IllegalArgumentException("transport '" + t + "': rpc or tcp");
            }
        }
        if (threads < 1 || inFlight < 1 || clients < 1 || clients > threads || rounds < 1) {
            throw new IllegalArgumentException("threads " + threads + ", in flight " + inFlight + ", clients " + clients
                + ", rounds " + rounds + ": need at least 1 each, and at most as many clients as threads");
        }
        if (!(rate >= 0) || !(seconds > 0) || !(warmSeconds >= 0) || Double.isInfinite(rate + seconds + warmSeconds)) {
            throw new IllegalArgumentException("rate " + rate + ", seconds " + seconds + ", warm-up " + warmSeconds
                + ": need finite numbers, seconds > 0, the others >= 0");
        }
        WaitStrategy.named(serverWait);
        if (batchLimit < 1) {
            throw new IllegalArgumentException("batch limit " + batchLimit + ": at least 1 request");
        }
    }

    /**
     * Runs every round, writes results.md and prints it; progress goes to standard error.
     *
     * @return the runs by transport
     * @throws IOException if a server JVM fails or the report cannot be written
     */
    Map<String, List<Run>> run() throws IOException {
        final Path dir = MarkdownTable.resultsDir(out, "rpc");
        final Map<String, List<Run>> runs = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < transports.size(); k++) {
                final String t = transports.get((k + r) % transports.size());
                final Run run = measure(t);
                runs.computeIfAbsent(t, x -> new ArrayList<>()).add(run);
                System.err.printf(Locale.ROOT, "round %d %s: %.0f calls/s, p50 %.1f us p99 %.1f max %.0f%n", r + 1, t,
                    run.callsPerSecond(), run.p50Micros(), run.p99Micros(), run.maxMicros());
            }
        }
        MarkdownTable.writeResults(dir, report(runs));
        return runs;
    }

    /** What each load thread does: issue calls and record their completions (one per transport). */
    private interface Load {
        void run(int thread, Meter meter) throws Exception;
    }

    /**
     * The measured window (after the warm-up, before the end: the calls completed in it are the calls measured),
     * the load threads' {@link Tally tallies} of their latencies, and when the load threads stop.
     */
    final class Meter {
        final long measureFrom;
        final long end;
        /** Nanoseconds between a thread's intended sends, or 0 (as fast as possible). */
        final long period;
        /** The load threads' histograms ({@link #tally}), merged once the threads ended. */
        private final List<Histogram> histograms = new ArrayList<>();

        Meter() {
            measureFrom = System.nanoTime() + (long) (warmSeconds * 1e9);
            end = measureFrom + (long) (seconds * 1e9);
            period = rate > 0 ? (long) (1e9 * threads / rate) : 0;
        }

        boolean running(final long now) {
            return now - end < 0;
        }

        /**
         * {@return a load thread's tally} {@code confined}: only that thread completes its calls (TCP, synchronous
         * calls, an exclusive client), so a plain histogram serves; else a concurrent one (a shared client's
         * callbacks run on whichever thread receives).
         */
        synchronized Tally tally(final boolean confined) {
            final Histogram h = confined ? new Histogram(MAX_LATENCY, 3) : new ConcurrentHistogram(MAX_LATENCY, 3);
            histograms.add(h);
            return new Tally(this, h, confined, Math.max(inFlight, 1));
        }

        /** {@return every thread's latencies in one histogram: after the load threads ended} */
        synchronized Histogram total() {
            final Histogram all = new Histogram(MAX_LATENCY, 3);
            histograms.forEach(all::add);
            return all;
        }

        /** {@return the send time of the next call after one due at {@code due}: now if no rate} */
        long next(final long due) {
            if (period == 0) {
                return System.nanoTime();
            }
            final long at = due + period;
            long now;
            while ((now = System.nanoTime()) - at < 0 && running(now)) {
                Thread.onSpinWait();
            }
            return at;
        }
    }

    /** The largest latency recorded (60 s, in ns): longer ones count as this. */
    private static final long MAX_LATENCY = TimeUnit.SECONDS.toNanos(60);

    /**
     * One load thread's latencies. Confined to its thread, it notes the send time of each call as the call
     * completes and reads the clock once for all it noted ({@link #record}), after the receive that completed them
     * returned: one clock read per receive rather than one per call, for TCP and RPC alike. A latency is then
     * bounded from above, never below: its send time was read at or before the send, its completion time after the
     * completion. Not confined (a shared client's callbacks), each completion reads the clock and records at once.
     */
    static final class Tally {
        private final Meter meter;
        private final Histogram histogram;
        private final boolean confined;
        /** Send times of the calls completed and not yet recorded (confined only). */
        private final long[] sent;
        private int count;

        Tally(final Meter meter, final Histogram histogram, final boolean confined, final int capacity) {
            this.meter = meter;
            this.histogram = histogram;
            this.confined = confined;
            this.sent = new long[confined ? capacity : 0];
        }

        /** A call sent (or due) at {@code from} completed: recorded now (not confined), or at the next {@link #record}. */
        void completed(final long from) {
            if (!confined) {
                completed(from, System.nanoTime());
                return;
            }
            if (count == sent.length) {
                record(System.nanoTime());
            }
            sent[count++] = from;
        }

        /** Records every completion noted as of {@code now} (a clock read after them); {@return {@code now}} */
        long record(final long now) {
            for (int i = 0; i < count; i++) {
                completed(sent[i], now);
            }
            count = 0;
            return now;
        }

        /** A call sent (or due) at {@code from} completed at {@code now}: recorded at once. */
        void completed(final long from, final long now) {
            if (from - meter.measureFrom >= 0 && now - meter.end < 0) {
                histogram.recordValue(Math.min(Math.max(0, now - from), MAX_LATENCY));
            }
        }
    }

    /** One run of {@code transport} against a fresh server JVM. */
    private Run measure(final String transport) throws IOException {
        final boolean rpc = transport.equals("rpc");
        try (Fabric fabric = Fabric.createTemporary(); Endpoint ep = rpc ? fabric.openEndpoint("rpc-bench-client") : null;
             PeerProcess server = PeerProcess.start(transport + " server", List.of(), RpcBenchPeer.class,
                 List.of(fabric.root().toString()))) {
            server.send(rpc ? "rpc bench 0 " + serverWait : "tcp");
            final String ok = server.expect("OK");
            final RpcClient[] cs = new RpcClient[rpc ? clients : 0];
            try {
                for (int i = 0; i < cs.length; i++) {
                    cs[i] = RpcClient.connect(ep, "bench", new RpcClient.Context().backgroundReceiver(backgroundReceiver)
                        .batchLimit(batchLimit).exclusive(exclusive()), 30, TimeUnit.SECONDS);
                }
                return load(transport, rpc ? (thread, meter) -> rpcLoad(cs[thread % clients], thread, meter)
                    : (thread, meter) -> tcpLoad(Integer.parseInt(ok.substring(3).trim()), thread, meter));
            } finally {
                for (final RpcClient c : cs) {
                    if (c != null) {
                        c.close();   // an exclusive client: closed by its load thread already (or never used)
                    }
                }
                server.exit();
            }
        }
    }

    /** Runs {@code load} on {@code threads} threads at once and takes the figures of the measured window. */
    private Run load(final String transport, final Load load) throws IOException {
        final Meter meter = new Meter();
        final java.util.concurrent.atomic.AtomicInteger named = new java.util.concurrent.atomic.AtomicInteger();
        final ExecutorService pool = Executors.newFixedThreadPool(threads,
            r -> new Thread(r, transport + "-load-" + named.getAndIncrement()));   // named for profiles and dumps
        try {
            for (final Future<Object> f : pool.invokeAll(IntStream.range(0, threads).mapToObj(i -> (Callable<Object>) () -> {
                load.run(i, meter);
                return null;
            }).toList())) {
                f.get();
            }
        } catch (final ExecutionException e) {
            throw new IOException(transport + " load failed: " + e.getCause(), e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } finally {
            pool.shutdown();
        }
        final Histogram h = meter.total();
        return new Run(transport, h.getTotalCount() / seconds, h.getValueAtPercentile(50) / 1e3,
            h.getValueAtPercentile(99) / 1e3, h.getMaxValue() / 1e3);
    }

    /** {@return whether the RPC clients are exclusive: asked, a client per thread, no background receiver} */
    boolean exclusive() {
        return exclusive && clients == threads && !backgroundReceiver;
    }

    private void rpcLoad(final RpcClient c, final int thread, final Meter meter) {
        if (!exclusive()) {
            rpcLoadOn(c, thread, meter);
            return;
        }
        try {
            rpcLoadOn(c, thread, meter);
        } finally {
            c.close();   // its owner, this thread, closes it
        }
    }

    private void rpcLoadOn(final RpcClient c, final int thread, final Meter meter) {
        long due = System.nanoTime();
        long n = (long) thread << 40;
        if (inFlight == 1) {
            final Tally tally = meter.tally(true);   // a synchronous call completes on its caller's thread
            while (meter.running(due)) {
                final long arg = ++n;
                final long result = c.call(RpcBenchPeer.ECHO, arg, 10, TimeUnit.SECONDS);
                final long now = System.nanoTime();
                if (result != arg) {
                    throw new IllegalStateException("call " + arg + " answered " + result);
                }
                tally.completed(due, now);
                due = meter.period == 0 ? now : meter.next(due);   // one clock read per call, as TCP's loop makes
            }
            return;
        }
        // the calls outstanding and the slots done: with an exclusive client its callbacks run on this thread, and
        // plain fields do (as the TCP loop keeps its counts); shared, the callbacks may run on another thread
        final boolean plain = exclusive();
        final Tally tally = meter.tally(plain);
        final AtomicInteger outstanding = new AtomicInteger();
        final int[] plainOutstanding = {0};
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        final ArrayBlockingQueue<RpcCallback<Long>> free = new ArrayBlockingQueue<>(inFlight + 1);   // slots done
        final Object[] plainFree = new Object[inFlight + 1];
        final int[] plainTop = {0};
        // one call in flight, its callback reused for call after call: the load allocates nothing per call either
        final class Slot implements RpcCallback<Long> {
            long arg;
            long sent;

            @Override
            public void onComplete(final Long result, final RpcException e) {
                done(result, e);
            }

            void done(final Long result, final Throwable e) {
                if (e != null || result == null || result != arg) {
                    failed.compareAndSet(null, e != null ? e : new IllegalStateException("call " + arg + " answered " + result));
                }
                tally.completed(sent);
                if (plain) {
                    plainFree[plainTop[0]++] = this;
                    plainOutstanding[0]--;
                } else {
                    free.offer(this);
                    outstanding.decrementAndGet();
                }
            }
        }
        while (meter.running(due) && failed.get() == null) {
            if ((plain ? plainOutstanding[0] : outstanding.get()) >= inFlight) {
                c.receive(inFlight, 10, TimeUnit.SECONDS);   // this thread completes its calls: no hand-off
                final long now = tally.record(System.nanoTime());   // after the completions: one clock read for all
                if (meter.period == 0) {
                    due = now;   // the send time of the calls sent until the next receive: read before they are sent
                }
                continue;
            }
            Slot slot;
            if (plain) {
                plainOutstanding[0]++;
                slot = plainTop[0] > 0 ? (Slot) plainFree[--plainTop[0]] : null;
            } else {
                outstanding.incrementAndGet();
                slot = (Slot) free.poll();
            }
            if (slot == null) {
                slot = new Slot();
            }
            slot.arg = ++n;
            slot.sent = due;
            // batched: published by the receive when the window is full (a fixed rate publishes each call: the
            // next one waits for its send time)
            final boolean batched = batch && meter.period == 0;
            if (futures) {
                (batched ? c.callAsyncBatched(RpcBenchPeer.ECHO, slot.arg, 10, TimeUnit.SECONDS)
                    : c.callAsync(RpcBenchPeer.ECHO, slot.arg, 10, TimeUnit.SECONDS)).whenComplete(slot::done);
            } else if (batched) {
                c.callAsyncBatched(RpcBenchPeer.ECHO, slot.arg, 10, TimeUnit.SECONDS, slot);
            } else {
                c.callAsync(RpcBenchPeer.ECHO, slot.arg, 10, TimeUnit.SECONDS, slot);
            }
            if (meter.period != 0) {
                due = meter.next(due);
            }
        }
        final long drain = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while ((plain ? plainOutstanding[0] : outstanding.get()) > 0 && System.nanoTime() - drain < 0) {
            c.receive(inFlight, 1, TimeUnit.SECONDS);
            tally.record(System.nanoTime());
        }
        if (failed.get() != null) {
            throw new IllegalStateException(failed.get());
        }
        final int left = plain ? plainOutstanding[0] : outstanding.get();
        if (left > 0) {
            throw new IllegalStateException(left + " calls still unanswered 15 s after the run");
        }
    }

    private void tcpLoad(final int port, final int thread, final Meter meter) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setTcpNoDelay(true);
            final DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
            final DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
            final long[] sentAt = new long[Integer.highestOneBit(inFlight) << 1];
            final int mask = sentAt.length - 1;
            long sent = 0;
            long answered = 0;
            long due = System.nanoTime();
            final long base = (long) thread << 40;
            final Tally tally = meter.tally(true);
            while (meter.running(due) || answered < sent) {
                // send every call that is due while fewer than inFlight are outstanding, then flush once
                boolean wrote = false;
                while (meter.running(due) && sent - answered < inFlight && (meter.period == 0 || System.nanoTime() - due >= 0)) {
                    sentAt[(int) (sent & mask)] = due;
                    out.writeLong(base + sent);
                    out.writeLong(base + sent);
                    sent++;
                    wrote = true;
                    if (meter.period != 0) {
                        due += meter.period;
                    }
                }
                if (wrote) {
                    out.flush();
                }
                if (answered < sent) {
                    // one answer (waiting for it), then every further one already here, before sending again: the
                    // calls that then fit in the window go out in one write, as the RPC loop receives all that arrived
                    do {
                        final long id = in.readLong();
                        final long result = in.readLong();
                        if (id != base + answered || result != id) {
                            throw new IOException("answer " + id + "/" + result + " to call " + (base + answered));
                        }
                        tally.completed(sentAt[(int) (answered & mask)]);
                        answered++;
                    } while (answered < sent && in.available() >= 16);
                    final long now = tally.record(System.nanoTime());   // after the answers: one clock read for all
                    if (meter.period == 0) {
                        due = now;   // the send time of the calls written next: read before they are written
                    }
                } else if (meter.period != 0) {
                    while (System.nanoTime() - due < 0 && meter.running(due)) {
                        Thread.onSpinWait();
                    }
                }
            }
        }
    }

    private String report(final Map<String, List<Run>> runs) {
        final StringBuilder md = new StringBuilder("# vmmc bench rpc\n\n");
        md.append(String.format(Locale.ROOT, "Two JVMs on this host (%d CPUs): %d client thread(s) over %d RPC"
            + " connection(s) (TCP: a connection per thread), %s, %s; a null call (a long echoed); %.1f s measured"
            + " after %.1f s, %d round(s), a fresh server JVM per run; the RPC server polls with '%s' and runs the"
            + " handler on its polling thread; the RPC clients %s a background receiver (a load thread whose window is"
            + " full receives for itself)%s%s.%s%n%n", Runtime.getRuntime().availableProcessors(), threads, clients,
            inFlight == 1 ? "synchronous calls" : "up to " + inFlight + " asynchronous calls in flight per thread",
            rate > 0 ? String.format(Locale.ROOT, "%.0f calls/s in all, latency from each call's intended send time", rate)
                : "as fast as possible, latency from each call's send, an upper bound (a load thread reads the clock once per"
                + " receive, after the answers, and takes that reading as the send time of the calls it sends next"
                + (inFlight > 1 && !exclusive() ? "; a shared RPC client's completions read it each" : "") + ")",
            seconds, warmSeconds, rounds, serverWait, backgroundReceiver ? "with" : "without",
            exclusive() ? ", each exclusive to its load thread (RpcClient.Context.exclusive: no send lock, no atomic"
                + " operation of the client's per call)" : ", shared (any thread may use them)",
            inFlight > 1 && rate == 0 ? batch ? "; calls sent batched (published " + batchLimit + " at a time, or when the"
                + " window is full and the thread receives, as the TCP loop writes the calls that fit and flushes once)"
                : "; each call published as it is sent" : "",
            inFlight > 1 ? futures ? " Asynchronous calls complete through a CompletableFuture each." : " Asynchronous calls"
                + " complete through a reused callback each (RpcCallback: no allocation per call)." : ""));
        md.append("| transport | calls/s | range | p50 us | p99 us | max us |\n|---|---:|---:|---:|---:|---:|\n");
        final Map<String, Double> medians = new LinkedHashMap<>();
        for (final Map.Entry<String, List<Run>> e : runs.entrySet()) {
            final double[] cps = e.getValue().stream().mapToDouble(Run::callsPerSecond).sorted().toArray();
            final double m = median(cps);
            medians.put(e.getKey(), m);
            md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f-%.0f | %.1f | %.1f | %.0f |%n", e.getKey(), m, cps[0],
                cps[cps.length - 1], median(e.getValue().stream().mapToDouble(Run::p50Micros).toArray()),
                median(e.getValue().stream().mapToDouble(Run::p99Micros).toArray()),
                median(e.getValue().stream().mapToDouble(Run::maxMicros).toArray())));
        }
        if (medians.containsKey("rpc") && medians.containsKey("tcp")) {
            // each round's two runs ran side by side (minutes apart at most): their ratio is steadier than the
            // ratio of medians when the machine's speed changes between rounds
            final List<Run> rpc = runs.get("rpc");
            final List<Run> tcp = runs.get("tcp");
            final double[] perRound = new double[rpc.size()];
            final StringBuilder each = new StringBuilder();
            for (int i = 0; i < perRound.length; i++) {
                perRound[i] = rpc.get(i).callsPerSecond() / tcp.get(i).callsPerSecond();
                each.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", perRound[i]));
            }
            md.append(String.format(Locale.ROOT, "%nrpc / tcp calls per second: %.1fx (medians); per round %s, median"
                + " %.1fx%n", medians.get("rpc") / medians.get("tcp"), each, median(perRound)));
        }
        return md.toString();
    }
}
