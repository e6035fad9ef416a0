package org.softclan.examples.rpc;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.softclan.vmmc.rpc.RpcException;

/**
 * What {@link KvClient} runs against a server: a scripted part (puts, gets, overwrites, deletes, scans,
 * rejected calls) and a timed loop of gets and puts on several threads, every answer checked against a
 * local model of what the store must hold. Each run works under its own key prefix, so several clients
 * (or runs) can share a server.
 */
public final class KvWorkload {
    /** Keys each thread of the timed loop uses. */
    static final int KEYS_PER_THREAD = 512;

    /**
     * What a run found.
     *
     * @param answers    answers checked
     * @param firstWrong the first wrong answer or failed call, or null
     * @param timedCalls calls in the timed loop (after warm-up)
     * @param timedNanos how long the timed loop took
     * @param latency    round trip of each timed call, in nanoseconds
     */
    public record Result(long answers, String firstWrong, long timedCalls, long timedNanos, Histogram latency) {
        /** @return whether every answer was right */
        public boolean allCorrect() {
            return firstWrong == null;
        }

        /** @return timed calls per second */
        public double callsPerSecond() {
            return timedNanos == 0 ? 0 : timedCalls * 1e9 / timedNanos;
        }
    }

    private final KvClient kv;
    private final String ns;
    private final Answers answers = new Answers();
    /** The timed loop's models, one per thread (each thread has its own keys), kept from warm-up to measurement. */
    private final List<Map<String, String>> threadModels = new ArrayList<>();

    private KvWorkload(final KvClient kv, final String ns) {
        this.kv = kv;
        this.ns = ns;
    }

    /** The shortest warm-up before the timed calls: the JIT compiles the call path meanwhile. */
    static final long WARM_UP_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** The longest warm-up, however the round trip still changes. */
    static final long WARM_UP_MAX_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Calls per warm-up batch (at least): the round trip is compared batch to batch. */
    static final int WARM_UP_BATCH = 5_000;

    /**
     * Runs the scripted part, then {@code calls} timed get/put calls spread over {@code threads} threads,
     * printing progress to {@code out}. Before them, untimed batches of calls until the round trip settles (a
     * batch no more than 10% faster than the one before), for at least {@link #WARM_UP_NANOS} and at most
     * {@link #WARM_UP_MAX_NANOS}: while the call path is not compiled yet, a round trip outlasts the waits'
     * spin and every call blocks (measured: 50-70 us per call after 20 000 calls, 2-4 us after 100 000).
     */
    public static Result run(final KvClient kv, final int calls, final int threads, final PrintWriter out) {
        final String ns = "run-" + ProcessHandle.current().pid() + "-" + Long.toString(System.nanoTime(), 36) + "/";
        return new KvWorkload(kv, ns).run(calls, threads, out);
    }

    private Result run(final int calls, final int threads, final PrintWriter out) {
        try {
            scripted();
        } catch (final Answers.Stop stop) {
            return new Result(answers.count(), answers.firstWrong(), 0, 0, new Histogram(3));
        }
        out.println("scripted: " + answers.count() + " answers right (puts, gets, overwrites, deletes, scans,"
            + " rejected calls)");
        out.flush();
        final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        for (int t = 0; t < threads; t++) {
            threadModels.add(new HashMap<>());
        }
        final long[] nanos = new long[1];
        try {
            final long warmStart = System.nanoTime();
            long warmCalls = 0;
            long previous = Long.MAX_VALUE;
            while (true) {
                final int batch = Math.max(threads, WARM_UP_BATCH);
                timed(batch, threads, null, nanos);
                warmCalls += batch;
                final long spent = System.nanoTime() - warmStart;
                final boolean settled = nanos[0] > 0.9 * previous;
                previous = nanos[0];
                if (spent >= WARM_UP_MAX_NANOS || spent >= WARM_UP_NANOS && settled) {
                    break;
                }
            }
            out.println(String.format(java.util.Locale.ROOT, "warm-up: %d get/put calls in %.1f s (untimed)", warmCalls,
                (System.nanoTime() - warmStart) / 1e9));
            out.flush();
            timed(calls, threads, latency, nanos);
        } catch (final Answers.Stop stop) {
            return new Result(answers.count(), answers.firstWrong(), latency.getTotalCount(), nanos[0], latency);
        }
        return new Result(answers.count(), answers.firstWrong(), latency.getTotalCount(), nanos[0], latency);
    }

    // ----------------------------------------------------------------------------------- scripted

    private final NavigableMap<String, String> model = new TreeMap<>();

    private void put(final String key, final String value) {
        final String call = "put(" + KvService.quote(key) + ", " + KvService.quote(value) + ")";
        answers.expect(call, model.put(key, value), attempt(call, () -> kv.put(key, value)));
    }

    private void get(final String key) {
        final String call = "get(" + KvService.quote(key) + ")";
        answers.expect(call, model.get(key), attempt(call, () -> kv.get(key)));
    }

    private void delete(final String key) {
        final String call = "delete(" + KvService.quote(key) + ")";
        answers.expect(call, model.remove(key) != null, attempt(call, () -> kv.delete(key)));
    }

    private void scan(final String prefix) {
        final String call = "scan(" + KvService.quote(prefix) + ")";
        final List<KvEntry> expected = new ArrayList<>();
        for (final Map.Entry<String, String> e : model.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            expected.add(new KvEntry(e.getKey(), e.getValue()));
        }
        answers.expect(call, expected, attempt(call, () -> kv.scan(prefix)));
    }

    /** A call the server must refuse with a handler error. */
    private void rejected(final String call, final Runnable body) {
        try {
            body.run();
            throw answers.wrong(call + " returned an answer; expected a handler error");
        } catch (final RpcException e) {
            answers.expect(call, RpcException.Kind.REMOTE_ERROR, e.kind());
        }
    }

    private <T> T attempt(final String call, final java.util.function.Supplier<T> body) {
        try {
            return body.get();
        } catch (final RpcException e) {
            throw answers.failed(call, e);
        }
    }

    private String user(final int i) {
        return String.format(Locale.ROOT, "%suser/%03d", ns, i);
    }

    private void scripted() {
        final int users = 100;
        for (int i = 0; i < users; i++) {
            put(user(i), "v1-" + i);                         // all new: previous is null
        }
        for (int i = 0; i < users; i++) {
            get(user(i));
        }
        for (int i = 0; i < 20; i++) {
            get(ns + "missing/" + i);                        // never written: null
        }
        for (int i = 0; i < users; i += 3) {
            put(user(i), "v2-" + i);                         // overwrite: previous is v1
        }
        for (int i = 0; i < users; i += 5) {
            delete(user(i));                                 // there: true
            delete(user(i));                                 // gone now: false
        }
        delete(ns + "missing/0");
        for (int i = 0; i < users; i++) {
            get(user(i));                                    // deleted ones are null
        }
        scan(ns + "user/0");                                 // user/000..099, less the deleted
        scan(ns + "user/05");
        scan(ns);                                            // everything this run wrote
        scan(ns + "nothing/");                               // empty
        put(ns + "edge/empty", "");
        put(ns + "edge/ünïcødé/κλειδί", "värde ✓ 値");
        final StringBuilder big = new StringBuilder();
        for (int i = 0; big.length() < 64 * 1024; i++) {
            big.append(i).append(',');
        }
        put(ns + "edge/big", big.toString());
        get(ns + "edge/empty");
        get(ns + "edge/ünïcødé/κλειδί");
        get(ns + "edge/big");
        scan(ns + "edge/");
        rejected("put(null, \"x\")", () -> kv.put(null, "x"));
        rejected("put(" + KvService.quote(ns + "edge/null") + ", null)", () -> kv.put(ns + "edge/null", null));
        get(ns + "edge/null");                               // the rejected put stored nothing
    }

    // -------------------------------------------------------------------------------------- timed

    private void timed(final int calls, final int threads, final Histogram latency, final long[] nanos) {
        final ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            final Thread t = new Thread(r, "kv-workload");
            t.setDaemon(true);
            return t;
        });
        try {
            final List<Future<Histogram>> results = new ArrayList<>();
            final long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                final int thread = t;
                final int share = calls / threads + (t < calls % threads ? 1 : 0);
                results.add(pool.submit(() -> loop(thread, share, latency != null)));
            }
            boolean stopped = false;
            for (final Future<Histogram> f : results) {
                try {
                    final Histogram h = f.get();
                    if (latency != null) {
                        latency.add(h);
                    }
                } catch (final ExecutionException e) {
                    if (!(e.getCause() instanceof Answers.Stop)) {
                        answers.failed("the timed loop", new IllegalStateException(String.valueOf(e.getCause()),
                            e.getCause()));
                    }
                    stopped = true;
                }
            }
            nanos[0] = System.nanoTime() - start;
            if (stopped) {
                throw new Answers.Stop();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw answers.failed("the timed loop", new IllegalStateException("interrupted"));
        } catch (final Answers.Stop stop) {
            throw stop;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One thread's share: gets and puts on its own keys, so its model is exact. */
    private Histogram loop(final int thread, final int calls, final boolean record) {
        final Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final long max = h.getHighestTrackableValue();
        final String[] keys = new String[KEYS_PER_THREAD];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = ns + "t" + thread + "/k" + i;
        }
        final Map<String, String> mine = threadModels.get(thread);
        final SplittableRandom random = new SplittableRandom(thread * 7919L + (record ? 1 : 0));
        for (int i = 0; i < calls; i++) {
            final String key = keys[random.nextInt(keys.length)];
            if (random.nextBoolean()) {
                final long t0 = System.nanoTime();
                final String got;
                try {
                    got = kv.get(key);
                } catch (final RpcException e) {
                    throw answers.failed("get(" + KvService.quote(key) + ")", e);
                }
                final long rtt = System.nanoTime() - t0;
                if (record) {
                    h.recordValue(Math.min(rtt, max));
                }
                answers.expect("get(" + KvService.quote(key) + ")", mine.get(key), got);
            } else {
                final String value = "t" + thread + "-" + i + (record ? "" : "w");
                final long t0 = System.nanoTime();
                final String previous;
                try {
                    previous = kv.put(key, value);
                } catch (final RpcException e) {
                    throw answers.failed("put(" + KvService.quote(key) + ", " + KvService.quote(value) + ")", e);
                }
                final long rtt = System.nanoTime() - t0;
                if (record) {
                    h.recordValue(Math.min(rtt, max));
                }
                answers.expect("put(" + KvService.quote(key) + ", " + KvService.quote(value) + ")", mine.put(key, value),
                    previous);
            }
        }
        return h;
    }
}
