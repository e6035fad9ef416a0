package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * A process that exports regions until a kernel limit gets a {@link ResourceLimitException} while the
 * JVM still has room of its own. Before, 10,000 connections in one JVM (8 mappings each) reached
 * {@code vm.max_map_count}, and the JVM died ("Native memory allocation (mmap) failed", an hs_err file,
 * 1.6 GB left in /dev/shm). The child lowers its limit by a system property to a few hundred regions
 * above what it uses, so the test is quick; the real limits are read from {@code /proc}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResourceLimitTest {
    private Fabric fabric;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"maps", "files"})
    void aProcessNearItsLimitIsRefusedARegionWithAClearErrorAndLivesOn(final String limit) throws Exception {
        final Path dir = Files.createTempDirectory("limit");
        try (JvmProcess child = JvmProcess.start(ResourceLimitMain.class, List.of("-XX:ErrorFile=" + dir + "/hs_err_%p.log"),
            fabric.root().toString(), limit, "300")) {
            final String refused = child.expectLine("refused", 90, TimeUnit.SECONDS);
            final String[] words = refused.split(" ", 3);
            final int exported = Integer.parseInt(words[1]);
            assertTrue(exported > 150 && exported <= 300, "refused after " + exported + " regions, with room for 300: "
                + refused);
            assertTrue(refused.contains(limit.equals("maps") ? "vm.max_map_count" : "RLIMIT_NOFILE"), refused);
            assertTrue(refused.contains("region 'r" + exported + "'"), "names the region: " + refused);
            // nothing half-done: the refused region left no file, temporary or not
            assertEquals(List.of(), names(fabric.root(), "r" + exported + "."));
            assertEquals(List.of(), names(fabric.root(), ".r"));
            child.expectLine("threads ok", 30, TimeUnit.SECONDS);
            child.expectLine("after-close ok", 30, TimeUnit.SECONDS);
            assertEquals(0, child.waitFor(30, TimeUnit.SECONDS), child.transcript());
            assertEquals(List.of(), names(dir, "hs_err"));
        }
    }

    private static List<String> names(final Path dir, final String prefix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).toList();
        }
    }
}
