package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.dsm.testing.JvmProcess;

/**
 * A program that uses the library in a JVM started without the {@code --add-opens}/{@code --add-exports}
 * flags Chronicle needs gets a {@link DsmException} that names the flags, before anything is created,
 * instead of Chronicle's {@code AssertionError} from deep inside its first mapping and a 4 MiB
 * temporary file left behind.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JvmFlagsTest {
    @TempDir
    Path tmp;

    @Test
    void withoutTheFlagsOpeningAFabricIsRefusedNamingTheFlagsAndNothingIsCreated() throws Exception {
        final Path missing = tmp.resolve("not-yet").resolve("fabric");
        final String line = exportWithoutFlags(missing);
        assertTrue(line.startsWith("refused DsmException: "), line);
        for (final String flag : List.of("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED")) {
            assertTrue(line.contains(flag), "names " + flag + ": " + line);
        }
        assertFalse(Files.exists(tmp.resolve("not-yet")), "no directory was created");
    }

    @Test
    void withoutTheFlagsAnExistingFabricDirectoryIsLeftAsItWas() throws Exception {
        final Path existing = Files.createDirectory(tmp.resolve("fabric"));
        final String line = exportWithoutFlags(existing);
        assertTrue(line.startsWith("refused DsmException: ") && line.contains("--add-opens"), line);
        try (Stream<Path> left = Files.walk(existing)) {
            assertEquals(List.of(existing), left.toList(), "no file left behind");
        }
    }

    @Test
    void withTheBuildsFlagsTheSameProgramExports() throws Exception {
        final Path dir = tmp.resolve("with-flags");
        try (JvmProcess child = JvmProcess.start(ExportWithoutFlagsMain.class, dir.toString())) {
            final String line = child.expectLine("exported ", 30, TimeUnit.SECONDS);
            assertTrue(line.startsWith("exported "), line);
            assertEquals(0, child.waitFor(30, TimeUnit.SECONDS), child.transcript());
        }
        assertTrue(JvmAccess.missingFlags().isEmpty(), "this test JVM has them: " + JvmAccess.missingFlags());
    }

    private static String exportWithoutFlags(final Path fabric) throws Exception {
        try (JvmProcess child = JvmProcess.startWithoutJvmFlags(ExportWithoutFlagsMain.class, List.of("-Xmx128m"),
            fabric.toString())) {
            final String line = child.expectLine("refused ", 30, TimeUnit.SECONDS);
            child.waitFor(30, TimeUnit.SECONDS);
            return line;
        }
    }
}
