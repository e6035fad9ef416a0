package org.softclan.bench.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.bench.peers.CompareCommand;
import picocli.CommandLine;

/**
 * A small {@code bench compare --hosts 2}: one round of every measurement between two namespaced hosts (or two
 * loopback agents, said in the report), each in a fresh pair of JVMs; every row measured (none failed), the
 * payload checked on each round trip by the peers themselves.
 */
class HostsComparisonTest {
    @Test
    @Timeout(300)
    void everyMeasurementRunsAcrossTwoHostsAndTheReportHasEveryRow(@TempDir final Path dir) throws Exception {
        final int status = new CommandLine(new CompareCommand()).execute("--hosts", "2", "--rounds", "1", "--warmup", "200",
            "--iterations", "500", "--throughput-seconds", "0.3",
            "--warmup-seconds", "0.3", "--out", dir.toString());
        final String md = Files.readString(dir.resolve("results.md"));
        System.out.println(md);
        assertEquals(0, status, md);
        assertFalse(md.contains("failed"), md);
        for (final String row : new String[] {"tripwire-write", "remote-read", "queue", "rpc", "aeron-udp", "tcp"}) {
            assertTrue(md.matches("(?s).*\\| " + row + " \\| [0-9.]+ \\|.*"), row + " measured: " + md);
        }
        for (final String row : new String[] {"stream", "aeron-udp", "tcp"}) {
            assertTrue(md.matches("(?s).*\\| " + row + " \\| [0-9]+ \\| [0-9]+-[0-9]+ \\|.*"), row + " one way: " + md);
        }
        assertTrue(md.contains("network namespaces") || md.contains("NOT network namespaces"), md);
    }
}
