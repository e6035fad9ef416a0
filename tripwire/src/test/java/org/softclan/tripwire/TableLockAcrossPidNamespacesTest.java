package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.testing.JvmProcess;

/**
 * A process in another PID namespace (a container sharing /dev/shm) holds a region's tripwire-table
 * lock. With holders named by pid and start time, this JVM could not see that pid, took the holder for
 * dead and took the lock over while the holder lived. Now the lock word names the holder's endpoint by
 * its liveness id, whose kernel-held lock is visible from any namespace: arming waits and fails clearly,
 * and once the holder is killed the lock is recovered.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TableLockAcrossPidNamespacesTest {
    private static final List<String> UNSHARE = List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child");

    private static void assumeUnshareWorks() throws IOException, InterruptedException {
        final Process p;
        try {
            p = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "true")
                .redirectErrorStream(true).start();
        } catch (final IOException e) {
            Assumptions.abort("unshare is not installed: " + e.getMessage());
            return;
        }
        final String out = new String(p.getInputStream().readAllBytes()).trim();
        Assumptions.assumeTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0,
            "unshare --pid --fork --mount-proc is not permitted here (it needs root or user namespaces): " + out);
    }

    @Test
    void aHolderInAnotherPidNamespaceIsNotTakenForDead() throws Exception {
        assumeUnshareWorks();
        try (Fabric fabric = Fabric.createTemporary()) {
            final InboundMapping victim = fabric.openEndpoint("owner").export("victim", 1 << 16);
            try (TripwireUnit unit = TripwireUnit.open(victim.endpoint());
                 JvmProcess holder = JvmProcess.startWrapped(UNSHARE, HostilePeerMain.class, List.of("-Xmx256m"),
                     fabric.root().toString(), "victim", unit.events().regionName())) {
                unit.arm(victim, Tripwire.Options.word(0));
                holder.expectLine("ready", 30, TimeUnit.SECONDS);
                holder.send("lock-live");
                holder.expectLine("done", 30, TimeUnit.SECONDS);
                final TripwireLockTimeoutException e = assertThrows(TripwireLockTimeoutException.class,
                    () -> unit.arm(victim, Tripwire.Options.word(64)));
                assertTrue(e.getMessage().contains("alive"), e.getMessage());
                holder.kill();   // the holder's lock on its liveness file goes with it
                final Tripwire t = unit.arm(victim, Tripwire.Options.word(128));   // recovered from the dead holder
                t.disarm();
            }
        }
    }
}
