package org.softclan.bench.hosts;

import static org.softclan.bench.peers.LatencyTable.median;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.softclan.bench.peers.Config;
import org.softclan.bench.peers.MarkdownTable;
import org.softclan.bench.peers.PeerProcess;
import org.softclan.net.HostPair;

/**
 * {@code ./vmmc bench compare --hosts 2}: between two hosts ({@link HostPair}: two network namespaces joined by a
 * veth pair, each with its own tmpfs fabric; two loopback agents where namespaces cannot be made, said in the
 * report), in {@code rounds} rounds, each measurement in a fresh pair of {@link HostBenchPeer} JVMs, the order
 * rotated per round:
 * <ul>
 *   <li>round trips of {@code size} bytes: a tripwire-signalled write each way through the NIC agents, a remote
 *       read, a {@code Connection} echo, an RPC echo, raw Aeron UDP ping-pong and TCP ping-pong across the same
 *       veth, all with the same threading (one thread per host polls and drives its Aeron driver); percentiles
 *       of an HdrHistogram of the round trips, as every round trip of the rig ({@code PingPongRunner});</li>
 *   <li>one-way throughput of 64 KiB messages: a byte stream by PIO, raw Aeron UDP and TCP, each sending for
 *       {@code warmSeconds} more than it is measured (the receiver counts what arrives after its first
 *       {@code warmSeconds}: the JIT's compilations, on the same two CPUs, are over by then), each message's
 *       sequence number and two of its body bytes checked, and the bytes received compared with those sent.</li>
 * </ul>
 * The report gives medians over the rounds, the range of p50 and the ratios the goals are stated in.
 *
 * @param size        payload bytes of each round trip, each way
 * @param mtu         the Aeron datagram size of the agents and of raw Aeron alike, or 0 for Aeron's default (1408)
 * @param rounds      rounds (every measurement once per round)
 * @param iterations  measured round trips per run
 * @param warmup      round trips before those
 * @param seconds     measured seconds per throughput run (0: no throughput section)
 * @param warmSeconds seconds each throughput run sends before its measured {@code seconds}
 * @param dir         where results.md goes
 * @param log         where progress goes
 */
public record HostsComparison(int size, int mtu, int rounds, int iterations, int warmup, double seconds,
                              double warmSeconds, Path dir, PrintStream log) {
    /** The UDP port of the agents and of raw Aeron (each host listens on its own address; TCP on any port). */
    private static final int AGENT_PORT = 40_456;
    private static final int AERON_PORT = 40_556;
    /** Bytes of each one-way message. */
    static final int MESSAGE = 64 * 1024;

    private static final String[][] LATENCY = {
        {"tripwire-write", "a write of the payload and a release store of its number into the other host's region,"
            + " whose tripwire fires there, and the same back"},
        {"remote-read", "an acquire load of a word of the other host's region (a request and its reply)"},
        {"queue", "a Connection message and its echo"},
        {"rpc", "an RPC call echoing the payload"},
        {"aeron-udp", "raw Aeron UDP ping-pong (INVOKER driver, driven by the polling thread)"},
        {"tcp", "TCP ping-pong (TCP_NODELAY, blocking reads)"},
    };
    private static final String[][] THROUGHPUT = {
        {"stream", "a byte stream, 64 KiB writes by PIO"},
        {"aeron-udp", "raw Aeron UDP, 64 KiB messages"},
        {"tcp", "TCP, 64 KiB writes"},
    };

    /**
     * Runs the comparison and prints and writes the report.
     *
     * @return the exit code: 0, or 1 if a measurement failed (the report says which)
     * @throws IOException if the report cannot be written or the hosts cannot be made
     */
    public int run() throws IOException {
        final long t0 = System.nanoTime();
        final Map<String, List<double[]>> latency = new LinkedHashMap<>();
        final Map<String, List<double[]>> throughput = new LinkedHashMap<>();
        final List<String> failures = new ArrayList<>();
        final String hosts;
        try (HostPair pair = new HostPair()) {
            hosts = pair.describe();
            log.println("bench compare --hosts 2: " + hosts);
            for (int r = 0; r < rounds; r++) {
                runs(pair, r, LATENCY, latency, failures);
                if (seconds > 0) {
                    runs(pair, r, THROUGHPUT, throughput, failures);
                }
            }
        }
        final String md = report(hosts, latency, throughput, failures, (System.nanoTime() - t0) / 1e9);
        MarkdownTable.writeResults(dir, md);
        return failures.isEmpty() ? 0 : 1;
    }

    /** Runs each of {@code kinds} once, in the order rotated by round {@code r}, into {@code results} or {@code failures}. */
    private void runs(final HostPair pair, final int r, final String[][] kinds, final Map<String, List<double[]>> results,
                      final List<String> failures) {
        final boolean oneWay = kinds == THROUGHPUT;
        for (int k = 0; k < kinds.length; k++) {
            final String kind = kinds[(k + r) % kinds.length][0];
            final String run = "round " + (r + 1) + " " + kind + (oneWay ? " one way" : "");
            try {
                final double[] v = measure(pair, kind, oneWay);
                results.computeIfAbsent(kind, x -> new ArrayList<>()).add(v);
                log.println(run + (oneWay ? String.format(Locale.ROOT, ": %.0f MB/s", v[0])
                    : String.format(Locale.ROOT, ": p50 %.1f us p90 %.1f p99 %.1f max %.1f", v[0], v[1], v[2], v[3])));
            } catch (final IOException | RuntimeException e) {
                failures.add(run + ": " + e.getMessage());
                log.println(run + " FAILED: " + e.getMessage());
            }
        }
    }

    /** {@return the two peers, host a then host b, their agents started if {@code agents}} */
    private PeerProcess[] start(final HostPair pair, final String kind, final boolean agents) throws IOException {
        final PeerProcess a = PeerProcess.start(kind + " on host a", pair.launcher(0), HostBenchPeer.class,
            List.of(pair.directory(0).toString()));
        final PeerProcess b;
        try {
            b = PeerProcess.start(kind + " on host b", pair.launcher(1), HostBenchPeer.class,
                List.of(pair.directory(1).toString()));
        } catch (final IOException | RuntimeException e) {
            a.kill();
            throw e;
        }
        if (agents) {
            try {
                for (int i = 0; i < 2; i++) {
                    ask(i == 0 ? a : b, "agent " + (i == 0 ? "a" : "b") + " " + pair.address(i, AGENT_PORT) + " "
                        + (i == 0 ? "b" : "a") + "=" + pair.address(1 - i, AGENT_PORT) + " " + mtu);
                }
            } catch (final IOException | RuntimeException e) {
                a.kill();   // an agent left running would hold its port against the next measurement's
                b.kill();
                throw e;
            }
        }
        return new PeerProcess[] {a, b};
    }

    private static String ask(final PeerProcess p, final String command) throws IOException {
        p.send(command);
        return p.expect("OK").substring(2).trim();
    }

    /**
     * One run of {@code kind} in a fresh pair of JVMs: host a opens the echo side (one way: the receiver) and
     * names what host b needs, host b measures (sends) and a then answers ({@link HostBenchPeer}'s commands).
     *
     * @return p50, p90, p99 and max of the round trips in microseconds, and their count with the warm-up; one way,
     *         the MB/s (10^6 bytes) host a received after its warm-up
     */
    private double[] measure(final HostPair pair, final String kind, final boolean oneWay) throws IOException {
        final PeerProcess[] p = start(pair, kind, oneWay ? kind.equals("stream")
            : !kind.equals("aeron-udp") && !kind.equals("tcp"));
        try {
            final String with = " " + kind + (oneWay ? PeerProcess.tokens(new Config().size(MESSAGE).seconds(seconds)
                .warmupSeconds(warmSeconds).readSize(kind.equals("tcp") ? 0 : 1 << 20).toMap())
                : " size=" + size + " iterations=" + iterations + " warmup=" + warmup)
                + " host=" + pair.address(0, 0).split(":")[0] + " mtu=" + mtu;
            p[0].send((oneWay ? "recv" : "echo") + with + " listen=" + pair.address(0, AERON_PORT) + " peer="
                + pair.address(1, AERON_PORT));
            final String open = p[0].expect("open").substring(4);
            final String b = ask(p[1], (oneWay ? "send" : "ping") + with + " listen=" + pair.address(1, AERON_PORT)
                + " peer=" + pair.address(0, AERON_PORT) + open);
            if (!oneWay) {
                final double[] v = Arrays.stream(b.split(" ")).mapToDouble(Double::parseDouble).toArray();
                final String echoed = ask(p[0], "stop");
                if (!kind.equals("remote-read") && Long.parseLong(echoed) != (long) v[4]) {   // a read has no echo
                    throw new IOException("host a checked and echoed " + echoed + " requests, host b made " + (long) v[4]
                        + " round trips");
                }
                return v;
            }
            final String[] got = p[0].expect("OK").substring(2).trim().split(" ");
            if (!got[2].equals(b)) {
                throw new IOException("host b sent " + b + " bytes, host a received " + got[2]);
            }
            return new double[] {Long.parseLong(got[0]) / (Long.parseLong(got[1]) / 1e9) / 1e6};
        } finally {
            p[1].kill();
            p[0].kill();
        }
    }

    /** {@return the median over the runs of {@code kind} of {@code column}, NaN if it has none} */
    private static double medianOf(final Map<String, List<double[]>> runs, final String kind, final int column) {
        return median(runs.getOrDefault(kind, List.of()).stream().mapToDouble(r -> r[column]).toArray());
    }

    /**
     * {@return the report in Markdown}
     *
     * @param hosts      what the hosts are ({@link HostPair#describe()})
     * @param latency    each round-trip kind's runs: p50, p90, p99, max (us) and round trips
     * @param throughput each one-way kind's runs: MB/s
     * @param failures   the runs that failed, and why
     * @param total      seconds the whole comparison took
     */
    String report(final String hosts, final Map<String, List<double[]>> latency,
                  final Map<String, List<double[]>> throughput, final List<String> failures, final double total) {
        final StringBuilder md = new StringBuilder("# vmmc bench compare --hosts 2\n\n");
        md.append(String.format(Locale.ROOT, "%s; %d round%s, each measurement in a fresh pair of JVMs (order rotated);"
            + " %d round trips of %d bytes each way after %d of warm-up; one way: %d-byte messages for %.1f s after %.1f"
            + " s of warm-up; Aeron datagrams (agents and raw Aeron alike) of %s bytes; whole run %.0f s.%n%n", hosts, rounds,
            rounds == 1 ? "" : "s", iterations, size, warmup, MESSAGE, seconds, warmSeconds,
            mtu == 0 ? "1408 (Aeron's default)" : Integer.toString(mtu), total));
        md.append("## Round trips (microseconds, medians over the rounds)\n\n");
        md.append("| transport | p50 | p50 range | p90 | p99 | max | p50 / aeron-udp's | tcp's p50 / p50 | what |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        final double aeron = medianOf(latency, "aeron-udp", 0);
        final double tcp = medianOf(latency, "tcp", 0);
        for (final String[] k : LATENCY) {
            final List<double[]> runs = latency.get(k[0]);
            if (runs == null) {
                md.append("| ").append(k[0]).append(" | failed | | | | | | | ").append(k[1]).append(" |\n");
                continue;
            }
            final double p50 = medianOf(latency, k[0], 0);
            final double lo = runs.stream().mapToDouble(r -> r[0]).min().orElse(p50);
            final double hi = runs.stream().mapToDouble(r -> r[0]).max().orElse(p50);
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f-%.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %s |%n", k[0],
                p50, lo, hi, medianOf(latency, k[0], 1), medianOf(latency, k[0], 2), medianOf(latency, k[0], 3),
                p50 / aeron, tcp / p50, k[1]));
        }
        if (!throughput.isEmpty()) {
            md.append("\n## One way, 64 KiB messages (MB/s received, medians over the rounds)\n\n");
            md.append("| transport | MB/s | range | / aeron-udp's | what |\n|---|---:|---:|---:|---|\n");
            final double aeronMbs = medianOf(throughput, "aeron-udp", 0);
            for (final String[] k : THROUGHPUT) {
                final List<double[]> runs = throughput.get(k[0]);
                if (runs == null) {
                    md.append("| ").append(k[0]).append(" | failed | | | ").append(k[1]).append(" |\n");
                    continue;
                }
                final double m = medianOf(throughput, k[0], 0);
                md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f-%.0f | %.2f | %s |%n", k[0], m,
                    runs.stream().mapToDouble(r -> r[0]).min().orElse(m), runs.stream().mapToDouble(r -> r[0]).max()
                        .orElse(m), m / aeronMbs, k[1]));
            }
        }
        md.append("\nGoals (issue: across hosts): tripwire-write p50 within 1.3x of aeron-udp's and at least 3x faster than"
            + " tcp's; the 64 KiB stream at least 0.8x aeron-udp's throughput.\n");
        if (!failures.isEmpty()) {
            md.append("\nFailed:\n\n");
            for (final String f : failures) {
                md.append("- ").append(f).append('\n');
            }
        }
        return md.toString();
    }
}
