package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * A temporary fabric whose process was killed with -9 stays in /dev/shm (nothing else ever opens it):
 * test JVMs that crashed left eight such directories on this machine. {@link Fabric#createTemporary()}
 * now removes those whose processes are all gone, and never one in use.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TemporaryFabricSweepTest {
    @Test
    void aKilledProcesssTemporaryFabricIsSweptAndALiveOneIsNot() throws Exception {
        try (Fabric mine = Fabric.createTemporary();
             JvmProcess doomed = JvmProcess.start(TemporaryFabricMain.class)) {
            mine.openEndpoint("alive");
            final Path dir = Path.of(doomed.expectLine("dir ", 30, TimeUnit.SECONDS).substring(4));
            final Path base = dir.getParent();
            Fabric.sweepDeadTemporaries(base, 0);
            assertTrue(Files.isDirectory(dir), "swept while its process lives");
            doomed.kill();
            doomed.waitFor(30, TimeUnit.SECONDS);
            assertTrue(Files.isDirectory(dir), "killed -9: its directory is left behind");
            Fabric.sweepDeadTemporaries(base, 0);
            assertFalse(Files.exists(dir), "a dead process's temporary fabric is swept");
            assertTrue(Files.isDirectory(mine.root()), "this JVM's own temporary fabric stays");
        }
    }
}
