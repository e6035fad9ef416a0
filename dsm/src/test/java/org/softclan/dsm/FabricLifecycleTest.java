package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * Processes come and go, and the fabric stays the size of what is alive: connections (uniquely named
 * regions exported, imported and closed) leave no bookkeeping behind, while a name's generation still
 * grows across removals; what a process killed with {@code SIGKILL} left is reclaimed by the next
 * export or by {@link Fabric#clean()}, and a live process's files never are; internal names are
 * reserved.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FabricLifecycleTest {
    private static final int CYCLES = 2_000;

    private Fabric fabric;
    private Endpoint server;
    private Endpoint client;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        server = fabric.openEndpoint("server");
        client = fabric.openEndpoint("client");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void twoThousandConnectCloseCyclesLeaveOnlyWhatIsLive() throws IOException {
        final TreeSet<String> atRest = files();
        for (int i = 0; i < CYCLES; i++) {
            // what a connection does: each side exports a uniquely named receive region, imports the other's
            try (InboundMapping sx = server.export("s-" + i, 4096, i);
                 InboundMapping cx = client.export("c-" + i, 4096, i);
                 OutboundMapping toClient = server.importRegion("c-" + i, i);
                 OutboundMapping toServer = client.importRegion("s-" + i, i)) {
                toServer.putLong(0, i);
                toClient.putLong(0, sx.getLongAcquire(0));
                assertEquals(i, cx.getLongAcquire(0));
            }
        }
        assertEquals(atRest, files(), "after " + CYCLES + " connections closed, the fabric holds what it held before");
        try (InboundMapping open = server.export("one-open", 64)) {
            final TreeSet<String> expected = new TreeSet<>(atRest);
            expected.add(open.regionName() + ".region");
            assertEquals(expected, files(), "one live region: one more file");
        }
    }

    @Test
    void aGarbageGenerationCannotPushTheFloorToOverflow() throws IOException {
        // what the reclaimer does with a forged region file (dead owner, generation Long.MAX_VALUE): before,
        // the floor took it and every later export of every name got generation Long.MIN_VALUE
        final long g1;
        try (InboundMapping first = server.export("same", 64)) {
            g1 = first.generation();
        }
        try (java.nio.channels.FileChannel lock = java.nio.channels.FileChannel.open(fabric.root().resolve(".names.lock"),
            java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            NameService.raiseFloor(lock, Long.MAX_VALUE);
            assertTrue(NameService.readFloor(lock) <= NameService.MAX_GENERATION);
        }
        try (InboundMapping again = server.export("same", 64)) {
            assertTrue(again.generation() > g1 && again.generation() <= NameService.MAX_GENERATION,
                "generation after the garbage: " + again.generation() + " (before: " + g1 + ")");
        }
    }

    @Test
    void aNamesGenerationKeepsGrowingAcrossRemovalsSoAnOldImportIsNeverTakenForANewOne() {
        final InboundMapping first = server.export("same", 64);
        final OutboundMapping old = client.importRegion("same");
        final long g1 = first.generation();
        first.close();
        for (int i = 0; i < 5; i++) {
            server.export("other-" + i, 64).close();
        }
        try (InboundMapping again = server.export("same", 64)) {
            assertTrue(again.generation() > g1, again.generation() + " > " + g1);
            assertFalse(old.isValid());
            assertMentions(assertThrows(StaleRegionException.class, () -> old.putLong(0, 1)),
                "generation " + g1, "generation " + again.generation());
            try (OutboundMapping fresh = client.importRegion("same")) {
                assertEquals(again.generation(), fresh.generation());
            }
        }
    }

    @Test
    void generationFilesOfOlderVersionsAndAbandonedTemporaryFilesAreFoldedAndRemoved() throws IOException {
        final Path legacy = Files.createDirectories(fabric.root().resolve(".generations"));
        Files.writeString(legacy.resolve("old-name"), "41");
        final Path abandoned = fabric.root().resolve(".half.3.12345.tmp");
        Files.write(abandoned, new byte[4096]);
        final Reclaimed r = fabric.clean();
        assertTrue(r.files().contains(abandoned), r.toString());
        assertTrue(r.files().contains(legacy.resolve("old-name")), r.toString());
        assertFalse(Files.exists(legacy), "the old generations directory is gone");
        assertFalse(Files.exists(abandoned));
        try (InboundMapping in = server.export("old-name", 64)) {
            assertEquals(42, in.generation(), "the generation an older version recorded is not reused");
        }
    }

    @Test
    void whatAChildKilledWithSigkillLeftIsReclaimedByTheNextExportAndALiveChildsFilesAreNot() throws Exception {
        try (JvmProcess dead = JvmProcess.start(RegionOwnerMain.class, fabric.root().toString(), "dies", "4096", "0");
             JvmProcess alive = JvmProcess.start(RegionOwnerMain.class, fabric.root().toString(), "lives", "4096",
                 "0")) {
            dead.expectLine("ready ", 30, TimeUnit.SECONDS);
            alive.expectLine("ready ", 30, TimeUnit.SECONDS);
            final Path deadLiveness = fabric.region("dies").orElseThrow().owner().livenessFile();
            final Path aliveLiveness = fabric.region("lives").orElseThrow().owner().livenessFile();
            dead.kill();
            assertTrue(Files.exists(fabric.root().resolve("dies.region")), "killed: its files are left");
            assertTrue(Files.exists(deadLiveness));

            server.export("next", 64).close();   // any export reclaims a bounded part

            assertFalse(Files.exists(fabric.root().resolve("dies.region")), "the dead child's region");
            assertFalse(Files.exists(deadLiveness), "the dead child's liveness file");
            assertLiveChildUntouched(alive, aliveLiveness);
        }
    }

    @Test
    void cleanReclaimsEverythingDeadChildrenLeftReportsItAndNeverALiveChildsFiles() throws Exception {
        try (JvmProcess dead = JvmProcess.start(RegionOwnerMain.class, fabric.root().toString(), "dies", "4096", "0");
             JvmProcess alive = JvmProcess.start(RegionOwnerMain.class, fabric.root().toString(), "lives", "4096",
                 "0")) {
            dead.expectLine("ready ", 30, TimeUnit.SECONDS);
            alive.expectLine("ready ", 30, TimeUnit.SECONDS);
            final Path deadLiveness = fabric.region("dies").orElseThrow().owner().livenessFile();
            final Path aliveLiveness = fabric.region("lives").orElseThrow().owner().livenessFile();
            final OutboundMapping stillMapped = server.importRegion("dies");
            dead.kill();

            final Reclaimed r = fabric.clean();

            assertEquals(List.of("dies"), r.regions());
            assertTrue(r.files().contains(fabric.root().resolve("dies.region")), r.toString());
            assertTrue(r.files().contains(deadLiveness), r.toString());
            assertFalse(Files.exists(fabric.root().resolve("dies.region")));
            assertFalse(stillMapped.isValid(), "a mapping of the reclaimed region learns it was revoked");
            assertThrows(StaleRegionException.class, () -> stillMapped.putLong(0, 1));
            assertLiveChildUntouched(alive, aliveLiveness);
            assertTrue(fabric.clean().isEmpty(), "nothing more to reclaim");
        }
    }

    private void assertLiveChildUntouched(final JvmProcess alive, final Path aliveLiveness) throws Exception {
        assertTrue(Files.exists(fabric.root().resolve("lives.region")), "the live child's region");
        assertTrue(Files.exists(aliveLiveness), "the live child's liveness file");
        assertTrue(fabric.region("lives").orElseThrow().ownerAlive());
        try (OutboundMapping out = server.importRegion("lives")) {
            out.putLong(8, 99);
            alive.send("long 8");
            assertEquals("long 99", alive.expectLine("long ", 30, TimeUnit.SECONDS));
        }
    }

    @Test
    void reservedNamesAreRefusedToApplicationsAndInternalRegionsAreHiddenFromTheirListing() {
        for (final String reserved : List.of("evq-1-1", "sx-1-1", "cx-1-1-dep", "service.listen")) {
            assertMentions(assertThrows(IllegalArgumentException.class, () -> server.export(reserved, 64)),
                "'" + reserved + "'", "reserved");
        }
        try (InboundMapping queue = server.exportInternal("evq-1-1", 64, 0, 0);
             InboundMapping user = server.export("mine", 64)) {
            assertTrue(fabric.region("evq-1-1").orElseThrow().internal());
            assertFalse(fabric.region(user.regionName()).orElseThrow().internal());
            assertEquals(List.of("evq-1-1", "mine"), fabric.regions().stream().map(RegionInfo::name).toList());
            assertEquals(List.of("mine"), fabric.regions(false).stream().map(RegionInfo::name).toList());
            try (OutboundMapping out = client.importRegion("evq-1-1")) {
                out.putLong(0, 5);
                assertEquals(5, queue.getLong(0), "an internal region is imported like any other");
            }
        }
    }

    /** Every file and directory under the fabric, relative; liveness files by kind, not id. */
    private TreeSet<String> files() throws IOException {
        final TreeSet<String> out = new TreeSet<>();
        try (Stream<Path> all = Files.walk(fabric.root())) {
            all.filter(p -> !p.equals(fabric.root())).forEach(p -> {
                final String rel = fabric.root().relativize(p).toString();
                out.add(rel.startsWith(".live/") ? ".live/" + (Files.exists(p) ? "endpoint-" + out.stream()
                    .filter(s -> s.startsWith(".live/")).count() : "gone") : rel);
            });
        }
        return out;
    }
}
