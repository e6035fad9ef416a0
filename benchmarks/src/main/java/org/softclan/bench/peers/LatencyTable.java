package org.softclan.bench.peers;

import java.util.List;
import java.util.Locale;

/**
 * The round-trip latency table: one row per transport (or its failure), p50, p90, p99, p99.9 and max
 * in microseconds, optionally the ratio of each p50 to raw's p50.
 */
final class LatencyTable {
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
     * @param rows     the transports, in order
     * @param withRatio whether to add the column p50 / raw p50 (needs a raw row)
     * @return the Markdown table
     */
    static String markdown(final List<Row> rows, final boolean withRatio) {
        double rawP50 = Double.NaN;
        for (final Row r : rows) {
            if (Transports.RAW.equals(r.transport) && r.result != null) {
                rawP50 = r.result.micros(50);
            }
        }
        final MarkdownTable t = withRatio
            ? new MarkdownTable("transport", "round trips", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us",
                "p50 / raw p50")
            : new MarkdownTable("transport", "round trips", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us");
        for (final Row r : rows) {
            final String[] cells;
            if (r.result == null) {
                cells = new String[] {r.transport + " (failed: " + r.failure + ")", "-", "-", "-", "-", "-", "-"};
            } else {
                final PingPongResult p = r.result;
                cells = new String[] {p.transport() + (p.capped() ? " (time-capped)" : ""),
                    Long.toString(p.roundTrips()), us(p.micros(50)), us(p.micros(90)), us(p.micros(99)),
                    us(p.micros(99.9)), us(p.maxMicros())};
            }
            if (withRatio) {
                final String[] with = java.util.Arrays.copyOf(cells, cells.length + 1);
                with[cells.length] = r.result == null ? "-" : ratio(r.result.micros(50), rawP50);
                t.row(with);
            } else {
                t.row(cells);
            }
        }
        return t.render();
    }

    /** @return the CSV of the rows, with a header line; latencies in microseconds */
    static String csv(final List<Row> rows) {
        double rawP50 = Double.NaN;
        for (final Row r : rows) {
            if (Transports.RAW.equals(r.transport) && r.result != null) {
                rawP50 = r.result.micros(50);
            }
        }
        final StringBuilder sb = new StringBuilder(
            "transport,size,rate,warmup,round_trips,capped,p50_us,p90_us,p99_us,p99_9_us,max_us,mean_us,p50_vs_raw,error\n");
        for (final Row r : rows) {
            if (r.result == null) {
                sb.append(r.transport).append(",,,,,,,,,,,,,\"").append(r.failure.replace("\"", "\"\"")).append("\"\n");
                continue;
            }
            final PingPongResult p = r.result;
            sb.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%b,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%n", p.transport(),
                p.size(), p.rate(), p.warmup(), p.roundTrips(), p.capped(), p.micros(50), p.micros(90), p.micros(99),
                p.micros(99.9), p.maxMicros(), p.histogram().getMean() / 1e3,
                rawP50 > 0 ? String.format(Locale.ROOT, "%.3f", p.micros(50) / rawP50) : ""));
        }
        return sb.toString();
    }
}
