package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * CI's 60-second soak: {@code vmmc soak --seconds 60} must pass, with traffic of every kind and every
 * attack, the region cut from outside included (CI runs it on JDK 17 and on JDK 25).
 */
class SoakCommandTest {
    private static long figure(final String out, final String regex) {
        final Matcher m = Pattern.compile(regex).matcher(out);
        assertTrue(m.find(), "no match for " + regex + " in:\n" + out);
        return Long.parseLong(m.group(1));
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aSixtySecondSoakPassesWithTrafficOfEveryKindAndRemovesItsFabric() throws Exception {
        try (JvmProcess soak = JvmProcess.start(Vmmc.class, List.of("-Xmx128m"), "soak", "--seconds", "60")) {
            final int exit = soak.waitFor(200, TimeUnit.SECONDS);
            final String out = soak.transcript();
            assertEquals(0, exit, out);
            assertTrue(out.contains("soak: PASSED"), out);
            // from the totals: every pair of a kind may have had a region cut (then counted on the cut-pairs line)
            assertTrue(figure(out, "total +messages sent \\d+, received (\\d+)") > 0, out);
            assertTrue(figure(out, "rpc calls \\d+, answered (\\d+)") > 0, out);
            assertTrue(figure(out, "stream bytes checked (\\d+)") > 0, out);
            assertEquals(0, figure(out, "JVM crashes +(\\d+)"), out);
            assertEquals(0, figure(out, "overrun waits +(\\d+)"), out);
            final Matcher fabric = Pattern.compile("fabric (\\S+) \\(temporary\\)").matcher(out);
            assertTrue(fabric.find(), out);
            final Path dir = Paths.get(fabric.group(1).replaceAll(",$", ""));
            assertNotNull(dir);
            assertFalse(Files.exists(dir), "the soak removes its temporary fabric " + dir);
        }
    }
}
