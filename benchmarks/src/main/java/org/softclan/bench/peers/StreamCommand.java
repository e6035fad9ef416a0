package org.softclan.bench.peers;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.HdrHistogram.Histogram;
import org.softclan.vmmc.stream.ReceiveTechnique;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmmc bench stream}: one-way throughput between two JVMs for one or more transports side by
 * side in one run (one sending JVM for all), or at a fixed rate with each message's latency from its
 * intended send time (coordinated omission corrected).
 */
@Command(name = "stream", mixinStandardHelpOptions = true,
    description = {"One-way throughput between two JVMs: this JVM receives and measures, a child JVM sends.",
        "Transports: raw, stream-pio, stream-copy-dma, stream-direct-dma, stream-v2p-dma, stream-page-exchange,"
            + " aeron-ipc, tcp, uds (comma-separated; 'all' for every one).",
        "With --rate the sender sends at a fixed rate and the receiver records each message's latency from its"
            + " intended send time (HdrHistogram)."})
public final class StreamCommand implements Callable<Integer> {
    @Option(names = "--transport", split = ",", defaultValue = "raw",
        description = "Transport(s), comma-separated, or 'all' (default: ${DEFAULT-VALUE}).")
    List<String> transports = new ArrayList<>();

    @Option(names = "--size", defaultValue = "65536", description = "Bytes per message/write (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--total", description = "Bytes to send in all (k/m/g suffixes), instead of --seconds.")
    String total;

    @Option(names = "--seconds", defaultValue = "2", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", defaultValue = "1", description = "Warm-up seconds (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--ring", defaultValue = "64m",
        description = "Ring bytes of raw and stream (Aeron term length, socket buffers) (default: ${DEFAULT-VALUE},"
            + " Aeron's default IPC term length).")
    String ring;

    @Option(names = "--read-size", description = "Receiver's read buffer bytes (default: the message size).")
    String readSize;

    @Option(names = "--rate", defaultValue = "0", description = "Messages per second; 0 = as fast as possible.")
    long rate;

    @Option(names = "--checksum", description = "CRC32C of every byte on both sides (costs throughput).")
    boolean checksum;

    @Option(names = "--wait", defaultValue = "busy", description = "Stream waits: busy or competitive (default: ${DEFAULT-VALUE}).")
    String waitMode;

    @Option(names = "--repeat", defaultValue = "1",
        description = "Rounds over the transports, interleaved; with more than one, medians are reported too.")
    int repeat;

    @Option(names = "--receive", defaultValue = "buffered",
        description = "Stream receive technique: buffered, pre-posted, redirection (default: ${DEFAULT-VALUE}).")
    String receive;

    @Override
    public Integer call() throws Exception {
        final PrintStream out = System.out;
        final List<PeerTransport> list = new ArrayList<>();
        final Config base;
        try {
            for (final String t : transports) {
                if ("all".equalsIgnoreCase(t.trim())) {
                    list.addAll(Transports.oneWay());
                } else {
                    list.add(Transports.oneWay(t));
                }
            }
            if (!"busy".equals(waitMode) && !"competitive".equals(waitMode)) {
                throw new IllegalArgumentException("--wait " + waitMode + ": choose busy or competitive");
            }
            base = new Config()
                .size((int) parseBytes(size))
                .totalBytes(total == null ? 0 : parseBytes(total))
                .seconds(seconds)
                .warmupSeconds(warmup)
                .ringBytes((int) parseBytes(ring))
                .readSize(readSize == null ? 0 : (int) parseBytes(readSize))
                .rate(rate)
                .checksum(checksum)
                .busySpin("busy".equals(waitMode))
                .receiveTechnique(ReceiveTechnique.parse(receive));
        } catch (final IllegalArgumentException e) {
            System.err.println("stream: " + e.getMessage());
            return 2;
        }
        out.println("# bench stream: one-way throughput between two JVMs");
        out.println();
        out.println(environment());
        out.println("settings: " + base.toString().substring(base.transport().name().length() + 1)
            + ", stream waits " + waitMode + ", receive " + base.receiveTechnique().cliName());
        final List<Result> results = new ArrayList<>();
        final long started = System.nanoTime();
        try (ThroughputBench.Session session = ThroughputBench.open()) {
            if (rate > 0) {
                out.println(session.checkClock(200));
            }
            for (int round = 0; round < Math.max(1, repeat); round++) {
                for (final PeerTransport t : list) {
                    final Result r = session.run(base.transport(t));
                    out.println("  " + r);
                    results.add(r);
                }
            }
        }
        out.println();
        out.print(table(results));
        if (rate > 0) {
            out.println();
            out.print(latencyTable(results));
        }
        if (repeat > 1) {
            out.println();
            out.print(medians(results));
        }
        final String ratios = rate > 0 ? "" : ratios(results);
        if (!ratios.isEmpty()) {
            out.println();
            out.print(ratios);
        }
        out.printf(Locale.ROOT, "%n(%.1f s in all)%n", (System.nanoTime() - started) / 1e9);
        return results.stream().allMatch(Result::ok) ? 0 : 1;
    }

    static String environment() {
        return "JVM " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ", "
            + Runtime.getRuntime().availableProcessors() + " CPUs, " + System.getProperty("os.name") + " "
            + System.getProperty("os.version") + "; MB = 10^6 bytes";
    }

    /** @return a Markdown table of the results */
    public static String table(final List<Result> results) {
        final StringBuilder b = new StringBuilder();
        b.append("| transport | size | MB/s | GB/s | msgs/s | measured bytes | s | check |\n");
        b.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
        for (final Result r : results) {
            if (!r.ok()) {
                b.append("| ").append(r.config().transport().name()).append(" | ").append(r.config().size())
                    .append(" | n/a | | | | | failed: ").append(r.error().replace('|', '/')).append(" |\n");
                continue;
            }
            b.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.3f | %.0f | %d | %.2f | ok%s |%n",
                r.config().transport().name(), r.config().size(), r.mbPerSecond(), r.gbPerSecond(), r.messagesPerSecond(),
                r.measuredBytes(), r.measuredNanos() / 1e9, r.warmedUp() ? "" : " (no warm-up)"));
        }
        return b.toString();
    }

    /** @return a Markdown table of the latencies of fixed-rate results */
    public static String latencyTable(final List<Result> results) {
        final StringBuilder b = new StringBuilder();
        b.append("latency from the intended send time (µs):\n\n");
        b.append("| transport | rate/s | achieved msgs/s | messages | p50 | p99 | p99.9 | max |\n");
        b.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (final Result r : results) {
            final Histogram h = r.latency();
            if (!r.ok() || h == null || h.getTotalCount() == 0) {
                continue;
            }
            b.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %d | %.2f | %.2f | %.2f | %.2f |%n",
                r.config().transport().name(), r.config().rate(), r.messagesPerSecond(), h.getTotalCount(),
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3));
        }
        return b.toString();
    }

    /** @return the median MB/s of each transport's successful runs, in the order of first appearance */
    static Map<String, double[]> medianByTransport(final List<Result> results) {
        final Map<String, List<Double>> runs = new LinkedHashMap<>();
        for (final Result r : results) {
            if (r.ok()) {
                runs.computeIfAbsent(r.config().transport().name(), k -> new ArrayList<>()).add(r.mbPerSecond());
            }
        }
        final Map<String, double[]> out = new LinkedHashMap<>();
        runs.forEach((name, mbps) -> out.put(name, spread(mbps)));
        return out;
    }

    /** @return the median, least and greatest of {@code values} and their count (NaN, NaN, NaN, 0 for none) */
    static double[] spread(final List<Double> values) {
        final double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length == 0 ? new double[] {Double.NaN, Double.NaN, Double.NaN, 0}
            : new double[] {LatencyTable.median(v), v[0], v[v.length - 1], v.length};
    }

    /** @return a Markdown table of each transport's median, least and greatest MB/s */
    static String medians(final List<Result> results) {
        final StringBuilder b = new StringBuilder("| transport | runs | median MB/s | min MB/s | max MB/s |\n"
            + "| --- | ---: | ---: | ---: | ---: |\n");
        for (final Map.Entry<String, double[]> e : medianByTransport(results).entrySet()) {
            final double[] m = e.getValue();
            b.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f |%n", e.getKey(), (int) m[3], m[0], m[1],
                m[2]));
        }
        return b.toString();
    }

    /** @return each transport's median throughput as a percentage of raw's median, or "" without raw */
    static String ratios(final List<Result> results) {
        final Map<String, double[]> medians = medianByTransport(results);
        final double[] raw = medians.get("raw");
        if (raw == null || raw[0] <= 0) {
            return "";
        }
        final StringBuilder b = new StringBuilder("relative to raw" + (raw[3] > 1 ? " (medians)" : "") + ":");
        for (final Map.Entry<String, double[]> e : medians.entrySet()) {
            if (!"raw".equals(e.getKey())) {
                b.append(String.format(Locale.ROOT, " %s %.0f%%;", e.getKey(), 100 * e.getValue()[0] / raw[0]));
            }
        }
        return b.append('\n').toString();
    }

    /**
     * @param text a number of bytes with an optional k, m or g suffix (powers of 1024)
     * @return the bytes
     */
    public static long parseBytes(final String text) {
        final String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        String digits = t;
        if (t.endsWith("k") || t.endsWith("m") || t.endsWith("g")) {
            unit = t.endsWith("k") ? 1L << 10 : t.endsWith("m") ? 1L << 20 : 1L << 30;
            digits = t.substring(0, t.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(digits), unit);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a number of bytes (e.g. 65536, 64k, 1m)");
        }
    }
}
