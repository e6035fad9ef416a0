package org.softclan.dsm.stat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;

/**
 * An endpoint's statistics file: what its owner counts is what a reader reads, in this JVM and from another
 * one, alive and after kill -9; a reader given a file that is not what a writer wrote reports it and goes on.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EndpointStatsTest {
    private Fabric fabric;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    private StatReader.EndpointSnapshot snapshotOf(final String endpoint) throws Exception {
        for (final StatReader.EndpointSnapshot s : StatReader.readAll(fabric.root())) {
            if (endpoint.equals(s.endpoint())) {
                return s;
            }
        }
        return null;
    }

    /**
     * Waits (10 s at most) until the endpoint's file satisfies {@code condition}; {@return its last snapshot, or
     * {@code null} if there was none}: the caller's assertions then say what was not reached.
     */
    private StatReader.EndpointSnapshot awaitSnapshot(final String endpoint,
                                                      final java.util.function.Predicate<StatReader.EndpointSnapshot> condition) {
        final java.util.concurrent.atomic.AtomicReference<StatReader.EndpointSnapshot> last =
            new java.util.concurrent.atomic.AtomicReference<>();
        org.softclan.dsm.testing.TestThreads.awaitTrue(() -> {
            try {
                last.set(snapshotOf(endpoint));
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
            return last.get() != null && condition.test(last.get());
        }, 10, TimeUnit.SECONDS);
        return last.get();
    }

    @Test
    void whatTheOwnerCountsIsWhatAReaderReads() throws Exception {
        final Endpoint ep = fabric.openEndpoint("counted");
        try (Endpoint other = fabric.openEndpoint("other")) {
            other.export("r0", 4096);
            ep.export("a", 4096);
            ep.export("b", 4096).close();
            ep.importRegion("r0");
            final AtomicCounter c = ep.stats().counter("things done, test", StatTypes.APPLICATION);
            c.incrementRelease();
            c.incrementRelease();
            c.incrementRelease();
            for (int i = 0; i < 2; i++) {
                ep.stats().recordError(new IllegalArgumentException("bad thing"));   // equal: same type, message, stack
            }
            ep.stats().publish();
            final StatReader.EndpointSnapshot s = snapshotOf("counted");
            assertNotNull(s, "the endpoint's statistics file");
            assertNull(s.problem(), s.problem());
            assertTrue(s.alive());
            assertEquals(ProcessHandle.current().pid(), s.pid());
            assertEquals(1, s.value(StatTypes.REGIONS_EXPORTED), "open exports: " + s.counters());
            assertEquals(2, s.value(StatTypes.REGIONS_EXPORTED_TOTAL));
            assertEquals(1, s.value(StatTypes.REGIONS_IMPORTED));
            assertEquals(1, s.value(StatTypes.REGIONS_IMPORTED_TOTAL));
            assertEquals(3, s.value(StatTypes.APPLICATION));
            assertTrue(System.currentTimeMillis() - s.heartbeatMillis() < 10_000, "heartbeat " + s.heartbeatMillis());
            assertEquals(1, s.errors().size(), "one distinct error: " + s.errors());
            assertEquals(2, s.errors().get(0).count());
            assertTrue(s.errors().get(0).text().contains("bad thing"), s.errors().get(0).text());
            c.close();
            ep.stats().publish();
            assertEquals(-1, snapshotOf("counted").value(StatTypes.APPLICATION), "a closed counter is not shown");
            final Path file = ep.stats().file();
            assertTrue(Files.exists(file));
            ep.close();
            assertFalse(Files.exists(file), "an endpoint closed in order removes its statistics file");
        } finally {
            ep.close();
        }
    }

    @Test
    void bytesWrittenByPioAndByDmaAndTheDmaTransfersAreCounted() throws Exception {
        try (Endpoint owner = fabric.openEndpoint("owner"); Endpoint ep = fabric.openEndpoint("writer")) {
            owner.export("r0", 64 * 1024);
            final org.softclan.dsm.OutboundMapping out = ep.importRegion("r0");
            for (int i = 0; i < 10; i++) {
                out.putLong(8L * i, i);                         // 80 bytes by PIO
            }
            out.put(4096, new byte[4096]);                      // 4096 more
            assertFalse(out.compareAndSetLong(0, 42, 1));       // failed: stores nothing, counts nothing
            assertEquals(0, out.pioBytes(), "PIO is counted only with -Dsoftclan.stat.pio=true");
            final org.softclan.dsm.RegisteredMemory mem = ep.allocate(8192);
            final org.softclan.dsm.DmaTransfer write = ep.dma().write(mem, 0, out, 16384, 8192);
            write.join(10, TimeUnit.SECONDS);
            final org.softclan.dsm.DmaTransfer read = ep.dma().read(out, 0, mem, 0, 100);
            read.join(10, TimeUnit.SECONDS);

            ep.stats().publish();
            owner.stats().publish();
            StatReader.EndpointSnapshot s = snapshotOf("writer");
            assertEquals(-1, s.value(StatTypes.PIO_BYTES_WRITTEN), "no PIO counter unless asked: " + s.counters());
            assertEquals(8192, s.value(StatTypes.DMA_BYTES_WRITTEN));
            assertEquals(100, s.value(StatTypes.DMA_BYTES_READ));
            assertEquals(2, s.value(StatTypes.DMA_TRANSFERS_ISSUED));
            assertEquals(2, s.value(StatTypes.DMA_TRANSFERS_COMPLETED));
            assertEquals(0, s.value(StatTypes.DMA_TRANSFERS_FAILED));
            assertEquals(0, s.value(StatTypes.TRIPWIRES_FIRED), "no Tripwire unit on this class path");
            out.close();
            ep.stats().publish();
            s = snapshotOf("writer");
            assertEquals(0, s.value(StatTypes.REGIONS_IMPORTED));
            assertEquals(8192, s.value(StatTypes.DMA_BYTES_WRITTEN), "the engine's counts outlive the mapping");
        }
    }

    @Test
    void whatASnoopHookCountedStaysCountedWhenTheHookIsReplacedOrTheMappingCloses() throws Exception {
        try (Endpoint owner = fabric.openEndpoint("owner"); Endpoint ep = fabric.openEndpoint("hooked")) {
            owner.export("r0", 4096);
            final org.softclan.dsm.OutboundMapping out = ep.importRegion("r0");
            final java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong();
            final org.softclan.dsm.SnoopHook counting = new org.softclan.dsm.SnoopHook() {
                @Override
                public void onTransfer(final org.softclan.dsm.Mapping m, final long offset, final long length,
                                       final org.softclan.dsm.Direction direction) {
                    if (direction == org.softclan.dsm.Direction.INBOUND) {
                        seen.incrementAndGet();
                    }
                }

                @Override
                public long actions() {
                    return seen.get();
                }
            };
            out.snoopHook(counting);
            for (int i = 0; i < 5; i++) {
                out.putLong(0, i);
            }
            ep.stats().publish();
            assertEquals(5, snapshotOf("hooked").value(StatTypes.TRIPWIRES_FIRED));
            out.snoopHook(null);
            out.putLong(0, 9);   // not snooped
            ep.stats().publish();
            assertEquals(5, snapshotOf("hooked").value(StatTypes.TRIPWIRES_FIRED), "the replaced hook's count is kept");
            out.snoopHook(counting);   // reinstalled: only what it counts from now on is added
            out.putLong(0, 10);
            out.putLong(0, 11);
            ep.stats().publish();
            assertEquals(7, snapshotOf("hooked").value(StatTypes.TRIPWIRES_FIRED), "reinstalled: its 5 not counted twice");
            out.close();
            ep.stats().publish();
            assertEquals(7, snapshotOf("hooked").value(StatTypes.TRIPWIRES_FIRED), "a closed mapping's count is kept");
        }
    }

    @Test
    void withPioCountingOnAnotherJvmsPioBytesShowInItsFileAndOutliveTheMapping() throws Exception {
        try (Endpoint owner = fabric.openEndpoint("owner")) {
            owner.export("target", 64 * 1024);
            try (JvmProcess child = JvmProcess.start(StatChildMain.class, List.of("-Dsoftclan.stat.pio=true"),
                fabric.root().toString(), "pio-writer", "0", "0", "target")) {
                child.expectLine("ready", 60, TimeUnit.SECONDS);
                final StatReader.EndpointSnapshot s = awaitSnapshot("pio-writer",
                    x -> x.value(StatTypes.PIO_BYTES_WRITTEN) == 4176);
                assertEquals(4176, s.value(StatTypes.PIO_BYTES_WRITTEN), "10 longs and 4096 bytes by PIO: " + s.counters());
                assertEquals(0, s.value(StatTypes.REGIONS_IMPORTED), "the mapping is closed: its bytes outlive it");
                assertEquals(1, s.value(StatTypes.REGIONS_IMPORTED_TOTAL));
                child.send("close");
                assertEquals(0, child.waitFor(30, TimeUnit.SECONDS), child.transcript());
            }
        }
    }

    @Test
    void countersPastTheCapacityWorkButAreNotPublishedAndTheFirstIsLogged() throws Exception {
        try (Endpoint ep = fabric.openEndpoint("crowded")) {
            ep.stats().publish();
            final int own = snapshotOf("crowded").counters().size();
            final java.util.List<AtomicCounter> all = new java.util.ArrayList<>();
            for (int i = 0; i < EndpointStats.DEFAULT_COUNTERS + 10; i++) {
                all.add(ep.stats().counter("counter " + i + ", test", StatTypes.APPLICATION));
            }
            final AtomicCounter last = all.get(all.size() - 1);
            last.increment();
            assertEquals(1, last.get(), "an unpublished counter still counts");
            ep.stats().publish();
            final StatReader.EndpointSnapshot s = snapshotOf("crowded");
            assertEquals(EndpointStats.DEFAULT_COUNTERS, s.counters().size());
            assertEquals(1, s.errors().size(), s.errors().toString());
            assertTrue(s.errors().get(0).text().contains("are not published"), s.errors().get(0).text());
            all.forEach(AtomicCounter::close);
            ep.stats().publish();
            assertEquals(own, snapshotOf("crowded").counters().size(), "the endpoint's own remain");
        }
    }

    @Test
    void thePublisherWritesWithoutBeingAsked() throws Exception {
        try (Endpoint ep = fabric.openEndpoint("published")) {
            final AtomicCounter c = ep.stats().counter("ticks, test", StatTypes.APPLICATION);
            c.setRelease(42);
            final long seen = awaitSnapshot("published", x -> x.value(StatTypes.APPLICATION) == 42)
                .value(StatTypes.APPLICATION);
            assertEquals(42, seen, "the value reached the file within 10 s");
        }
    }

    @Test
    void anEndpointKilledWithMinus9ShowsAsDeadWithItsLastFigures() throws Exception {
        try (JvmProcess child = JvmProcess.start(StatChildMain.class, fabric.root().toString(), "child", "2", "1234")) {
            child.expectLine("ready", 60, TimeUnit.SECONDS);
            final StatReader.EndpointSnapshot s = awaitSnapshot("child",
                x -> x.value(StatTypes.APPLICATION) == 1234 && !x.errors().isEmpty());
            assertNotNull(s, "the child's statistics file");
            assertTrue(s.alive(), "alive while it runs");
            assertEquals(child.pid(), s.pid());
            assertEquals(2, s.value(StatTypes.REGIONS_EXPORTED));
            assertEquals(1234, s.value(StatTypes.APPLICATION));
            assertEquals(1, s.errors().size(), s.errors().toString());
            assertEquals(3, s.errors().get(0).count());
            child.kill();
            final StatReader.EndpointSnapshot dead = awaitSnapshot("child", x -> !x.alive());
            assertFalse(dead.alive(), "a killed endpoint shows as dead");
            assertEquals(2, dead.value(StatTypes.REGIONS_EXPORTED), "its last figures stay");
            assertEquals(1234, dead.value(StatTypes.APPLICATION));
            assertEquals(3, dead.errors().get(0).count());
            // kept through the bounded sweeps for a while; a full clean removes it at once
            assertTrue(Files.exists(dead.file()));
            fabric.clean();
            assertFalse(Files.exists(dead.file()), "vmmc clean removes a dead endpoint's statistics file");
        }
    }

    @Test
    void aFileThatIsNotWhatAWriterWroteIsReportedNotThrown() throws Exception {
        final Path good;
        final String modelName;
        final int modelCounters;
        try (Endpoint ep = fabric.openEndpoint("model")) {
            ep.stats().counter("a counter, test", StatTypes.APPLICATION).setRelease(7);
            ep.stats().publish();
            modelCounters = snapshotOf("model").counters().size();
            modelName = ep.stats().file().getFileName().toString();
            good = Files.createTempFile("stat", ".copy");
            Files.copy(ep.stats().file(), good, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        final Path dir = fabric.root().resolve(StatFileDescriptor.DIR);
        try {
            // cut short, a foreign magic, lengths past the file, a label length past its field
            final Path shortFile = copy(good, dir, "1");
            try (RandomAccessFile f = new RandomAccessFile(shortFile.toFile(), "rw")) {
                f.setLength(StatFileDescriptor.HEADER_LENGTH + 100);
            }
            final Path magic = copy(good, dir, "2");
            putLong(magic, StatFileDescriptor.MAGIC_OFFSET, 0x1234);
            final Path lengths = copy(good, dir, "3");   // a layout that holds together, but past the file's end
            putInt(lengths, StatFileDescriptor.VALUES_LENGTH_OFFSET, 4096 * 128);
            putInt(lengths, StatFileDescriptor.METADATA_LENGTH_OFFSET, 4 * 4096 * 128);
            // (under the model's own name: its header's liveness id is believed only there)
            final Path label = copy(good, dir, modelName.substring(0, modelName.length() - StatFileDescriptor.SUFFIX.length()));
            putInt(label, StatFileDescriptor.HEADER_LENGTH + CountersReader.metaDataOffset(0) + CountersReader.LABEL_OFFSET,
                1 << 20);
            final List<StatReader.EndpointSnapshot> all = StatReader.readAll(fabric.root());
            assertEquals(4, all.size(), all.toString());
            for (final StatReader.EndpointSnapshot s : all) {
                assertNotNull(s.problem(), "a problem reported for " + s.file());
            }
            assertTrue(StatReader.read(lengths).problem().startsWith("the buffers need"), StatReader.read(lengths).problem());
            final StatReader.EndpointSnapshot labelled = StatReader.read(label);
            assertEquals("model", labelled.endpoint(), "the header was sound");
            assertTrue(labelled.problem().contains("counter 0"), labelled.problem());
            assertEquals(modelCounters - 1, labelled.counters().size(),
                "the other counters are read: " + labelled.counters());
            assertEquals(7, labelled.value(StatTypes.APPLICATION));
        } finally {
            Files.deleteIfExists(good);
        }
    }

    @Test
    void whatAPeerPutsInTheStatisticsDirectoryNeitherHangsNorBreaksTheFabricNorIsBelieved() throws Exception {
        final Path dir = fabric.root().resolve(StatFileDescriptor.DIR);
        final Path model;
        try (Endpoint ep = fabric.openEndpoint("live")) {
            ep.stats().counter("a counter, test", StatTypes.APPLICATION).setRelease(5);
            ep.stats().publish();
            model = ep.stats().file();
            // a name length of -1 behind a sound magic and version: read and swept without an exception
            final Path badName = dir.resolve("b1.stat");
            Files.copy(model, badName);
            putInt(badName, StatFileDescriptor.NAME_LENGTH_OFFSET, -1);
            // a live endpoint's file copied under another id: it would borrow that endpoint's life
            final Path forged = dir.resolve("f0.stat");
            Files.copy(model, forged);
            // a FIFO with a writer's name: opening it would block a reader and a sweep for good
            final Path fifo = dir.resolve("c2.stat");
            assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
            final List<StatReader.EndpointSnapshot> all = StatReader.readAll(fabric.root());
            final java.util.Map<String, StatReader.EndpointSnapshot> byFile = new java.util.HashMap<>();
            all.forEach(x -> byFile.put(x.file().getFileName().toString(), x));
            assertTrue(byFile.get("b1.stat").problem().contains("name length"), byFile.get("b1.stat").toString());
            assertTrue(byFile.get("f0.stat").problem().contains("liveness id"), byFile.get("f0.stat").toString());
            assertFalse(byFile.get("f0.stat").alive());
            assertTrue(byFile.get("c2.stat").problem().contains("not a regular file"), byFile.get("c2.stat").toString());
            assertTrue(StatReader.read(model).alive(), "the real one");
            fabric.clean();   // removes what no writer made (not the FIFO: only regular files), keeps the live one
            assertFalse(Files.exists(badName));
            assertTrue(Files.exists(model));
            // a live endpoint's file cut from outside is written whole again at its next publication
            try (RandomAccessFile f = new RandomAccessFile(model.toFile(), "rw")) {
                f.setLength(100);
            }
            ep.stats().publish();
            assertEquals(5, StatReader.read(model).value(StatTypes.APPLICATION), "labels and values are back");
            Files.delete(fifo);
        }
    }

    @Test
    void aStatisticsDirectoryThatIsALinkIsNeitherWrittenNorSwept() throws Exception {
        final Path elsewhere = Files.createTempDirectory("not-the-fabric");
        try (Fabric f = Fabric.createTemporary()) {
            final Path keep = elsewhere.resolve("0a.stat");
            Files.write(keep, new byte[10]);
            Files.setLastModifiedTime(keep, java.nio.file.attribute.FileTime.fromMillis(0));
            Files.createSymbolicLink(f.root().resolve(StatFileDescriptor.DIR), elsewhere);
            try (Endpoint ep = f.openEndpoint("linked")) {
                assertNull(ep.stats().file(), "no statistics file through a link");
                ep.stats().counter("still counts, test", StatTypes.APPLICATION).increment();
                ep.export("r", 4096);
            }
            f.clean();
            assertTrue(Files.exists(keep), "a sweep never follows the link");
        } finally {
            try (java.util.stream.Stream<Path> l = Files.list(elsewhere)) {
                for (final Path p : (Iterable<Path>) l::iterator) {
                    Files.delete(p);
                }
            }
            Files.delete(elsewhere);
        }
    }

    private static Path copy(final Path from, final Path dir, final String name) throws Exception {
        final Path to = dir.resolve(name + StatFileDescriptor.SUFFIX);
        Files.copy(from, to);
        return to;
    }

    private static void putLong(final Path file, final long at, final long v) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v), at);
        }
    }

    private static void putInt(final Path file, final long at, final int v) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, v), at);
        }
    }
}
