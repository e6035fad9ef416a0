package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * Whether a region's owner is alive is decided by the lock its endpoint holds on its liveness file,
 * which the kernel keeps across PID namespaces and drops when the process dies: an owner in another
 * PID namespace is alive, its name cannot be taken, and once it is killed it is dead and the name can
 * be exported anew.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OwnerLivenessTest {
    private static final List<String> UNSHARE = List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child");

    private Fabric fabric;
    private Endpoint b;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        b = fabric.openEndpoint("b");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void anOwnerKilledWithSigkillIsAliveUntilThenAndDeadAfterAndItsNameCanBeExportedAgain() throws Exception {
        try (JvmProcess owner = JvmProcess.start(RegionOwnerMain.class, fabric.root().toString(), "shared", "4096",
            "0")) {
            owner.expectLine("ready 1 ", 30, TimeUnit.SECONDS);
            assertOwnedByALiveProcessElsewhere(owner.pid());
            owner.kill();
            assertTakenOverAfterDeath();
        }
    }

    @Test
    void anOwnerInAnotherPidNamespaceIsAliveItsNameIsRefusedAndAfterSigkillItIsDead() throws Exception {
        assumeUnshareWorks();
        try (JvmProcess unshare = JvmProcess.startWrapped(UNSHARE, RegionOwnerMain.class, List.of("-Xmx256m"),
            fabric.root().toString(), "shared", "4096", "0")) {
            final String ready = unshare.expectLine("ready 1 ", 30, TimeUnit.SECONDS);
            final ProcessHandle java = unshare.handle().children().findFirst().orElseThrow();
            final long pidInItsNamespace = Long.parseLong(ready.split(" ")[2]);
            assertNotEquals(java.pid(), pidInItsNamespace, "the owner runs in its own PID namespace");
            assertEquals(pidInItsNamespace, fabric.region("shared").orElseThrow().owner().pid());
            assertOwnedByALiveProcessElsewhere(pidInItsNamespace);
            java.destroyForcibly();   // SIGKILL to the owner JVM itself; unshare then exits
            unshare.waitFor(30, TimeUnit.SECONDS);
            assertFalse(java.isAlive());
            assertTakenOverAfterDeath();
        }
    }

    @Test
    void probingAnOwnerInThisJvmLeavesItsLockInPlaceForOtherProcesses() throws Exception {
        final InboundMapping in = b.export("mine", 64);
        for (int i = 0; i < 3; i++) {
            // must answer from this JVM's memory: opening and closing the liveness file here would
            // release the lock this process holds on it (POSIX record locks are per process)
            assertTrue(fabric.region("mine").orElseThrow().ownerAlive());
        }
        try (Endpoint c = fabric.openEndpoint("c"); OutboundMapping out = c.importRegion("mine")) {
            assertTrue(out.ownerAlive());
        }
        try (JvmProcess probe = JvmProcess.start(LivenessProbeMain.class, fabric.root().toString(), "mine")) {
            probe.expectLine("alive true", 30, TimeUnit.SECONDS);
            probe.expectLine("export refused", 30, TimeUnit.SECONDS);
            assertEquals(0, probe.waitFor(30, TimeUnit.SECONDS), probe.transcript());
        }
        assertEquals(1, fabric.region("mine").orElseThrow().generation());
        in.close();
    }

    private void assertOwnedByALiveProcessElsewhere(final long pid) throws Exception {
        final RegionInfo info = fabric.region("shared").orElseThrow();
        assertTrue(info.ownerAlive(), "the owner " + info.owner() + " is running");
        assertTrue(Files.exists(info.owner().livenessFile()));
        final RegionExistsException e = assertThrows(RegionExistsException.class, () -> b.export("shared", 64));
        assertMentions(e, "'shared'", "pid" + pid);
        try (OutboundMapping out = b.importRegion("shared")) {
            assertTrue(out.ownerAlive());
            out.putLong(0, 7);
        }
        try (JvmProcess probe = JvmProcess.start(LivenessProbeMain.class, fabric.root().toString(), "shared")) {
            probe.expectLine("alive true", 30, TimeUnit.SECONDS);
            probe.expectLine("export refused", 30, TimeUnit.SECONDS);
            assertEquals(0, probe.waitFor(30, TimeUnit.SECONDS), probe.transcript());
        }
    }

    private void assertTakenOverAfterDeath() {
        final RegionInfo info = fabric.region("shared").orElseThrow();
        assertFalse(info.ownerAlive(), "the owner " + info.owner() + " was killed");
        assertFalse(Files.exists(info.owner().livenessFile()), "what the dead owner left is reclaimed");
        assertMentions(assertThrows(NoSuchRegionException.class, () -> b.importRegion("shared")), "orphaned");
        try (InboundMapping taken = b.export("shared", 64)) {
            assertEquals(2, taken.generation());
            assertTrue(fabric.region("shared").orElseThrow().ownerAlive());
        }
    }

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
}
