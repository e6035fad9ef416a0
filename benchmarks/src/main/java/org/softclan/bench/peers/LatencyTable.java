package org.softclan.bench.peers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

import org.HdrHistogram.Histogram;

/**
 * The round-trip latency tables. {@link #markdown}: one transport's p50, p90, p99, p99.9 and max in
 * microseconds ({@code bench pingpong}). {@link #roundsMarkdown} and {@link #roundsCsv}: several rounds per
 * transport, summarised by medians and the range of p50 ({@code bench compare}).
 */
public final class LatencyTable {
    /** A transport's result, or why it has none. */
    record Row(String transport, PingPongResult result, String failure) {
        static Row of(final PingPongResult r) {
            return new Row(r.transport(), r, null);
        }

        static Row failed(final String transport, final String why) {
            return new Row(transport, null, why);
        }
    }

    private LatencyTable() {
    }

    static String us(final double micros) {
        return String.format(Locale.ROOT, "%.2f", micros);
    }

    /** @return {@code a / b} as {@code 3.14x}, or {@code n/a} if {@code b} is not positive */
    static String ratio(final double a, final double b) {
        return b > 0 && !Double.isNaN(a) ? String.format(Locale.ROOT, "%.2fx", a / b) : "n/a";
    }

    /**
     * @param p a transport's result
     * @return the table of {@code bench pingpong}: round trips, p50, p90, p99, p99.9 and max in microseconds
     */
    static String markdown(final PingPongResult p) {
        return new MarkdownTable("transport", "round trips", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us")
            .row(p.transport() + (p.capped() ? " (time-capped)" : ""), Long.toString(p.roundTrips()), us(p.micros(50)),
                us(p.micros(90)), us(p.micros(99)), us(p.micros(99.9)), us(p.maxMicros())).render();
    }

    /**
     * One transport's outcome in every round of {@code bench compare}, in round order: each a result or a
     * failure ({@code null} for a round not run).
     */
    record Rounds(String transport, List<Row> rounds) {
        Rounds {
            rounds = java.util.Collections.unmodifiableList(new ArrayList<>(rounds));
        }

        /** @return the results of the rounds that worked, in round order */
        List<PingPongResult> ok() {
            final List<PingPongResult> ok = new ArrayList<>();
            for (final Row r : rounds) {
                if (r != null && r.result != null) {
                    ok.add(r.result);
                }
            }
            return ok;
        }

        /** @return the numbers (from 1) of the rounds that failed */
        List<Integer> failedRounds() {
            final List<Integer> failed = new ArrayList<>();
            for (int i = 0; i < rounds.size(); i++) {
                if (rounds.get(i) != null && rounds.get(i).result == null) {
                    failed.add(i + 1);
                }
            }
            return failed;
        }

        /** @return the median over the rounds that worked of {@code f}, NaN if none did */
        double median(final ToDoubleFunction<PingPongResult> f) {
            return LatencyTable.median(ok().stream().mapToDouble(f).toArray());
        }

        /** @return the median over the rounds that worked of the latency at {@code percentile}, microseconds */
        double medianMicros(final double percentile) {
            return median(r -> r.micros(percentile));
        }

        /** @return the latencies of every round that worked, added into one histogram (nanoseconds) */
        Histogram combined() {
            final Histogram sum = new Histogram(3);
            for (final PingPongResult r : ok()) {
                sum.add(r.histogram());
            }
            return sum;
        }
    }

    /**
     * The median every report of the harness gives.
     *
     * @param values the values (not changed)
     * @return their median (the mean of the middle two for an even count), NaN if there are none
     */
    public static double median(final double[] values) {
        final double[] v = values.clone();
        Arrays.sort(v);
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** @return raw's rounds, or rounds of no result if raw was not run */
    private static Rounds raw(final List<Rounds> transports) {
        for (final Rounds t : transports) {
            if (Transports.RAW.equals(t.transport)) {
                return t;
            }
        }
        return new Rounds(Transports.RAW, List.of());
    }

    private static String roundList(final List<Integer> rounds) {
        final StringBuilder sb = new StringBuilder(rounds.size() == 1 ? "round " : "rounds ");
        for (int i = 0; i < rounds.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(rounds.get(i));
        }
        return sb.toString();
    }

    /**
     * The table of {@code bench compare}: per transport, the median over the rounds that worked of p50,
     * p90, p99, p99.9 and max, the lowest and highest p50 of those rounds, the ratio of the median
     * p50 to raw's median p50, and the ratio of the lowest p50 to raw's lowest (on a machine whose
     * speed changes from one run to the next, the best rounds are the ones most likely measured in the
     * same conditions). A transport that failed in some round says in which, and how many rounds
     * the medians are over; the reasons follow the table.
     *
     * @param transports the transports, in order
     * @return the Markdown table and the failures' reasons
     */
    static String roundsMarkdown(final List<Rounds> transports) {
        final double rawP50 = raw(transports).medianMicros(50);
        final double rawBest = raw(transports).ok().stream().mapToDouble(r -> r.micros(50)).min().orElse(Double.NaN);
        final MarkdownTable t = new MarkdownTable("transport", "rounds", "round trips", "p50 us", "p50 range us",
            "p90 us", "p99 us", "p99.9 us", "max us", "p50 / raw p50", "best p50 / raw best");
        final StringBuilder notes = new StringBuilder();
        for (final Rounds tr : transports) {
            final List<PingPongResult> ok = tr.ok();
            final List<Integer> failed = tr.failedRounds();
            final int ran = ok.size() + failed.size();
            final List<Integer> capped = new ArrayList<>();
            for (int i = 0; i < tr.rounds.size(); i++) {
                final Row r = tr.rounds.get(i);
                if (r != null && r.result != null && r.result.capped()) {
                    capped.add(i + 1);
                }
            }
            String name = tr.transport;
            if (!failed.isEmpty()) {
                name += ok.isEmpty() ? " (failed in every round)" : " (failed in " + roundList(failed) + ")";
            }
            if (!capped.isEmpty()) {
                name += " (time-capped in " + roundList(capped) + ")";
            }
            final String rounds = failed.isEmpty() ? Integer.toString(ran) : ok.size() + " of " + ran;
            if (ok.isEmpty()) {
                t.row(name, rounds, "-", "-", "-", "-", "-", "-", "-", "-", "-");
            } else {
                final long fewest = ok.stream().mapToLong(PingPongResult::roundTrips).min().orElse(0);
                final long most = ok.stream().mapToLong(PingPongResult::roundTrips).max().orElse(0);
                final double lo = ok.stream().mapToDouble(r -> r.micros(50)).min().orElse(Double.NaN);
                final double hi = ok.stream().mapToDouble(r -> r.micros(50)).max().orElse(Double.NaN);
                final double p50 = tr.medianMicros(50);
                t.row(name, rounds, fewest == most ? Long.toString(most) : fewest + "-" + most, us(p50),
                    us(lo) + "-" + us(hi), us(tr.medianMicros(90)), us(tr.medianMicros(99)), us(tr.medianMicros(99.9)),
                    us(tr.median(PingPongResult::maxMicros)), ratio(p50, rawP50), ratio(lo, rawBest));
            }
            for (final int f : failed) {
                notes.append("* `").append(tr.transport).append("` failed in round ").append(f).append(": ")
                    .append(tr.rounds.get(f - 1).failure).append('\n');
            }
        }
        return t.render() + (notes.length() == 0 ? "" : "\nFailures:\n\n" + notes);
    }

    /** No latencies: the columns of a row without a result. */
    private static final double[] NONE = {Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN};

    /**
     * @param runs the columns from {@code size} to {@code capped}, each followed by a comma
     * @return one line of {@link #roundsCsv}
     */
    private static String csvRow(final String transport, final String round, final String runs, final double[] stats,
                                 final String vsRaw, final String error) {
        final StringBuilder sb = new StringBuilder(transport).append(',').append(round).append(',').append(runs);
        for (final double v : stats) {
            sb.append(Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v)).append(',');
        }
        sb.append(vsRaw).append(',');
        if (!error.isEmpty()) {
            sb.append('"').append(error.replace("\"", "\"\"")).append('"');
        }
        return sb.append('\n').toString();
    }

    /**
     * The CSV of {@code bench compare}: per transport, one row per round ({@code round} = 1, 2, ...; a
     * failed round has only its {@code error}) and then one row with {@code round} = {@code median}: the
     * medians over the rounds that worked ({@code round_trips} is the median count, {@code capped} whether
     * any round was; {@code error} says how many rounds failed). {@code p50_vs_raw} is, in a round's row,
     * the ratio to raw's p50 of the same round, in a median row the ratio of the medians. Latencies in
     * microseconds.
     *
     * @param transports the transports, in order
     * @return the CSV, with a header line
     */
    static String roundsCsv(final List<Rounds> transports) {
        final Rounds raw = raw(transports);
        final double rawP50 = raw.medianMicros(50);
        final StringBuilder sb = new StringBuilder("transport,round,size,rate,warmup,warmup_s,round_trips,capped,p50_us,"
            + "p90_us,p99_us,p99_9_us,max_us,mean_us,p50_vs_raw,error\n");
        for (final Rounds t : transports) {
            for (int i = 0; i < t.rounds.size(); i++) {
                final Row r = t.rounds.get(i);
                if (r == null) {
                    continue;
                }
                final String round = Integer.toString(i + 1);
                if (r.result == null) {
                    sb.append(csvRow(t.transport, round, ",,,,,,", NONE, "", r.failure));
                    continue;
                }
                final PingPongResult p = r.result;
                final Row rawRow = i < raw.rounds.size() ? raw.rounds.get(i) : null;
                final double rawRound = rawRow != null && rawRow.result != null ? rawRow.result.micros(50) : Double.NaN;
                sb.append(csvRow(t.transport, round, String.format(Locale.ROOT, "%d,%d,%d,%.3f,%d,%b,", p.size(),
                        p.rate(), p.warmup(), p.warmupNanos() / 1e9, p.roundTrips(), p.capped()),
                    new double[] {p.micros(50), p.micros(90), p.micros(99), p.micros(99.9), p.maxMicros(),
                        p.histogram().getMean() / 1e3},
                    rawRound > 0 ? String.format(Locale.ROOT, "%.3f", p.micros(50) / rawRound) : "", ""));
            }
            final List<PingPongResult> ok = t.ok();
            final int failed = t.failedRounds().size();
            final String error = failed == 0 ? "" : failed + " of " + (failed + ok.size()) + " rounds failed";
            if (ok.isEmpty()) {
                sb.append(csvRow(t.transport, "median", ",,,,,,", NONE, "", error));
                continue;
            }
            final double p50 = t.medianMicros(50);
            sb.append(csvRow(t.transport, "median", String.format(Locale.ROOT, "%d,%d,,,%.0f,%b,", ok.get(0).size(),
                    ok.get(0).rate(), t.median(r -> r.roundTrips()), ok.stream().anyMatch(PingPongResult::capped)),
                new double[] {p50, t.medianMicros(90), t.medianMicros(99), t.medianMicros(99.9),
                    t.median(PingPongResult::maxMicros), t.median(r -> r.histogram().getMean() / 1e3)},
                rawP50 > 0 ? String.format(Locale.ROOT, "%.3f", p50 / rawP50) : "", error));
        }
        return sb.toString();
    }
}
