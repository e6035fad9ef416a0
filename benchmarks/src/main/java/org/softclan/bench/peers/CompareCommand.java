package org.softclan.bench.peers;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmmc bench compare}: runs every section ({@link #sections(double)}) in one invocation and writes a
 * report. {@link LatencySection}: {@code --rounds} rounds in each of which every transport of {@code bench
 * pingpong} runs once in a fresh pair of JVMs, warmed up as {@code bench pingpong} does, then the medians over
 * the rounds of p50, p90, p99, p99.9 and max (microseconds), the range of p50 and each median p50's ratio to
 * raw's. {@link ThroughputSection}: every transport of {@code bench stream} with 64 KiB messages in 3
 * interleaved rounds, medians and ratios to the raw ring.
 *
 * <p>Files in {@code DIR} (default {@code bench-results/compare-TIMESTAMP}): {@code results.md} (what is
 * printed), {@code latency.csv}, {@code latency.svg}, {@code TRANSPORT.hgrm} (microseconds, all rounds
 * added), {@code TRANSPORT-rROUND.log} (each run's output) and {@code throughput.csv}.
 *
 * <p>With the defaults it takes two to three minutes on a quiet 2-CPU machine (a latency run is 2-4 s with
 * its two JVM starts and its second of warm-up, times 11 transports and 3 rounds; the throughput section
 * about a minute). Each latency measurement is capped at {@code --max-seconds} (default {@value #MAX_SECONDS}
 * here, 30 for {@code bench pingpong}) plus a third of that for its warm-up, so a run starved of CPU is cut
 * short (and marked time-capped): even with every run capped the command stays under about 9 minutes.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
    description = {"Round-trip latency of every transport, each in a fresh pair of JVMs, in one report.",
        "Runs --rounds rounds, every transport once per round in rotated order; the table gives medians over the"
            + " rounds and the range of p50.",
        "Writes results.md (Markdown table), latency.csv, latency.svg (percentile chart), TRANSPORT.hgrm"
            + " (chart and .hgrm: all rounds added)."})
public final class CompareCommand implements Callable<Integer> {
    /** Default rounds of the latency section. */
    static final int ROUNDS = 3;
    /** Default time cap of each latency measurement, seconds. */
    static final String MAX_SECONDS = "10";

    @Option(names = "--size", defaultValue = "32", paramLabel = "BYTES",
        description = "payload bytes each way (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--rounds", defaultValue = "" + ROUNDS, paramLabel = "K",
        description = "latency rounds: every transport once per round, the order rotated; the table gives medians"
            + " over the rounds (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--warmup", paramLabel = "N", description = "at least N warm-up round trips per run (default: as"
        + " pingpong)")
    Integer warmup;

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "and warm up for at least S seconds per run;"
        + " 0: the count alone (default: as pingpong, 1.0); with --hosts 2: seconds each one-way run sends before it is"
        + " measured (default 3.0)")
    Double warmupSeconds;

    @Option(names = "--iterations", paramLabel = "N", description = "measured round trips per transport (default:"
        + " as pingpong)")
    Integer iterations;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "N",
        description = "fixed send rate, messages/s (default: back to back)")
    long rate;

    @Option(names = "--max-seconds", defaultValue = MAX_SECONDS, paramLabel = "S",
        description = "time cap of each latency measurement; the warm-up gets a third more (default:"
            + " ${DEFAULT-VALUE})")
    double maxSeconds;

    @Option(names = "--transports", split = ",", paramLabel = "T",
        description = "the transports to run, in order (default: all)")
    List<String> transports;

    @Option(names = "--out", paramLabel = "DIR", description = "output directory (default:"
        + " bench-results/compare-TIMESTAMP)")
    Path out;

    @Option(names = "--hosts", defaultValue = "1", paramLabel = "N",
        description = "1: the transports of this host (default). 2: across two hosts (two network namespaces and a"
            + " veth pair, made as root with ip; else two agents on 127.0.0.1, said in the report): a tripwire-signalled"
            + " write, a remote read, a connection, RPC and a 64 KiB stream through the NIC agents, beside raw Aeron UDP"
            + " and TCP across the same veth (--size, --rounds, --iterations, --warmup, --throughput-seconds, --out apply)")
    int hosts;

    @Option(names = "--mtu", defaultValue = "0", paramLabel = "BYTES",
        description = "with --hosts 2: the Aeron datagram size of the agents and of raw Aeron alike, a multiple of 32"
            + " up to 8192 (the test hosts' veth carries 9000-byte frames); 0: Aeron's default, 1408 (default:"
            + " ${DEFAULT-VALUE})")
    int mtu;

    @Option(names = "--throughput-seconds", defaultValue = "1.0", paramLabel = "S",
        description = "measured seconds per throughput point (3 rounds of every stream transport);"
            + " 0 skips the throughput section (default: ${DEFAULT-VALUE})")
    double throughputSeconds;

    /**
     * The sections compare runs, in order, each contributing a section of {@code results.md}.
     *
     * @param throughputSeconds measured seconds per throughput point; 0 leaves the throughput section out
     * @return fresh section objects
     */
    static List<CompareSection> sections(final double throughputSeconds) {
        final List<CompareSection> sections = new ArrayList<>();
        sections.add(new LatencySection());
        if (throughputSeconds > 0) {
            sections.add(new ThroughputSection(throughputSeconds));
        }
        return sections;
    }

    /** @return the system load average of the last minute, or -1 where the OS does not give it */
    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    @Override
    public Integer call() throws Exception {
        final List<String> chosen = transports == null || transports.isEmpty() ? Transports.names() : transports;
        try {
            if (hosts != 1 && hosts != 2) {
                throw new IllegalArgumentException("--hosts " + hosts + ": 1 or 2");
            }
            Payload.checkSize(size);
            if (warmupSeconds != null && (!(warmupSeconds >= 0) || warmupSeconds.isInfinite())) {
                throw new IllegalArgumentException("--warmup-seconds " + warmupSeconds + ": need a finite number >= 0");
            }
            if (hosts == 2 && mtu != 0 && (mtu < 1408 || mtu > 8192 || mtu % 32 != 0)) {
                throw new IllegalArgumentException("--mtu " + mtu + ": 0, or a multiple of 32 from 1408 to 8192");
            }
            for (final String t : hosts == 1 ? chosen : List.<String>of()) {
                Transports.byName(t);
            }
            if (!(maxSeconds > 0)) {
                throw new IllegalArgumentException("--max-seconds " + maxSeconds + ": need a number > 0");
            }
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds " + rounds + ": need at least 1");
            }
            if (throughputSeconds < 0) {
                throw new IllegalArgumentException("--throughput-seconds " + throughputSeconds + " is negative");
            }
        } catch (final IllegalArgumentException e) {
            System.err.println("compare: " + e.getMessage());
            return 2;
        }
        if (hosts == 2) {
            return new org.softclan.bench.hosts.HostsComparison(size, mtu, rounds, iterations != null ? iterations : 20_000,
                warmup != null ? warmup : 5_000, throughputSeconds, warmupSeconds != null ? warmupSeconds : 3.0,
                MarkdownTable.resultsDir(out, "compare-hosts"), System.err).run();
        }
        final Path dir = MarkdownTable.resultsDir(out, "compare");
        Files.createDirectories(dir);
        final long t0 = System.nanoTime();
        final double loadBefore = loadAverage();
        final PrintStream log = System.err;
        final CompareSection.Run run = new CompareSection.Run(dir, size, warmup, warmupSeconds, iterations, rate,
            maxSeconds, rounds, chosen, log);
        final List<CompareSection> sections = sections(throughputSeconds);
        for (final CompareSection s : sections) {
            s.run(run);
        }
        final double seconds = (System.nanoTime() - t0) / 1e9;
        final StringBuilder md = new StringBuilder();
        md.append("# vmmc bench compare\n\n");
        md.append(String.format(Locale.ROOT, "%s; %s; whole run %.0f s; load average %.2f at the start, %.2f at the"
                + " end (above about half the CPU count, the spinning transports' figures are mostly scheduling"
                + " noise).%n", PingPongCommand.host(), LocalDateTime.now().withNano(0).format(
                DateTimeFormatter.ISO_LOCAL_DATE_TIME), seconds, loadBefore, loadAverage()));
        for (final CompareSection s : sections) {
            md.append("\n## ").append(s.title()).append("\n\n").append(s.markdown());
        }
        MarkdownTable.writeResults(dir, md.toString());
        for (final CompareSection s : sections) {
            for (final Path f : s.files()) {
                System.out.println("wrote " + f);
            }
        }
        return 0;
    }
}
