package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * The mapped-file protocol between processes: the owner (JVM A, {@link RegionOwnerMain}) exports; this
 * JVM (B) imports and writes by PIO and DMA; each reads what the other wrote.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CrossProcessTest {
    private static final long MIB_64 = 64L << 20;
    private static final long SIZE = MIB_64 + 4096;
    private static final long KEY = 0x5EC12E7L;

    private Fabric fabric;
    private Endpoint b;
    private JvmProcess a;

    @BeforeEach
    void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        b = fabric.openEndpoint("b");
        a = JvmProcess.start(RegionOwnerMain.class, fabric.root().toString(), "shared", Long.toString(SIZE),
            Long.toString(KEY));
        a.expectLine("ready 1 ", 30, TimeUnit.SECONDS);
    }

    @AfterEach
    void tearDown() throws Exception {
        a.close();
        fabric.close();
    }

    private String ask(final String command, final String answerPrefix) throws InterruptedException {
        a.send(command);
        return a.expectLine(answerPrefix, 60, TimeUnit.SECONDS).substring(answerPrefix.length());
    }

    @Test
    void importerWritesLongsAndStringsByPioAndTheOwnerReadsThem() throws Exception {
        try (OutboundMapping out = b.importRegion("shared", KEY)) {
            out.putLongRelease(128, 42);
            out.putLongVolatile(136, -7);
            out.putLong(3, Long.MIN_VALUE);
            out.put(4096, "hello from B".getBytes(StandardCharsets.UTF_8));
            assertTrue(out.compareAndSetLong(256, 0, 9));
            assertEquals("42", ask("long 128", "long "));
            assertEquals("-7", ask("long 136", "long "));
            assertEquals("9", ask("long 256", "long "));
            assertEquals("hello from B", ask("string 4096 12", "string "));
        }
    }

    @Test
    void importerReadsTheOwnersWrites() throws Exception {
        try (OutboundMapping out = b.importRegion("shared", KEY)) {
            ask("put-long 512 123456789", "ok");
            ask("put-string 600 written by A", "ok");
            assertEquals(123456789, out.getLongAcquire(512));
            final byte[] s = new byte[12];
            out.get(600, s, 0, 12);
            assertEquals("written by A", new String(s, StandardCharsets.UTF_8));
        }
    }

    @Test
    void bulk64MiBByPioArrivesIntact() throws Exception {
        final byte[] data = random(MIB_64, 1);
        try (OutboundMapping out = b.importRegion("shared", KEY)) {
            out.put(4096, data);
        }
        assertEquals(Long.toHexString(crc(data)), ask("crc 4096 " + MIB_64, "crc "));
    }

    @Test
    void bulkFromADirectBufferArrivesIntact() throws Exception {
        final byte[] data = random(1 << 20, 2);
        final ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
        try (OutboundMapping out = b.importRegion("shared", KEY)) {
            out.put(8192, direct);
        }
        assertEquals(Long.toHexString(crc(data)), ask("crc 8192 " + data.length, "crc "));
    }

    @Test
    void dma64MiBArrivesIntactAndAPioFlagAfterItIsNeverSeenBeforeTheData() throws Exception {
        final byte[] data = random(MIB_64, 3);
        try (OutboundMapping out = b.importRegion("shared", KEY);
             RegisteredMemory src = b.allocate(MIB_64)) {
            src.put(0, data, 0, data.length);
            src.putLong(MIB_64 - 8, 0x1A57L);
            final long lastWord = 4096 + MIB_64 - 8;
            a.send("await-long 0 1 60000 " + lastWord);
            // the owner spins on the flag at offset 0 and reads the DMA's last word the moment it sees it
            final DmaTransfer t = b.dma().write(src, 0, out, 4096, MIB_64);
            out.putLongRelease(0, 1);
            assertEquals("seen " + 0x1A57L, a.expectLine("seen", 60, TimeUnit.SECONDS));
            assertTrue(t.isDone());
            data[data.length - 8] = 0x57;
            data[data.length - 7] = 0x1A;
            for (int i = data.length - 6; i < data.length; i++) {
                data[i] = 0;
            }
            t.join(1, TimeUnit.SECONDS);
        }
        assertEquals(Long.toHexString(crc(data)), ask("crc 4096 " + MIB_64, "crc "));
    }

    @Test
    void dmaReadFetchesTheOwnersData() throws Exception {
        try (OutboundMapping out = b.importRegion("shared", KEY);
             RegisteredMemory dst = b.allocate(1 << 20)) {
            ask("put-string 4096 far away", "ok");
            b.dma().read(out, 4096, dst, 0, 1 << 20).join(30, TimeUnit.SECONDS);
            final byte[] s = new byte[8];
            dst.get(0, s, 0, 8);
            assertEquals("far away", new String(s, StandardCharsets.UTF_8));
        }
    }

    @Test
    void wrongKeyFromAnotherProcessIsRefused() {
        final RegionAccessException e = assertThrows(RegionAccessException.class, () -> b.importRegion("shared", 1));
        assertMentions(e, "'shared'", "wrong access key");
    }

    @Test
    void exportingANameAnotherLiveProcessExportsIsRefused() {
        final RegionExistsException e = assertThrows(RegionExistsException.class, () -> b.export("shared", 64));
        assertMentions(e, "'shared'", "pid" + a.pid());
    }

    @Test
    void ownerReCreatingTheRegionMakesOldImportsFailUntilReImported() throws Exception {
        final OutboundMapping old = b.importRegion("shared", KEY);
        old.putLong(128, 1);
        ask("recreate", "ready ");
        final StaleRegionException e = assertThrows(StaleRegionException.class, () -> old.putLong(128, 2));
        assertMentions(e, "region 'shared'", "generation 1", "generation 2");
        try (OutboundMapping fresh = b.importRegion("shared", KEY)) {
            assertEquals(2, fresh.generation());
            assertEquals(0, fresh.getLong(128), "a new generation starts zeroed");
            fresh.putLongRelease(128, 3);
            assertEquals("3", ask("long 128", "long "));
        }
        old.close();
    }

    @Test
    void ownerKilledLeavesImportsMappedSafelyAndTheNameCanBeTakenOver() throws Exception {
        final OutboundMapping old = b.importRegion("shared", KEY);
        final Path file = fabric.region("shared").orElseThrow().file();
        a.kill();
        assertFalse(fabric.region("shared").orElseThrow().ownerAlive());
        old.putLong(0, 5);
        assertEquals(5, old.getLong(0));
        assertFalse(old.ownerAlive());
        try (Endpoint c = fabric.openEndpoint("c");
             InboundMapping taken = c.export("shared", 4096, KEY)) {
            assertEquals(2, taken.generation());
            assertThrows(StaleRegionException.class, () -> old.putLong(0, 6));
            assertTrue(Files.exists(file));
        }
        old.close();
    }

    private static byte[] random(final long n, final long seed) {
        final byte[] b = new byte[(int) n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static long crc(final byte[] b) {
        final CRC32C c = new CRC32C();
        c.update(b, 0, b.length);
        return c.getValue();
    }

}
