package org.softclan.examples.rpc;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.rpc.RpcClient;

/**
 * A typed client of {@link KvService}, and the demo's client program.
 *
 * <pre>
 * java FLAGS -cp vmmc.jar org.softclan.examples.rpc.KvClient --fabric DIR [--service kv] [--calls N] [--threads T]
 * </pre>
 *
 * The program connects to the server, runs {@link KvWorkload} (a scripted part, then {@code N} timed
 * get/put calls on {@code T} threads, every answer checked against a local model), prints the calls per
 * second and the round trip's percentiles, then {@code all K answers correct} or the first wrong answer.
 * It exits with 0 only if every answer was right.
 */
public final class KvClient implements AutoCloseable {
    /** The name of the client's endpoint. */
    public static final String ENDPOINT = "kv-client";
    /** Default number of timed calls. */
    public static final int DEFAULT_CALLS = 20_000;
    /** Default number of client threads in the timed loop. */
    public static final int DEFAULT_THREADS = 2;

    private static final String USAGE = "usage: KvClient --fabric DIR [--service NAME] [--calls N] [--threads T]"
        + " [--wait STRATEGY]\n"
        + "  --fabric DIR    the fabric's directory (it must exist: the server creates it)\n"
        + "  --service NAME  the service to connect to (default " + KvService.DEFAULT_NAME + ")\n"
        + "  --calls N       timed get/put calls, after N/5 warm-up calls (default " + DEFAULT_CALLS + ")\n"
        + "  --threads T     client threads sharing one connection (default " + DEFAULT_THREADS + ")\n"
        + "  --wait STRATEGY how a calling thread waits for its answer, by name (WaitStrategy.named; default"
        + " competitive)";

    private final RpcClient rpc;
    private final long timeoutMillis;

    private KvClient(final RpcClient rpc, final long timeoutMillis) {
        this.rpc = rpc;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Connects to the key-value server on {@code service}.
     *
     * @param callTimeout how long each call waits for its answer
     * @throws org.softclan.vmmc.ConnectException if nobody serves it, or it does not accept within the call timeout
     */
    public static KvClient connect(final Endpoint endpoint, final String service, final RpcClient.Context ctx,
                                   final long callTimeout, final TimeUnit unit) {
        return new KvClient(RpcClient.connect(endpoint, service, ctx, callTimeout, unit), unit.toMillis(callTimeout));
    }

    /** @return the previous value of {@code key}, or null */
    public String put(final String key, final String value) {
        return rpc.call(KvService.PUT, new KvEntry(key, value), timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** @return the value of {@code key}, or null */
    public String get(final String key) {
        return rpc.call(KvService.GET, key, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** @return whether {@code key} was there */
    public boolean delete(final String key) {
        return rpc.call(KvService.DELETE, key, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** @return the entries whose keys start with {@code prefix}, in key order */
    public List<KvEntry> scan(final String prefix) {
        return rpc.call(KvService.SCAN, prefix, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** @return the RPC client underneath */
    public RpcClient rpc() {
        return rpc;
    }

    @Override
    public void close() {
        rpc.close();
    }

    /**
     * Connects to the server in the fabric at {@code fabricDir}, runs the workload and prints its report.
     *
     * @return the exit code: 0 if every answer was right, 1 otherwise
     * @throws DsmException if the fabric does not exist or no server answers
     */
    public static int runWorkload(final Path fabricDir, final String service, final int calls, final int threads,
                                  final PrintWriter out) {
        return runWorkload(fabricDir, service, calls, threads, WaitStrategy.competitive(), out);
    }

    /**
     * As {@link #runWorkload(Path, String, int, int, PrintWriter)}, the calling threads waiting with {@code wait}.
     *
     * @return the exit code: 0 if every answer was right, 1 otherwise
     * @throws DsmException if the fabric does not exist or no server answers
     */
    public static int runWorkload(final Path fabricDir, final String service, final int calls, final int threads,
                                  final WaitStrategy wait, final PrintWriter out) {
        if (!Files.isDirectory(fabricDir)) {
            throw new DsmException("no fabric at " + fabricDir + " (start the server first: it creates it)");
        }
        try (Fabric fabric = Fabric.open(fabricDir);
             Endpoint endpoint = fabric.openEndpoint(ENDPOINT);
             KvClient kv = connect(endpoint, service, new RpcClient.Context().waitStrategy(wait), 10, TimeUnit.SECONDS)) {
            out.println("connected to service '" + service + "' in fabric " + fabric.root() + " (pid "
                + ProcessHandle.current().pid() + ", waits " + wait.name() + ")");
            out.flush();
            final KvWorkload.Result r = KvWorkload.run(kv, calls, threads, out);
            if (r.timedCalls() > 0) {
                final Histogram h = r.latency();
                out.println(String.format(Locale.ROOT, "timed: %d get/put calls on %d thread%s in %.2f s: %.0f calls/s",
                    r.timedCalls(), threads, threads == 1 ? "" : "s", r.timedNanos() / 1e9, r.callsPerSecond()));
                out.println(String.format(Locale.ROOT, "round trip per call (us): p50 %.1f  p99 %.1f  p99.9 %.1f"
                    + "  max %.1f", us(h, 50), us(h, 99), us(h, 99.9), h.getMaxValue() / 1e3));
            }
            if (r.allCorrect()) {
                out.println("all " + r.answers() + " answers correct");
            } else {
                out.println("WRONG: " + r.firstWrong() + " (after " + (r.answers() - 1) + " right answers)");
            }
            out.flush();
            return r.allCorrect() ? 0 : 1;
        }
    }

    private static double us(final Histogram h, final double percentile) {
        return h.getValueAtPercentile(percentile) / 1e3;
    }

    /**
     * Runs the workload against the server and exits with 0 only if every answer was right.
     *
     * @param args {@code --fabric DIR [--service NAME] [--calls N] [--threads T]}
     */
    public static void main(final String[] args) {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        final PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, out, err));
    }

    /** @return the exit code: 0 if all answers were right, 1 if not or on a failure, 2 on a usage error */
    static int run(final String[] args, final PrintWriter out, final PrintWriter err) {
        final Path fabric;
        final String service;
        final int calls;
        final int threads;
        final WaitStrategy wait;
        try {
            final Args a = Args.parse(args, List.of("--fabric", "--service", "--calls", "--threads", "--wait"));
            if (a.help()) {
                out.println(USAGE);
                return 0;
            }
            fabric = Paths.get(a.required("--fabric"));
            service = a.get("--service", KvService.DEFAULT_NAME);
            calls = a.getInt("--calls", DEFAULT_CALLS, 0);
            threads = a.getInt("--threads", DEFAULT_THREADS, 1);
            wait = a.waitStrategy();
        } catch (final Args.UsageException e) {
            err.println("KvClient: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        try {
            return runWorkload(fabric, service, calls, threads, wait, out);
        } catch (final DsmException e) {
            out.flush();
            err.println("KvClient: " + e.getMessage());
            return 1;
        }
    }
}
