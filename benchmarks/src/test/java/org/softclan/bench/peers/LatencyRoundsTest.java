package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The rounds of {@code bench compare}'s latency section without JVMs: the order of the rounds, the table
 * and CSV of medians and ranges from made-up results, a failed round, the combined histograms; and the
 * warm-up by time of the timing loop with a simulated transport.
 */
class LatencyRoundsTest {
    /** A result of {@code count} round trips: half at {@code p50Nanos}, the rest spread up to 4x that. */
    static PingPongResult result(final String transport, final long p50Nanos, final int count) {
        final Histogram h = new Histogram(3);
        h.recordValueWithCount(p50Nanos, count / 2 + 1);
        for (int i = 1; i < count - count / 2; i++) {
            h.recordValue(p50Nanos + (3 * p50Nanos * i) / (count - count / 2));
        }
        return new PingPongResult(transport, 32, 0, 500, 1_500_000_000L, h, 1_000_000, false, 500 + count);
    }

    private static LatencyTable.Row ok(final String transport, final long p50Nanos) {
        return LatencyTable.Row.of(result(transport, p50Nanos, 1000));
    }

    @Test
    void eachRoundStartsOneFurtherAndNoTransportAlwaysFollowsTheSameOne() {
        final List<String> all = List.of("raw", "tripwire-spin", "tripwire-block", "queue", "rpc", "aeron-ipc", "tcp",
            "uds");
        final List<List<String>> order = LatencySection.schedule(all, 3);
        assertEquals(3, order.size());
        assertEquals(all, order.get(0), "the first round runs the transports as chosen");
        assertEquals(List.of("tripwire-spin", "raw", "uds", "tcp", "aeron-ipc", "rpc", "queue", "tripwire-block"),
            order.get(1));
        assertEquals(List.of("tripwire-block", "queue", "rpc", "aeron-ipc", "tcp", "uds", "raw", "tripwire-spin"),
            order.get(2));
        for (int r = 0; r < order.size(); r++) {
            assertEquals(all.get(r % all.size()), order.get(r).get(0), "round " + r + " starts at transport r mod n");
            assertEquals(new HashSet<>(all), new HashSet<>(order.get(r)), "round " + r + " runs each transport once");
            assertEquals(all.size(), order.get(r).size());
        }
        // over the whole run (rounds back to back), every transport has more than one predecessor
        final Map<String, Set<String>> before = new HashMap<>();
        String previous = "(start)";
        for (final List<String> round : order) {
            for (final String t : round) {
                before.computeIfAbsent(t, k -> new HashSet<>()).add(previous);
                previous = t;
            }
        }
        for (final String t : all) {
            assertTrue(before.get(t).size() >= 2, t + " always follows " + before.get(t));
        }
        // with more rounds than transports the start wraps round
        final List<List<String>> two = LatencySection.schedule(List.of("raw", "tcp"), 3);
        assertEquals(List.of(List.of("raw", "tcp"), List.of("tcp", "raw"), List.of("raw", "tcp")), two);
        assertThrows(IllegalArgumentException.class, () -> LatencySection.schedule(all, 0));
    }

    @Test
    void tableGivesMediansOverRoundsTheRangeOfP50AndTheRatioOfMedians() {
        final LatencySection s = new LatencySection(null);
        s.begin(List.of("raw", "tcp"), 3);
        s.record("raw", 1, ok("raw", 250));
        s.record("raw", 2, ok("raw", 830));
        s.record("raw", 3, ok("raw", 500));
        s.record("tcp", 1, ok("tcp", 59_999));
        s.record("tcp", 2, ok("tcp", 14_999));
        s.record("tcp", 3, ok("tcp", 19_999));
        final List<LatencyTable.Rounds> table = s.table();
        assertEquals(0.5, table.get(0).medianMicros(50), 1e-3);
        assertEquals(20.0, table.get(1).medianMicros(50), 0.05);
        assertEquals(3000, table.get(1).combined().getTotalCount(), "the rounds' histograms added");
        final String md = LatencyTable.roundsMarkdown(table);
        final String[] lines = md.split("\n");
        assertEquals("| transport | rounds | round trips | p50 us | p50 range us | p90 us | p99 us | p99.9 us | max us"
            + " | p50 / raw p50 | best p50 / raw best |", lines[0].replaceAll(" +", " "));
        // raw: p50 median 0.50, range 0.25-0.83; max is 4x p50 less a step: median of the rounds' maxima
        final String raw = lines[2].replaceAll(" +", " ");
        assertTrue(raw.startsWith("| raw | 3 | 1000 | 0.50 | 0.25-0.83 | "), raw);
        assertTrue(raw.endsWith(" | 1.00x | 1.00x |"), raw);
        final double rawMax = table.get(0).median(PingPongResult::maxMicros);
        assertTrue(raw.contains(" | " + LatencyTable.us(rawMax) + " | 1.00x |"), raw + " max " + rawMax);
        assertTrue(rawMax > 1.9 && rawMax < 2.0, "median of the maxima (about 4 x 0.5 us): " + rawMax);
        final String tcp = lines[3].replaceAll(" +", " ");
        assertTrue(tcp.startsWith("| tcp | 3 | 1000 | 20.00 | 15.00-60.00 | "), tcp);
        assertTrue(tcp.endsWith(" | 40.00x | 60.00x |"), "ratio of the medians, 20 / 0.5, and of the best rounds,"
            + " 15 / 0.25: " + tcp);
        assertEquals(4, lines.length, md);
    }

    @Test
    void aFailedRoundIsShownAndTheMediansAreOverTheRoundsThatWorked() {
        final LatencySection s = new LatencySection(null);
        s.begin(List.of("raw", "uds", "aeron-ipc"), 3);
        s.record("raw", 1, ok("raw", 400));
        s.record("raw", 2, ok("raw", 400));
        s.record("raw", 3, ok("raw", 400));
        s.record("uds", 1, ok("uds", 9_999));
        s.record("uds", 2, LatencyTable.Row.failed("uds", "exit status 1 (see uds-r2.log)"));
        s.record("uds", 3, ok("uds", 11_999));
        for (int r = 1; r <= 3; r++) {
            s.record("aeron-ipc", r, LatencyTable.Row.failed("aeron-ipc", "driver did not start"));
        }
        final String md = LatencyTable.roundsMarkdown(s.table()).replaceAll(" +", " ");
        assertTrue(md.contains("| uds (failed in round 2) | 2 of 3 | 1000 | 11.00 | 10.00-12.00 | "), md);
        assertTrue(md.contains(" | 27.50x | 25.00x |"), "ratios from the two rounds that worked: " + md);
        assertTrue(md.contains("| aeron-ipc (failed in every round) | 0 of 3 | - | - | - | - | - | - | - | - | - |"),
            md);
        assertTrue(md.contains("* `uds` failed in round 2: exit status 1 (see uds-r2.log)"), md);
        assertEquals(3, md.split("driver did not start").length - 1, "each failed round's reason: " + md);

        final List<String> csv = Arrays.asList(LatencyTable.roundsCsv(s.table()).split("\n"));
        assertEquals(1 + 3 * 4, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(0).startsWith("transport,round,size,rate,warmup,warmup_s,round_trips,capped,p50_us,"),
            csv.get(0));
        assertTrue(csv.get(1).startsWith("raw,1,32,0,500,1.500,1000,false,0.400,"), csv.get(1));
        assertTrue(csv.get(4).startsWith("raw,median,32,0,,,1000,false,0.400,"), csv.get(4));
        assertTrue(csv.get(5).startsWith("uds,1,32,0,500,1.500,1000,false,9.999,"), csv.get(5));
        assertEquals(9.999 / 0.4, Double.parseDouble(csv.get(5).split(",", -1)[14]), 1e-3,
            "a round's ratio is to raw's p50 of the same round: " + csv.get(5));
        assertEquals("uds,2,,,,,,,,,,,,,,\"exit status 1 (see uds-r2.log)\"", csv.get(6));
        assertTrue(csv.get(8).startsWith("uds,median,32,0,,,1000,false,10.999,"), csv.get(8));
        assertEquals(10.999 / 0.4, Double.parseDouble(csv.get(8).split(",", -1)[14]), 1e-3, csv.get(8));
        assertTrue(csv.get(8).endsWith(",\"1 of 3 rounds failed\""), csv.get(8));
        assertEquals("aeron-ipc,median,,,,,,,,,,,,,,\"3 of 3 rounds failed\"", csv.get(12));
        for (final String line : csv) {
            assertEquals(16, line.split(",", -1).length, "16 columns: " + line);
        }
    }

    @Test
    void sectionRunsTheRoundsInScheduleOrderAndAddsEachTransportsHistograms(@TempDir final Path dir) throws Exception {
        final List<String> calls = new ArrayList<>();
        final LatencySection s = new LatencySection((run, transport, round) -> {
            calls.add(round + ":" + transport);
            if (transport.equals("tcp") && round == 2) {
                return LatencyTable.Row.failed("tcp", "no result within 50 s");
            }
            return LatencyTable.Row.of(result(transport, transport.equals("raw") ? 300 + 100 * round : 40_000, 200));
        });
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        s.run(new CompareSection.Run(dir, 32, null, null, null, 0, 30, 2, List.of("raw", "queue", "tcp"),
            new PrintStream(log, true, StandardCharsets.UTF_8)));
        assertEquals(List.of("1:raw", "1:queue", "1:tcp", "2:queue", "2:raw", "2:tcp"), calls);
        final String logText = log.toString(StandardCharsets.UTF_8);
        assertTrue(logText.contains("tcp failed in round 2: no result within 50 s"), logText);
        assertTrue(Files.readString(dir.resolve("raw.hgrm")).matches("(?s).*Total count += +400\\].*"),
            "two rounds of 200 round trips");
        assertTrue(Files.readString(dir.resolve("tcp.hgrm")).matches("(?s).*Total count += +200\\].*"),
            "the round that worked");
        final String svg = Files.readString(dir.resolve("latency.svg"));
        for (final String t : List.of("raw", "queue", "tcp")) {
            assertTrue(svg.contains(">" + t + "</text>"), "a legend entry for each line: " + t);
        }
        assertTrue(svg.contains("2 rounds added"), "the chart says its lines add the rounds");
        assertEquals(1 + 3 * 3, Files.readAllLines(dir.resolve("latency.csv")).size());
        final String md = s.markdown();
        assertTrue(md.contains("2 rounds: in each, every transport runs once"), md);
        assertTrue(md.contains("add up the histograms of all rounds"), md);
        assertTrue(md.replaceAll(" +", " ").contains("| raw | 2 | 200 | 0.45 | 0.40-0.50 | "), md);
        assertTrue(md.contains("tcp (failed in round 2)"), md);
        assertTrue(md.contains("* `tcp` failed in round 2: no result within 50 s"), md);
    }

    @Test
    void warmUpRunsForAtLeastTheTimeGivenAndAtLeastTheCount() throws Exception {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        final PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);
        final PeerTransport raw = Transports.byName("raw");
        // a count that takes microseconds, and 50 ms: the time decides
        final PingPongResult byTime = PingPongRunner.measure(new CoordinatedOmissionTest.StallingClient(-1),
            new PingPongRunner.Settings(raw, 32, 10, 0.05, 100, 0, 30), ps);
        assertTrue(byTime.warmupNanos() >= 50_000_000L, "warm-up of " + byTime.warmupNanos() + " ns");
        assertTrue(byTime.warmup() > 10, "kept going after the count: " + byTime.warmup());
        final Matcher m = Pattern.compile("raw: (\\d+) warm-up round trips in ([0-9.]+) s").matcher(log.toString(
            StandardCharsets.UTF_8));
        assertTrue(m.find(), log.toString(StandardCharsets.UTF_8));
        assertTrue(Double.parseDouble(m.group(2)) >= 0.05, m.group());
        assertEquals(byTime.warmup(), Long.parseLong(m.group(1)));
        // no time: exactly the count
        final PingPongResult byCount = PingPongRunner.measure(new CoordinatedOmissionTest.StallingClient(-1),
            new PingPongRunner.Settings(raw, 32, 1234, 0, 100, 0, 30), null);
        assertEquals(1234, byCount.warmup());
        // the cap (a third of max-seconds, 20 ms) wins over a longer time asked, and the log says so
        log.reset();
        final PingPongResult capped = PingPongRunner.measure(new CoordinatedOmissionTest.StallingClient(-1),
            new PingPongRunner.Settings(raw, 32, 10, 5.0, 100, 0, 0.06), ps);
        assertTrue(capped.warmupNanos() >= 20_000_000L && capped.warmupNanos() < 2_000_000_000L,
            "capped warm-up of " + capped.warmupNanos() + " ns");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("(time-capped)"), log.toString(StandardCharsets.UTF_8));
        assertEquals(100, capped.roundTrips());
    }

    @Test
    void badRoundsAndWarmUpSecondsAreUsageErrors() {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final CommandLine compare = new CommandLine(new CompareCommand());
        final PrintStream saved = System.err;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(2, compare.execute("--rounds", "0", "--out", "target/never-written"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--rounds 0"), err.toString(StandardCharsets.UTF_8));
            assertEquals(2, compare.execute("--rounds", "-2"));
            assertEquals(2, compare.execute("--warmup-seconds", "-1"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--warmup-seconds -1"),
                err.toString(StandardCharsets.UTF_8));
            assertEquals(2, new CommandLine(new PingPongCommand()).execute("--transport", "raw", "--warmup-seconds",
                "-0.5"));
        } finally {
            System.setErr(saved);
        }
        assertTrue(!Files.exists(Path.of("target/never-written")), "a usage error writes nothing");
    }
}
