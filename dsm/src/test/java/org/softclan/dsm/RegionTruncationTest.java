package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.dsm.testing.JvmProcess;

/**
 * A region's file cut short from outside ({@code truncate}) while it is mapped: accesses report a
 * {@link RegionTruncatedException} naming the region instead of an anonymous {@link InternalError},
 * closing is safe, and a cut file is not imported.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegionTruncationTest {
    private static final long SIZE = 1 << 20;
    private static final long MAPPED = RegionLayout.HEADER_LENGTH + SIZE;

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

    private static void cut(final Path file, final long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(length);
        }
    }

    private Path fileOf(final String region) {
        return fabric.region(region).orElseThrow().file();
    }

    // ----------------------------------------------------------------------------- one JVM

    @Test
    void checkIntactNamesTheRegionTheFileAndBothSizesOnceTheFileIsCut() throws IOException {
        final InboundMapping in = owner.export("cut", SIZE);
        final OutboundMapping out = importer.importRegion("cut");
        final Path file = fileOf("cut");
        assertTrue(in.isIntact());
        in.checkIntact();
        assertEquals(MAPPED, out.mappedLength());
        cut(file, 4096);
        assertFalse(in.isIntact());
        assertFalse(out.isIntact());
        final RegionTruncatedException e = assertThrows(RegionTruncatedException.class, out::checkIntact);
        assertMentions(e, "region 'cut'", file.toString(), "4096 bytes", MAPPED + " bytes");
        assertEquals("cut", e.regionName());
        assertEquals(4096, e.fileSize());
        assertEquals(MAPPED, e.mappedSize());
        assertEquals(file, e.file());
        // read by /proc/self/fd, not through the channel: a fault the JVM delivers late inside the channel's
        // thread bookkeeping once left it unclosable (a later close waited for ever, seen in the soak)
        assertTrue(out.file.sizeByDescriptorPath());
        assertTrue(in.file.sizeByDescriptorPath());
    }

    @Test
    void closingAfterTheFileWasCutBelowTheStateWordTouchesNoMemoryPastItsEnd() throws IOException {
        final InboundMapping in = owner.export("gone", SIZE);
        final OutboundMapping out = importer.importRegion("gone");
        final Path file = fileOf("gone");
        cut(file, 0);
        // the owner's close revokes the region by writing its state word at byte 64: through the mapping
        // that would kill this JVM with SIGBUS; it must see the file is short and skip the write
        out.close();
        in.close();
        assertTrue(in.isClosed());
        assertFalse(Files.exists(file), "the name is still removed");
        assertFalse(in.isIntact());
        assertThrows(ClosedException.class, in::checkIntact);
    }

    @Test
    void closingAfterTheDataAreaWasCutStillRevokesTheRegionForItsImporters() throws IOException {
        final InboundMapping in = owner.export("half", SIZE);
        final OutboundMapping out = importer.importRegion("half");
        final Path file = fileOf("half");
        try (RandomAccessFile keep = new RandomAccessFile(file.toFile(), "r")) {
            cut(file, 4096);
            in.close();
            assertEquals(4096, keep.length(), "closing neither extends nor shrinks the file");
            assertFalse(out.isValid(), "the header is still there, so the revocation reached it");
        }
        out.close();
    }

    @Test
    void regionFaultsExplainNamesTheCutRegionAndIgnoresFaultsThatAreNotACutRegions() throws IOException {
        owner.export("fine", 4096);
        final InboundMapping in = owner.export("victim", SIZE);
        final InternalError fault = new InternalError("a fault occurred in a recent unsafe memory access operation");
        assertNull(RegionFaults.explain(fault), "no file is short: the fault is not explained by a cut region");
        cut(fileOf("victim"), 4096);
        final RegionTruncatedException e = RegionFaults.explain(fault);
        assertMentions(e, "region 'victim'", "4096 bytes", MAPPED + " bytes");
        assertSame(fault, e.getCause());
        in.close();
        assertNull(RegionFaults.explain(fault), "a closed mapping is not a suspect");
    }

    @Test
    void importingAFileCutShorterThanItsHeaderSaysIsRefusedBeforeMapping() throws IOException {
        owner.export("short", SIZE);
        final Path file = fileOf("short");
        cut(file, 4096);
        final RegionFormatException e = assertThrows(RegionFormatException.class, () -> importer.importRegion("short"));
        assertMentions(e, file.toString(), "shorter than its header says", Long.toString(MAPPED), "4096");
        assertEquals(4096, Files.size(file), "a refused file is left as it is");
    }

    @Test
    void sizesThatOverflowIntoASmallFileLengthAreRefusedNotMappedShort() throws IOException {
        // header + data + sidecar, computed from sizes a peer wrote, overflowed: data size Long.MAX_VALUE
        // and a sidecar just below it came to a few thousand bytes, a file of that length passed the check,
        // and the importer got a mapping of that length with a data size of 2^63 - 1 (its first access past
        // the mapped length would crash the JVM)
        owner.export("huge", SIZE);
        final Path file = fileOf("huge");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            final java.nio.ByteBuffer header = f.getChannel().map(java.nio.channels.FileChannel.MapMode.READ_WRITE,
                0, RegionLayout.HEADER_LENGTH).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            header.putLong(RegionLayout.DATA_SIZE_OFFSET, Long.MAX_VALUE);
            header.putLong(RegionLayout.SIDECAR_SIZE_OFFSET, Long.MAX_VALUE - 2000);
        }
        final RegionFormatException e = assertThrows(RegionFormatException.class, () -> importer.importRegion("huge"));
        assertMentions(e, file.toString(), "shorter than its header says", Long.toString(Long.MAX_VALUE),
            "more than 2^63", Long.toString(MAPPED));
    }

    // ----------------------------------------------------------------------------- across processes

    @Test
    void anOwnerThatKeepsAccessingItsCutRegionGetsTheRegionsNameAndExitsNormally(@TempDir final Path tmp)
        throws Exception {
        runVictim(tmp, "owner", null);
    }

    @Test
    void anImporterThatKeepsAccessingACutRegionGetsTheRegionsNameAndExitsNormally(@TempDir final Path tmp)
        throws Exception {
        final InboundMapping in = owner.export("victim", SIZE);
        runVictim(tmp, "importer", in);
        in.close();   // this JVM's own close after the cut: must not fault either
    }

    private void runVictim(final Path tmp, final String role, final InboundMapping ours) throws Exception {
        final List<String> jvmArgs = List.of("-Xmx256m", "-XX:ErrorFile=" + tmp.resolve("hs_err_pid%p.log"));
        try (JvmProcess child = JvmProcess.start(TruncationVictimMain.class, jvmArgs, fabric.root().toString(),
            "victim", Long.toString(SIZE), role)) {
            child.expectLine("accessing ", 30, TimeUnit.SECONDS);
            final Path file = fileOf("victim");
            cut(file, 4096);
            final String line = child.expectLine("", 30, TimeUnit.SECONDS);
            System.out.println("the " + role + " child said: " + line);
            assertTrue(line.startsWith("truncated "), "the child saw: " + line + "\n" + child.transcript());
            assertTrue(line.contains("region 'victim'") && line.contains(file.getFileName().toString())
                && line.contains("4096 bytes") && line.contains(MAPPED + " bytes"), line);
            child.expectLine("closed", 30, TimeUnit.SECONDS);
            assertEquals(0, child.waitFor(30, TimeUnit.SECONDS), child.transcript());
            assertFalse(child.transcript().contains("A fatal error has been detected"), child.transcript());
            assertNoCrashLog(tmp, child.pid());
            if (ours != null) {
                assertFalse(ours.isIntact());
            }
        }
    }

    private static void assertNoCrashLog(final Path dir, final long pid) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList());
        }
        final String name = "hs_err_pid" + pid + ".log";
        assertFalse(Files.exists(Paths.get(name)), name);
        assertFalse(Files.exists(Paths.get(System.getProperty("java.io.tmpdir"), name)), name);
    }
}
