package org.softclan.bench.hosts;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The report of {@code bench compare --hosts 2}, from results made up here (no hosts, no JVMs). */
class HostsReportTest {
    private static String report(final int rounds) {
        final HostsComparison c = new HostsComparison(64, 0, rounds, 1000, 100, 0, 0, Path.of("."), System.out);
        return c.report("two network namespaces", Map.of("tcp", List.<double[]>of(new double[] {30, 40, 50, 60, 1100})),
            Map.of(), List.of(), 12);
    }

    @Test
    void oneRoundIsOneRoundNotOneRounds() {
        final String md = report(1);
        assertTrue(md.contains("; 1 round, each measurement"), md);
        assertFalse(md.contains("1 rounds"), md);
    }

    @Test
    void moreRoundsAreRounds() {
        assertTrue(report(3).contains("; 3 rounds, each measurement"), report(3));
    }
}
