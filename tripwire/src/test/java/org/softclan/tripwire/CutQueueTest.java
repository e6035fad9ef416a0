package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;

/**
 * "Files cut while in use": an event queue whose file another process cut, touched by a waiter and a
 * writer running in the JVM's interpreter (cold code, as the wait and wake paths are). On JDK 17 the
 * interpreter's atomic add on such memory was a SIGBUS that ended the JVM (a CI soak run lost two
 * workers so); the waiter count is now written with volatile stores and the doorbell's add made by the
 * kernel, so each step ends in an exception or an answer, and the JVM lives. The same for arming and
 * disarming on a watched region whose file was cut (the table's lock is an atomic): the unit checks the
 * file's size first.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CutQueueTest {
    @Test
    void aQueueCutUnderAWaiterAndAWriterInTheInterpreterCrashesNoJvm() throws Exception {
        try (Fabric fabric = Fabric.createTemporary()) {
            final Path dir = Files.createTempDirectory("cut-queue");
            try (JvmProcess child = JvmProcess.start(CutQueueMain.class,
                List.of("-Xint", "-Xmx128m", "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log")), fabric.root().toString())) {
                child.expectLine("survived", 40, TimeUnit.SECONDS);
                assertEquals(0, child.waitFor(10, TimeUnit.SECONDS), child.transcript());
                assertTrue(child.transcript().contains("waiter counted: true"), child.transcript());
                assertTrue(child.transcript().contains("first block: "), child.transcript());
                assertTrue(child.transcript().contains("arm on the cut region: RegionTruncatedException"),
                    child.transcript());
                assertTrue(child.transcript().contains("disarm on the cut region: returned true"), child.transcript());
                System.out.println(child.transcript());
            } finally {
                final List<Path> found;
                try (Stream<Path> crashes = Files.list(dir)) {
                    found = crashes.toList();
                }
                if (found.isEmpty()) {
                    Files.delete(dir);
                }
                assertTrue(found.isEmpty(), "JVM crash files (kept): " + found);
            }
        }
    }
}
