package org.softclan.bench.peers;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;


/**
 * The throughput part of {@code bench compare}: one-way streaming of 64 KiB messages between two JVMs
 * for every throughput transport ({@link Transports#oneWay()}: the raw ring, the byte stream with each send
 * technique, aeron-ipc, tcp, uds), in {@value #ROUNDS} interleaved rounds (every transport once per
 * round, so slow drifts of the machine hit all of them alike), reporting the median and the range and
 * the median's ratio to the raw ring's.
 */
final class ThroughputSection implements CompareSection {
    /** Message size of the comparison: the size the design goals are stated for. */
    static final int SIZE = 64 * 1024;
    static final int ROUNDS = 3;
    static final double WARMUP_SECONDS = 1.0;

    private final double seconds;
    private final Map<String, List<Double>> mbps = new LinkedHashMap<>();
    private final Map<String, String> failures = new LinkedHashMap<>();
    private final List<Path> files = new ArrayList<>();

    /** @param seconds measured seconds per point (each after {@value #WARMUP_SECONDS} s of warm-up) */
    ThroughputSection(final double seconds) {
        this.seconds = seconds;
    }

    @Override
    public String title() {
        return "Throughput: one-way, " + SIZE / 1024 + " KiB messages";
    }

    @Override
    public void run(final Run run) throws Exception {
        final List<PeerTransport> transports = Transports.oneWay();
        for (final PeerTransport t : transports) {
            mbps.put(t.name(), new ArrayList<>());
        }
        try (ThroughputBench.Session session = ThroughputBench.open()) {
            for (int round = 1; round <= ROUNDS; round++) {
                for (final PeerTransport t : transports) {
                    run.log().printf(Locale.ROOT, "throughput round %d/%d: %s ...%n", round, ROUNDS, t.name());
                    final Result r = session.run(new Config().transport(t).size(SIZE).seconds(seconds)
                        .warmupSeconds(WARMUP_SECONDS));
                    if (r.ok()) {
                        add(t.name(), r.mbPerSecond());
                    } else {
                        fail(t.name(), r.error());
                    }
                }
            }
        }
        final StringBuilder csv = new StringBuilder("transport,round,mb_per_s\n");
        mbps.forEach((name, list) -> {
            for (int i = 0; i < list.size(); i++) {
                csv.append(name).append(',').append(i + 1).append(',')
                    .append(String.format(Locale.ROOT, "%.1f", list.get(i))).append('\n');
            }
        });
        final Path f = run.outDir().resolve("throughput.csv");
        Files.writeString(f, csv.toString(), StandardCharsets.UTF_8);
        files.add(f);
    }

    /** Records one round's figure of a transport. */
    void add(final String transport, final double mbPerSecond) {
        mbps.computeIfAbsent(transport, k -> new ArrayList<>()).add(mbPerSecond);
    }

    /** Records why a transport failed (the first reason is kept). */
    void fail(final String transport, final String why) {
        mbps.computeIfAbsent(transport, k -> new ArrayList<>());
        failures.putIfAbsent(transport, why);
    }

    @Override
    public String markdown() {
        final double raw = StreamCommand.spread(mbps.getOrDefault("raw", List.of()))[0];
        final StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Median of %d interleaved rounds of %.1f s each (after %.1f s warm-up),"
            + " receiver reading every byte; MB/s = 10^6 bytes/s. Every ring (raw, the stream's receive ring, the"
            + " Aeron term) is %d MiB, Aeron's default IPC term length.%n%n", ROUNDS, seconds, WARMUP_SECONDS,
            Config.DEFAULT_RING >> 20));
        md.append("| transport | median MB/s | range MB/s | median / raw |\n");
        md.append("| :-- | --: | --: | --: |\n");
        mbps.forEach((name, list) -> {
            if (list.isEmpty()) {
                md.append("| ").append(name).append(" | failed | | |\n");
                return;
            }
            final double[] s = StreamCommand.spread(list);
            md.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f-%,.0f | %.0f%% |%n", name, s[0], s[1], s[2],
                100 * s[0] / raw));
        });
        failures.forEach((name, why) -> md.append("\n").append(name).append(" failed: ").append(why).append('\n'));
        return md.toString();
    }

    @Override
    public List<Path> files() {
        return files;
    }
}
