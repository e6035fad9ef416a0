package org.softclan.bench.rpc;

import static org.softclan.bench.peers.LatencyTable.median;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.softclan.bench.peers.MarkdownTable;
import org.softclan.bench.peers.PeerProcess;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.rpc.RpcClient;

/**
 * {@code vmmc bench rpc}: RPC throughput and latency between two JVMs. The server JVM ({@link RpcBenchPeer})
 * echoes a long; this JVM's {@code threads} client threads, spread over {@code clients} connections, each keep
 * up to {@code inFlight} calls outstanding (1: synchronous {@link RpcClient#call}; more: {@link
 * RpcClient#callAsync}), as fast as they can or at a fixed total {@code rate}. Beside it the same workload over
 * TCP loopback with a minimal framing (16-byte requests and answers, the server's answers flushed in batches):
 * the kernel socket floor for the same job. Each transport runs in a fresh server JVM per round, rounds
 * alternate the order; the report gives medians over the rounds.
 *
 * <p>Latency is measured from each call's intended send time when a rate is set (a stall is charged to every
 * call it delays), else from its send.
 */
public final class RpcBench {
    private final List<String> transports;
    private final int threads;
    private final int inFlight;
    private final int clients;
    private final double rate;
    private final double seconds;
    private final double warmSeconds;
    private final int rounds;
    private final String serverWait;
    private final boolean backgroundReceiver;
    private final boolean batch;
    private int batchLimit = 16;
    private boolean futures;
    private final Path dir;
    private final PrintStream log;

    /** One run's figures. */
    record Run(String transport, double callsPerSecond, double p50Micros, double p99Micros, double maxMicros) {
    }

    /**
     * @param transports  {@code rpc} and/or {@code tcp}
     * @param threads     client threads
     * @param inFlight    calls each thread keeps outstanding (1: synchronous calls)
     * @param clients     RPC connections (the threads spread over them); TCP: one connection per thread
     * @param rate        calls per second in all (0: as fast as possible)
     * @param seconds     measured seconds per run
     * @param warmSeconds seconds of calls before those
     * @param rounds      rounds (each transport once per round)
     * @param serverWait  the RPC server's polling wait strategy, by name
     * @param backgroundReceiver whether the RPC clients run their background receiver (the load threads receive
     *                    for themselves either way when their window is full)
     * @param batch       whether asynchronous calls as fast as possible are sent batched
     *                    ({@link RpcClient#callAsyncBatched}: those sent before a receive are published together, as
     *                    the TCP loop writes the calls it sends into its buffer and flushes once)
     * @param dir         where results.md goes
     * @param log         where progress goes
     */
    public RpcBench(final List<String> transports, final int threads, final int inFlight, final int clients,
                    final double rate, final double seconds, final double warmSeconds, final int rounds,
                    final String serverWait, final boolean backgroundReceiver, final boolean batch, final Path dir,
                    final PrintStream log) {
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
        this.transports = List.copyOf(transports);
        this.threads = threads;
        this.inFlight = inFlight;
        this.clients = clients;
        this.rate = rate;
        this.seconds = seconds;
        this.warmSeconds = warmSeconds;
        this.rounds = rounds;
        this.serverWait = serverWait;
        this.backgroundReceiver = backgroundReceiver;
        this.batch = batch;
        this.dir = dir;
        this.log = log;
    }

    /**
     * Sets the RPC clients' {@link RpcClient.Context#batchLimit} (batched calls only).
     *
     * @param requests requests per published batch, at least 1
     * @return this
     */
    public RpcBench batchLimit(final int requests) {
        if (requests < 1) {
            throw new IllegalArgumentException("batch limit " + requests + ": at least 1 request");
        }
        this.batchLimit = requests;
        return this;
    }

    /**
     * Sets how asynchronous calls complete: through a {@link java.util.concurrent.CompletableFuture} each, or a
     * reused {@link org.softclan.vmmc.rpc.RpcCallback} (the default).
     *
     * @param on whether to use futures
     * @return this
     */
    public RpcBench futures(final boolean on) {
        this.futures = on;
        return this;
    }

    /**
     * Runs every round, writes results.md and prints it.
     *
     * @return the runs by transport
     * @throws IOException if a server JVM fails or the report cannot be written
     */
    public Map<String, List<Run>> run() throws IOException {
        final Map<String, List<Run>> runs = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < transports.size(); k++) {
                final String t = transports.get((k + r) % transports.size());
                final Run run = t.equals("rpc") ? rpc() : tcp();
                runs.computeIfAbsent(t, x -> new ArrayList<>()).add(run);
                log.printf(Locale.ROOT, "round %d %s: %.0f calls/s, p50 %.1f us p99 %.1f max %.0f%n", r + 1, t,
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
     * Counts completions and latencies in the measured window only (after the warm-up, before the end), and
     * tells the load threads when to stop.
     */
    private static final class Meter {
        final long start;
        final long measureFrom;
        final long end;
        final LongAdder calls = new LongAdder();
        final Recorder latency = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
        /** Nanoseconds between a thread's intended sends, or 0 (as fast as possible). */
        final long period;

        Meter(final double warmSeconds, final double seconds, final double rate, final int threads) {
            start = System.nanoTime();
            measureFrom = start + (long) (warmSeconds * 1e9);
            end = measureFrom + (long) (seconds * 1e9);
            period = rate > 0 ? (long) (1e9 * threads / rate) : 0;
        }

        boolean running(final long now) {
            return now - end < 0;
        }

        /** A call sent (or due) at {@code from} completed at {@code now}. */
        void completed(final long from, final long now) {
            if (from - measureFrom >= 0 && now - end < 0) {
                calls.increment();
                latency.recordValue(Math.min(Math.max(0, now - from), TimeUnit.SECONDS.toNanos(60)));
            }
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

    private Run measure(final String transport, final Load load) throws IOException {
        final Meter meter = new Meter(warmSeconds, seconds, rate, threads);
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        final Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            final int thread = i;
            ts[i] = new Thread(() -> {
                try {
                    load.run(thread, meter);
                } catch (final Throwable e) {
                    failed.compareAndSet(null, e);
                }
            }, transport + "-load-" + i);
            ts[i].start();
        }
        for (final Thread t : ts) {
            try {
                t.join();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        if (failed.get() != null) {
            throw new IOException(transport + " load failed: " + failed.get(), failed.get());
        }
        final Histogram h = meter.latency.getIntervalHistogram();
        return new Run(transport, meter.calls.sum() / seconds, h.getValueAtPercentile(50) / 1e3,
            h.getValueAtPercentile(99) / 1e3, h.getMaxValue() / 1e3);
    }

    private Run rpc() throws IOException {
        try (Fabric fabric = Fabric.createTemporary(); Endpoint ep = fabric.openEndpoint("rpc-bench-client");
             PeerProcess server = PeerProcess.start("rpc server", List.of(), RpcBenchPeer.class,
                 List.of(fabric.root().toString()))) {
            server.send("rpc bench " + 0 + " " + serverWait);
            server.expect("OK");
            final RpcClient[] cs = new RpcClient[clients];
            try {
                for (int i = 0; i < clients; i++) {
                    cs[i] = RpcClient.connect(ep, "bench", new RpcClient.Context().backgroundReceiver(backgroundReceiver)
                        .batchLimit(batchLimit),
                        30, TimeUnit.SECONDS);
                }
                return measure("rpc", (thread, meter) -> rpcLoad(cs[thread % clients], thread, meter));
            } finally {
                for (final RpcClient c : cs) {
                    if (c != null) {
                        c.close();
                    }
                }
                server.exit();
            }
        }
    }

    /** The callback of one call in flight, reused for call after call. */
    private static final class Slot implements org.softclan.vmmc.rpc.RpcCallback<Long> {
        private final Meter meter;
        private final AtomicInteger outstanding;
        private final AtomicReference<Throwable> failed;
        private final java.util.concurrent.ArrayBlockingQueue<Slot> free;
        long arg;
        long sent;

        Slot(final Meter meter, final AtomicInteger outstanding, final AtomicReference<Throwable> failed,
             final java.util.concurrent.ArrayBlockingQueue<Slot> free) {
            this.meter = meter;
            this.outstanding = outstanding;
            this.failed = failed;
            this.free = free;
        }

        @Override
        public void onComplete(final Long result, final org.softclan.vmmc.rpc.RpcException e) {
            final long now = System.nanoTime();
            if (e != null || result != arg) {
                failed.compareAndSet(null, e != null ? e : new IllegalStateException("call " + arg + " answered " + result));
            }
            meter.completed(sent, now);
            free.offer(this);
            outstanding.decrementAndGet();
        }
    }

    private void rpcLoad(final RpcClient c, final int thread, final Meter meter) {
        long due = System.nanoTime();
        long n = (long) thread << 40;
        if (inFlight == 1) {
            while (meter.running(due)) {
                final long arg = ++n;
                final long result = c.call(RpcBenchPeer.ECHO, arg, 10, TimeUnit.SECONDS);
                final long now = System.nanoTime();
                if (result != arg) {
                    throw new IllegalStateException("call " + arg + " answered " + result);
                }
                meter.completed(due, now);
                due = meter.next(due);
            }
            return;
        }
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        final java.util.concurrent.ArrayBlockingQueue<Slot> free = new java.util.concurrent.ArrayBlockingQueue<>(inFlight + 1);
        while (meter.running(due) && failed.get() == null) {
            if (outstanding.get() >= inFlight) {
                c.receive(inFlight, 10, TimeUnit.SECONDS);   // this thread completes its calls: no hand-off
                continue;
            }
            outstanding.incrementAndGet();
            final long arg = ++n;
            final long sent = due;
            // batched: published by the receive when the window is full (a fixed rate publishes each call: the
            // next one waits for its send time)
            final boolean batched = batch && meter.period == 0;
            if (futures) {
                (batched ? c.callAsyncBatched(RpcBenchPeer.ECHO, arg, 10, TimeUnit.SECONDS)
                    : c.callAsync(RpcBenchPeer.ECHO, arg, 10, TimeUnit.SECONDS)).whenComplete((result, e) -> {
                    final long now = System.nanoTime();
                    if (e != null || result != arg) {
                        failed.compareAndSet(null, e != null ? e : new IllegalStateException("call " + arg + " answered " + result));
                    }
                    meter.completed(sent, now);
                    outstanding.decrementAndGet();
                });
            } else {
                // a reused callback per call in flight: the load allocates nothing per call either
                Slot slot = free.poll();
                if (slot == null) {
                    slot = new Slot(meter, outstanding, failed, free);
                }
                slot.arg = arg;
                slot.sent = sent;
                if (batched) {
                    c.callAsyncBatched(RpcBenchPeer.ECHO, arg, 10, TimeUnit.SECONDS, slot);
                } else {
                    c.callAsync(RpcBenchPeer.ECHO, arg, 10, TimeUnit.SECONDS, slot);
                }
            }
            due = meter.next(due);
        }
        final long drain = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (outstanding.get() > 0 && System.nanoTime() - drain < 0) {
            c.receive(inFlight, 1, TimeUnit.SECONDS);
        }
        if (failed.get() != null) {
            throw new IllegalStateException(failed.get());
        }
    }

    private Run tcp() throws IOException {
        try (Fabric fabric = Fabric.createTemporary();
             PeerProcess server = PeerProcess.start("tcp server", List.of(), RpcBenchPeer.class,
                 List.of(fabric.root().toString()))) {
            server.send("tcp");
            final int port = Integer.parseInt(server.expect("OK").substring(3).trim());
            try {
                return measure("tcp", (thread, meter) -> tcpLoad(port, thread, meter));
            } finally {
                server.exit();
            }
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
            while (meter.running(due) || answered < sent) {
                // send every call that is due while fewer than inFlight are outstanding, then flush once
                boolean wrote = false;
                while (meter.running(due) && sent - answered < inFlight && (meter.period == 0 || System.nanoTime() - due >= 0)) {
                    sentAt[(int) (sent & mask)] = due;
                    out.writeLong(base + sent);
                    out.writeLong(base + sent);
                    sent++;
                    wrote = true;
                    due = meter.period == 0 ? System.nanoTime() : due + meter.period;
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
                        final long now = System.nanoTime();
                        if (id != base + answered || result != id) {
                            throw new IOException("answer " + id + "/" + result + " to call " + (base + answered));
                        }
                        meter.completed(sentAt[(int) (answered & mask)], now);
                        answered++;
                    } while (answered < sent && in.available() >= 16);
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
            + " full receives for itself)%s.%s%n%n", Runtime.getRuntime().availableProcessors(), threads, clients,
            inFlight == 1 ? "synchronous calls" : "up to " + inFlight + " asynchronous calls in flight per thread",
            rate > 0 ? String.format(Locale.ROOT, "%.0f calls/s in all, latency from each call's intended send time", rate)
                : "as fast as possible, latency from each call's send",
            seconds, warmSeconds, rounds, serverWait, backgroundReceiver ? "with" : "without",
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
