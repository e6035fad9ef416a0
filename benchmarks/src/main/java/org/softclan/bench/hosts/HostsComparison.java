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
 *       veth, all with the same threading (one thread per host polls and drives its Aeron driver);</li>
 *   <li>one-way throughput of 64 KiB messages: a byte stream by PIO, raw Aeron UDP and TCP, each sending for
 *       {@code warmSeconds} more than it is measured (the receiver counts what arrives after its first
 *       {@code warmSeconds}: the JIT's compilations, on the same two CPUs, are over by then).</li>
 * </ul>
 * The report gives medians over the rounds, the range of p50 and the ratios the goals are stated in.
 */
public final class HostsComparison {
    /** The UDP port of the agents and of raw Aeron, and the TCP port (each host listens on its own address). */
    private static final int AGENT_PORT = 40_456;
    private static final int AERON_PORT = 40_556;
    private static final int TCP_PORT = 40_656;
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

    private final int size;
    /** The Aeron datagram size of the agents and of raw Aeron alike, or 0 for Aeron's default (1408). */
    private final int mtu;
    private final int rounds;
    private final int iterations;
    private final int warmup;
    private final double seconds;
    private final double warmSeconds;
    private final Path dir;
    private final PrintStream log;

    /**
     * @param size       payload bytes of each round trip, each way
     * @param mtu        the Aeron datagram size of the agents and of raw Aeron alike, or 0 for Aeron's default
     * @param rounds     rounds (every measurement once per round)
     * @param iterations measured round trips per run
     * @param warmup     round trips before those
     * @param seconds    measured seconds per throughput run (0: no throughput section)
     * @param warmSeconds seconds each throughput run sends before its measured {@code seconds}
     * @param dir        where results.md goes
     * @param log        where progress goes
     */
    public HostsComparison(final int size, final int mtu, final int rounds, final int iterations, final int warmup,
                           final double seconds, final double warmSeconds, final Path dir, final PrintStream log) {
        this.size = size;
        this.mtu = mtu;
        this.rounds = rounds;
        this.iterations = iterations;
        this.warmup = warmup;
        this.seconds = seconds;
        this.warmSeconds = warmSeconds;
        this.dir = dir;
        this.log = log;
    }

    /**
     * Runs the comparison and prints and writes the report.
     *
     * @return the exit code: 0, or 1 if a measurement failed (the report says which)
     * @throws IOException if the report cannot be written or the hosts cannot be made
     */
    public int run() throws IOException {
        final long t0 = System.nanoTime();
        final Map<String, List<double[]>> latency = new LinkedHashMap<>();
        final Map<String, List<Double>> throughput = new LinkedHashMap<>();
        final List<String> failures = new ArrayList<>();
        final String hosts;
        try (HostPair pair = new HostPair()) {
            hosts = pair.describe();
            log.println("bench compare --hosts 2: " + hosts);
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < LATENCY.length; k++) {
                    final String kind = LATENCY[(k + r) % LATENCY.length][0];
                    try {
                        final double[] p = latency(pair, kind);
                        latency.computeIfAbsent(kind, x -> new ArrayList<>()).add(p);
                        log.printf(Locale.ROOT, "round %d %s: p50 %.1f us p90 %.1f p99 %.1f max %.1f%n", r + 1, kind, p[0],
                            p[1], p[2], p[3]);
                    } catch (final IOException | RuntimeException e) {
                        failures.add("round " + (r + 1) + " " + kind + ": " + e.getMessage());
                        log.println("round " + (r + 1) + " " + kind + " FAILED: " + e.getMessage());
                    }
                }
                if (seconds > 0) {
                    for (int k = 0; k < THROUGHPUT.length; k++) {
                        final String kind = THROUGHPUT[(k + r) % THROUGHPUT.length][0];
                        try {
                            final double mbs = throughput(pair, kind);
                            throughput.computeIfAbsent(kind, x -> new ArrayList<>()).add(mbs);
                            log.printf(Locale.ROOT, "round %d %s one way: %.0f MB/s%n", r + 1, kind, mbs);
                        } catch (final IOException | RuntimeException e) {
                            failures.add("round " + (r + 1) + " " + kind + " one way: " + e.getMessage());
                            log.println("round " + (r + 1) + " " + kind + " one way FAILED: " + e.getMessage());
                        }
                    }
                }
            }
        }
        final String md = report(hosts, latency, throughput, failures, (System.nanoTime() - t0) / 1e9);
        MarkdownTable.writeResults(dir, md);
        return failures.isEmpty() ? 0 : 1;
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
            for (int i = 0; i < 2; i++) {
                ask(i == 0 ? a : b, "agent " + (i == 0 ? "a" : "b") + " " + pair.address(i, AGENT_PORT) + " "
                    + (i == 0 ? "b" : "a") + "=" + pair.address(1 - i, AGENT_PORT) + " " + mtu);
            }
        }
        return new PeerProcess[] {a, b};
    }

    private static String ask(final PeerProcess p, final String command) throws IOException {
        p.send(command);
        return p.expect("OK").substring(2).trim();
    }

    /** {@return p50, p90, p99 and max of one run of {@code kind}, microseconds} */
    private double[] latency(final HostPair pair, final String kind) throws IOException {
        final boolean agents = !kind.equals("aeron-udp") && !kind.equals("tcp");
        final PeerProcess[] p = start(pair, kind, agents);
        try {
            final String n = " " + iterations + " " + warmup;
            final String result = switch (kind) {
                case "tripwire-write" -> {
                    ask(p[0], "writeEcho " + size);
                    yield ask(p[1], "writePing " + size + n);
                }
                case "remote-read" -> {
                    ask(p[0], "writeEcho " + size);
                    yield ask(p[1], "readPing" + n);
                }
                case "queue" -> {
                    ask(p[0], "queueEcho");
                    yield ask(p[1], "queuePing " + size + n);
                }
                case "rpc" -> {
                    ask(p[0], "rpcServe");
                    yield ask(p[1], "rpcPing " + size + n);
                }
                case "aeron-udp" -> {
                    ask(p[0], "aeronEcho " + pair.address(0, AERON_PORT) + " " + pair.address(1, AERON_PORT) + " "
                        + mtu);
                    yield ask(p[1], "aeronPing " + pair.address(1, AERON_PORT) + " " + pair.address(0, AERON_PORT) + " "
                        + size + n + " " + mtu);
                }
                default -> {
                    ask(p[0], "tcpEcho " + TCP_PORT);
                    yield ask(p[1], "tcpPing " + pair.address(0, TCP_PORT).split(":")[0] + " " + TCP_PORT + " " + size + n);
                }
            };
            return Arrays.stream(result.split(" ")).mapToDouble(Double::parseDouble).toArray();
        } finally {
            p[1].kill();
            p[0].kill();
        }
    }

    /** {@return MB/s (10^6 bytes) received by host a in one run of {@code kind}} */
    private double throughput(final HostPair pair, final String kind) throws IOException {
        final PeerProcess[] p = start(pair, kind, kind.equals("stream"));
        try {
            final String s = " " + MESSAGE + " " + (warmSeconds + seconds);
            switch (kind) {
                case "stream" -> {
                    ask(p[0], "streamRecv " + warmSeconds);
                    ask(p[1], "streamSend" + s);
                }
                case "aeron-udp" -> {
                    ask(p[0], "aeronRecv " + pair.address(0, AERON_PORT) + " " + pair.address(1, AERON_PORT) + " "
                        + warmSeconds + " " + mtu);
                    ask(p[1], "aeronSend " + pair.address(1, AERON_PORT) + " " + pair.address(0, AERON_PORT) + s + " "
                        + mtu);
                }
                default -> {
                    ask(p[0], "tcpRecv " + TCP_PORT + " " + warmSeconds);
                    ask(p[1], "tcpSend " + pair.address(0, TCP_PORT).split(":")[0] + " " + TCP_PORT + s);
                }
            }
            final String[] got = p[0].expect("RECEIVED").split(" ");
            if (got.length < 3 || got[1].equals("failed")) {
                throw new IOException("the receiver failed: " + String.join(" ", got));
            }
            return Long.parseLong(got[1]) / (Long.parseLong(got[2]) / 1e9) / 1e6;
        } finally {
            p[1].kill();
            p[0].kill();
        }
    }

    private static double medianOf(final List<double[]> runs, final int column) {
        return median(runs.stream().mapToDouble(r -> r[column]).toArray());
    }

    private String report(final String hosts, final Map<String, List<double[]>> latency,
                          final Map<String, List<Double>> throughput, final List<String> failures, final double total) {
        final StringBuilder md = new StringBuilder("# vmmc bench compare --hosts 2\n\n");
        md.append(String.format(Locale.ROOT, "%s; %d rounds, each measurement in a fresh pair of JVMs (order rotated);"
            + " %d round trips of %d bytes each way after %d of warm-up; one way: %d-byte messages for %.1f s after %.1f"
            + " s of warm-up; Aeron datagrams (agents and raw Aeron alike) of %s bytes; whole run %.0f s.%n%n", hosts, rounds,
            iterations, size, warmup, MESSAGE, seconds, warmSeconds, mtu == 0 ? "1408 (Aeron's default)" : Integer.toString(mtu), total));
        md.append("## Round trips (microseconds, medians over the rounds)\n\n");
        md.append("| transport | p50 | p50 range | p90 | p99 | max | p50 / aeron-udp's | tcp's p50 / p50 | what |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        final double aeron = latency.containsKey("aeron-udp") ? medianOf(latency.get("aeron-udp"), 0) : Double.NaN;
        final double tcp = latency.containsKey("tcp") ? medianOf(latency.get("tcp"), 0) : Double.NaN;
        for (final String[] k : LATENCY) {
            final List<double[]> runs = latency.get(k[0]);
            if (runs == null) {
                md.append("| ").append(k[0]).append(" | failed | | | | | | | ").append(k[1]).append(" |\n");
                continue;
            }
            final double p50 = medianOf(runs, 0);
            final double lo = runs.stream().mapToDouble(r -> r[0]).min().orElse(p50);
            final double hi = runs.stream().mapToDouble(r -> r[0]).max().orElse(p50);
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f-%.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %s |%n", k[0],
                p50, lo, hi, medianOf(runs, 1), medianOf(runs, 2), medianOf(runs, 3), p50 / aeron, tcp / p50, k[1]));
        }
        if (!throughput.isEmpty()) {
            md.append("\n## One way, 64 KiB messages (MB/s received, medians over the rounds)\n\n");
            md.append("| transport | MB/s | range | / aeron-udp's | what |\n|---|---:|---:|---:|---|\n");
            final double aeronMbs = throughput.containsKey("aeron-udp")
                ? median(throughput.get("aeron-udp").stream().mapToDouble(Double::doubleValue).toArray()) : Double.NaN;
            for (final String[] k : THROUGHPUT) {
                final List<Double> runs = throughput.get(k[0]);
                if (runs == null) {
                    md.append("| ").append(k[0]).append(" | failed | | | ").append(k[1]).append(" |\n");
                    continue;
                }
                final double[] v = runs.stream().mapToDouble(Double::doubleValue).toArray();
                final double m = median(v);
                md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f-%.0f | %.2f | %s |%n", k[0], m,
                    Arrays.stream(v).min().orElse(m), Arrays.stream(v).max().orElse(m), m / aeronMbs, k[1]));
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
