package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FabricTest {
    private Fabric fabric;
    private Endpoint owner;
    private Endpoint importer;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        owner = fabric.openEndpoint("owner");
        importer = fabric.openEndpoint("importer");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void temporaryFabricLivesUnderDevShmAndIsRemovedOnClose() {
        final Path root = fabric.root();
        if (Files.isDirectory(Fabric.SHM)) {
            assertTrue(root.startsWith(Fabric.SHM), root.toString());
        }
        owner.export("r", 100);
        assertTrue(Files.exists(root.resolve("r.region")));
        fabric.close();
        assertFalse(Files.exists(root));
    }

    @Test
    void exportWritesAHeaderTheNameServiceReads() {
        final InboundMapping in = owner.export("alpha", 12345, 77);
        final RegionInfo info = fabric.region("alpha").orElseThrow();
        assertEquals(12345, info.size());
        assertEquals(1, info.generation());
        assertEquals("owner", info.owner().endpoint());
        assertEquals(ProcessHandle.current().pid(), info.owner().pid());
        assertEquals("active", info.state());
        assertTrue(info.ownerAlive());
        assertEquals(77, in.accessKey());
        assertEquals(RegionLayout.HEADER_LENGTH + 12345, info.file().toFile().length());
    }

    @Test
    void regionsListsEveryRegionByName() {
        owner.export("b", 10);
        owner.export("a", 20);
        final List<RegionInfo> all = fabric.regions();
        assertEquals(List.of("a", "b"), all.stream().map(RegionInfo::name).toList());
    }

    @Test
    void unknownRegionIsReportedByName() {
        owner.export("present", 8);
        final NoSuchRegionException e = assertThrows(NoSuchRegionException.class, () -> importer.importRegion("absent"));
        assertMentions(e, "'absent'", fabric.root().toString(), "present");
    }

    @Test
    void wrongKeyIsRefused() {
        owner.export("locked", 64, 0xC0FFEEL);
        final RegionAccessException e = assertThrows(RegionAccessException.class,
            () -> importer.importRegion("locked", 1));
        assertMentions(e, "wrong access key", "'locked'");
        assertThrows(RegionAccessException.class, () -> importer.importRegion("locked"));
        importer.importRegion("locked", 0xC0FFEEL).close();
    }

    @Test
    void fileWithUnknownMagicIsRefusedBeforeMapping() throws IOException {
        final Path p = fabric.root().resolve("junk.region");
        Files.write(p, new byte[8192]);
        final RegionFormatException e = assertThrows(RegionFormatException.class, () -> importer.importRegion("junk"));
        assertMentions(e, "junk.region", "unknown magic");
        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> owner.export("junk", 10));
        assertMentions(ex, "junk.region");
        assertEquals(8192, Files.size(p), "a file the fabric does not understand is never changed");
    }

    @Test
    void fileWithUnknownVersionIsRefused() throws IOException {
        owner.export("v", 64);
        final Path p = fabric.root().resolve("v.region");
        patchInt(p, RegionLayout.VERSION_OFFSET, 99);
        final RegionFormatException e = assertThrows(RegionFormatException.class, () -> importer.importRegion("v"));
        assertMentions(e, "v.region", "version 99", "version " + RegionLayout.VERSION);
    }

    @Test
    void fileShorterThanItsHeaderClaimsIsRefusedRatherThanMappedPastItsEnd() throws IOException {
        final Path p = fabric.root().resolve("short.region");
        try (Fabric other = Fabric.createTemporary()) {
            other.openEndpoint("x").export("short", 1 << 20);
            final Path src = other.root().resolve("short.region");
            final byte[] head = new byte[8192];
            try (FileChannel ch = FileChannel.open(src)) {
                ch.read(ByteBuffer.wrap(head), 0);
            }
            Files.write(p, head);
            patchInt(p, RegionLayout.STATE_OFFSET, RegionLayout.STATE_ACTIVE);
        }
        final RegionFormatException e = assertThrows(RegionFormatException.class, () -> importer.importRegion("short"));
        assertMentions(e, "short.region", String.valueOf(RegionLayout.HEADER_LENGTH + (1 << 20)), "8192");
    }

    @Test
    void tinyFileIsNotARegion() throws IOException {
        Files.write(fabric.root().resolve("tiny.region"), new byte[10]);
        final RegionFormatException e = assertThrows(RegionFormatException.class, () -> importer.importRegion("tiny"));
        assertMentions(e, "tiny.region", "not a region file");
    }

    @Test
    void secondExportOfALiveRegionIsRefusedNamingItsOwner() {
        owner.export("dup", 64);
        final RegionExistsException e = assertThrows(RegionExistsException.class,
            () -> importer.export("dup", 64));
        assertMentions(e, "'dup'", "owner@pid" + ProcessHandle.current().pid());
    }

    @Test
    void reExportAfterRemovalBumpsTheGenerationAndOldImportsGoStale() {
        final InboundMapping first = owner.export("g", 64);
        final OutboundMapping old = importer.importRegion("g");
        old.putLong(0, 1);
        first.close();
        final StaleRegionException gone = assertThrows(StaleRegionException.class, () -> old.putLong(0, 2));
        assertMentions(gone, "region 'g'", "generation 1", "no longer exported", "Import the region again");

        final InboundMapping second = owner.export("g", 64);
        assertEquals(2, second.generation());
        final StaleRegionException stale = assertThrows(StaleRegionException.class, () -> old.putLong(0, 3));
        assertMentions(stale, "region 'g'", "generation 1", "generation 2");
        assertFalse(old.isValid());
        assertThrows(StaleRegionException.class, () -> importer.dma().write(importer.allocate(8), 0, old, 0, 8));

        final OutboundMapping fresh = importer.importRegion("g");
        assertEquals(2, fresh.generation());
        fresh.putLong(0, 4);
        assertEquals(4, second.getLong(0));
    }

    @Test
    void removingARegionUnlinksButNeverTruncatesTheFile() throws IOException {
        final InboundMapping in = owner.export("keep", 1 << 16);
        final OutboundMapping out = importer.importRegion("keep");
        in.putLong(65528, 7);
        final Path p = fabric.root().resolve("keep.region");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            in.close();
            assertFalse(Files.exists(p));
            assertEquals(RegionLayout.HEADER_LENGTH + (1 << 16), ch.size(), "the unlinked file keeps its length");
        }
        assertThrows(StaleRegionException.class, () -> out.getLong(65528));
    }

    @Test
    void takingOverARegionWhoseOwnerIsGoneRevokesTheOldGeneration() throws IOException {
        owner.export("orphan", 64);
        final OutboundMapping old = importer.importRegion("orphan");
        // make the recorded owner one whose liveness lock nobody holds (no such liveness file)
        patchLong(fabric.root().resolve("orphan.region"), RegionLayout.OWNER_LIVENESS_OFFSET, 0x0DEADL);
        final RegionInfo info = fabric.region("orphan").orElseThrow();
        assertFalse(info.ownerAlive());
        final InboundMapping taken = importer.export("orphan", 64);
        assertEquals(2, taken.generation());
        assertThrows(StaleRegionException.class, () -> old.putLong(0, 1));
    }

    @Test
    void theOwnersPidIsForDisplayOnlyItsLivenessLockDecides() throws IOException {
        owner.export("pid", 64);
        // a pid that cannot exist here, as a process in another PID namespace may record
        patchLong(fabric.root().resolve("pid.region"), RegionLayout.OWNER_PID_OFFSET, Long.MAX_VALUE);
        final RegionInfo info = fabric.region("pid").orElseThrow();
        assertTrue(info.ownerAlive());
        assertEquals(owner.owner().livenessId(), info.owner().livenessId());
        assertMentions(assertThrows(RegionExistsException.class, () -> importer.export("pid", 64)), "'pid'");
        try (OutboundMapping out = importer.importRegion("pid")) {
            assertTrue(out.ownerAlive());
        }
    }

    @Test
    void aLivenessFileNobodyLocksMeansTheOwnerIsGoneAndIsReclaimed() throws IOException {
        owner.export("left", 64);
        final long deadId = 0x1EF7L;
        final Path leftover = fabric.root().resolve(".live").resolve(Long.toHexString(deadId) + ".live");
        Files.write(leftover, new byte[1]);   // what a process killed with -9 leaves: a file, no lock
        patchLong(fabric.root().resolve("left.region"), RegionLayout.OWNER_LIVENESS_OFFSET, deadId);
        assertFalse(fabric.region("left").orElseThrow().ownerAlive());
        assertFalse(Files.exists(leftover), "the dead owner's liveness file is reclaimed");
        assertEquals(2, importer.export("left", 64).generation());
    }

    @Test
    void closingAnEndpointReleasesItsLivenessSoItsRegionsOwnerIsGone() {
        final Endpoint gone = fabric.openEndpoint("gone");
        final Path file = gone.owner().livenessFile();
        assertTrue(Files.exists(file));
        assertTrue(gone.owner().isAlive());
        gone.close();
        assertFalse(Files.exists(file));
        assertFalse(gone.owner().isAlive());
    }

    @Test
    void openExistingRefusesAMissingDirectory() {
        final Path missing = fabric.root().resolve("no-such-fabric");
        assertMentions(assertThrows(DsmException.class, () -> Fabric.openExisting(missing)), "no fabric at",
            missing.toString());
        assertFalse(Files.exists(missing));
        try (Fabric same = Fabric.openExisting(fabric.root())) {
            assertEquals(fabric.root(), same.root());
        }
    }

    @Test
    void importOfARegionWhoseOwnerIsGoneIsRefused() throws IOException {
        owner.export("dead", 64);
        patchLong(fabric.root().resolve("dead.region"), RegionLayout.OWNER_LIVENESS_OFFSET, 0x0DEADL);
        final NoSuchRegionException e = assertThrows(NoSuchRegionException.class, () -> importer.importRegion("dead"));
        assertMentions(e, "'dead'", "orphaned", "no longer running");
    }

    @Test
    void invalidNamesAndSizesAreRefused() {
        assertMentions(assertThrows(IllegalArgumentException.class, () -> owner.export("../x", 8)), "'../x'");
        assertThrows(IllegalArgumentException.class, () -> owner.export("", 8));
        assertThrows(IllegalArgumentException.class, () -> owner.export(".hidden", 8));
        assertMentions(assertThrows(IllegalArgumentException.class, () -> owner.export("zero", 0)), "'zero'", "size 0");
        assertThrows(IllegalArgumentException.class, () -> owner.export("neg", -1));
    }

    @Test
    void closingAnEndpointRemovesItsRegionsAndUnmapsItsImports() {
        final InboundMapping in = owner.export("e", 64);
        final OutboundMapping out = importer.importRegion("e");
        owner.close();
        assertTrue(in.isClosed());
        assertTrue(fabric.region("e").isEmpty());
        importer.close();
        assertTrue(out.isClosed());
        assertThrows(ClosedException.class, () -> importer.importRegion("e"));
    }

    @Test
    void anyDirectoryCanHoldAFabric() throws IOException {
        final Path dir = Files.createTempDirectory("fabric-any-");
        try (Fabric f = Fabric.open(dir.resolve("nested"))) {
            f.openEndpoint("x").export("r", 8).putLong(0, 1);
            assertEquals(1, f.regions().size());
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
            }
        }
    }

    private static void patchInt(final Path p, final int offset, final int value) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value), offset);
        }
    }

    private static void patchLong(final Path p, final int offset, final long value) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value), offset);
        }
    }

    /**
     * A shutdown hook's thread, or any interrupted one, closes its endpoint: the regions must still be
     * removed. Before, the fabric's file lock failed at once on the interrupt flag
     * ({@code FileLockInterruptionException}) and the close left the region's file behind.
     */
    @Test
    void anInterruptedThreadClosingItsEndpointStillRemovesItsRegionsAndKeepsTheInterrupt() {
        final Endpoint owner = fabric.openEndpoint("owner");
        owner.export("interrupted-close", 4096);
        assertTrue(fabric.region("interrupted-close").isPresent());
        Thread.currentThread().interrupt();
        try {
            owner.close();
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
        } finally {
            Thread.interrupted();
        }
        assertFalse(fabric.region("interrupted-close").isPresent(), "the region was removed");
    }
}
