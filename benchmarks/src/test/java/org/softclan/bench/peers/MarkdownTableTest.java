package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MarkdownTableTest {
    @Test
    void padsColumnsAlignsNumbersRightAndEscapesPipes() {
        final String table = new MarkdownTable("transport", "p50 us")
            .row("raw", "0.25")
            .row("a|b", "123.40")
            .render();
        assertEquals(""
            + "| transport | p50 us |\n"
            + "| :-------- | -----: |\n"
            + "| raw       |   0.25 |\n"
            + "| a\\|b      | 123.40 |\n", table);
    }

    @Test
    void rejectsARowOfTheWrongWidth() {
        final MarkdownTable t = new MarkdownTable("a", "b");
        assertThrows(IllegalArgumentException.class, () -> t.row("only one"));
    }

    private static PingPongResult result(final String transport, final long nanos) {
        final Histogram h = new Histogram(3);
        h.recordValueWithCount(nanos, 100);
        return new PingPongResult(transport, 32, 0, 10, 0, h, 1_000_000, false, 110);
    }

    @Test
    void latencyTableGivesPercentilesInMicros() {
        final String[] lines = LatencyTable.markdown(result("tcp", 2_000)).split("\n");
        assertEquals(3, lines.length);
        assertEquals("| transport | round trips | p50 us | p90 us | p99 us | p99.9 us | max us |", lines[0]);
        assertEquals("| tcp       |         100 |   2.00 |   2.00 |   2.00 |     2.00 |   2.00 |", lines[2]);
    }

    @Test
    void resultFileRoundTripsTheHistogram(@TempDir final Path dir) throws Exception {
        final Histogram h = new Histogram(3);
        for (int i = 1; i <= 1000; i++) {
            h.recordValue(i * 37L);
        }
        final PingPongResult r = new PingPongResult("queue", 64, 5000, 20, 0, h, 123_456_789, true, 1020);
        final Path f = dir.resolve("queue.result");
        r.write(f);
        final PingPongResult back = PingPongResult.read(f);
        assertEquals(h, back.histogram());
        assertEquals("queue", back.transport());
        assertEquals(64, back.size());
        assertEquals(5000, back.rate());
        assertEquals(20, back.warmup());
        assertEquals(123_456_789, back.nanos());
        assertEquals(true, back.capped());
        assertEquals(1020, back.echoed());
        Files.writeString(f, "transport=x\n");
        assertThrows(java.io.IOException.class, () -> PingPongResult.read(f));
    }
}
