package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fabric is its directory as the file system knows it (device and inode), not the path that
 * reached it: one JVM that opens the same directory through two paths (a symbolic link, as
 * {@code /run/shm} for {@code /dev/shm}) shares one in-JVM lock for it, and objects of one fabric
 * are refused by another fabric's endpoints at once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FabricIdentityTest {
    private static final int ROUNDS = 200;

    @Test
    void oneDirectoryOpenedThroughASymlinkAndItsRealPathExportsImportsAndRemovesConcurrentlyWithoutLeftovers()
        throws Exception {
        try (Fabric real = Fabric.createTemporary()) {
            final Path link = real.root().resolveSibling(real.root().getFileName() + "-link");
            Files.createSymbolicLink(link, real.root());
            final ExecutorService pool = Executors.newFixedThreadPool(2);
            try (Fabric viaLink = Fabric.open(link);
                 Endpoint a = real.openEndpoint("a");
                 Endpoint b = viaLink.openEndpoint("b")) {
                assertEquals(real.identity(), viaLink.identity(), "one directory, one identity");
                final CyclicBarrier start = new CyclicBarrier(2);
                final List<Future<Integer>> done = new ArrayList<>();
                done.add(pool.submit(() -> cycles(start, a, b, "from-real-")));
                done.add(pool.submit(() -> cycles(start, b, a, "from-link-")));
                for (final Future<Integer> f : done) {
                    assertEquals(ROUNDS, f.get(50, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
                Files.deleteIfExists(link);
            }
            try (Stream<Path> left = Files.list(real.root())) {
                final List<String> names = left.map(p -> p.getFileName().toString()).sorted().toList();
                // .temporary marks a fabric made by createTemporary (so a dead creator's can be swept); .stat holds
                // the endpoints' statistics files (checked empty below)
                assertEquals(List.of(".live", ".names.lock", org.softclan.dsm.stat.StatFileDescriptor.DIR,
                    Fabric.TEMPORARY_MARKER), names, "no region, no temporary file left");
            }
            try (Stream<Path> live = Files.list(real.root().resolve(".live"))) {
                // only the creating process's own lock on its temporary fabric remains
                assertEquals(1, live.count(), "both endpoints closed: no liveness file of theirs left");
            }
            try (Stream<Path> stat = Files.list(real.root().resolve(org.softclan.dsm.stat.StatFileDescriptor.DIR))) {
                assertEquals(0, stat.count(), "both endpoints closed: no statistics file of theirs left");
            }
        }
    }

    private static int cycles(final CyclicBarrier start, final Endpoint exporter, final Endpoint importer,
                              final String prefix) throws Exception {
        start.await(30, TimeUnit.SECONDS);
        for (int i = 0; i < ROUNDS; i++) {
            try (InboundMapping in = exporter.export(prefix + i, 64);
                 OutboundMapping out = importer.importRegion(prefix + i)) {
                out.putLong(0, i);
                assertEquals(i, in.getLongAcquire(0));
            }
        }
        return ROUNDS;
    }

    @Test
    void aMappingOfOneFabricIsRefusedByTheDmaEngineOfAnEndpointOfAnother() {
        try (Fabric one = Fabric.createTemporary();
             Fabric other = Fabric.createTemporary();
             Endpoint owner = one.openEndpoint("owner");
             Endpoint importer = one.openEndpoint("importer");
             Endpoint stranger = other.openEndpoint("stranger")) {
            owner.export("r", 64);
            final OutboundMapping out = importer.importRegion("r");
            final RegisteredMemory mem = stranger.allocate(8);
            final DsmException e = assertThrows(DsmException.class, () -> stranger.dma().write(mem, 0, out, 0, 8));
            assertMentions(e, "'r'", one.root().toString(), other.root().toString());
            assertThrows(DsmException.class, () -> stranger.dma().read(out, 0, mem, 0, 8));
            assertThrows(DsmException.class, () -> stranger.dma().writeLongOrdered(out, 0, 1));
            assertTrue(importer.dma().write(importer.allocate(8), 0, out, 0, 8) != null, "same fabric: accepted");
        }
    }
}
