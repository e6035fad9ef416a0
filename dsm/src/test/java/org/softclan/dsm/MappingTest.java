package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MappingTest {
    private static final int SIZE = 4096;
    private Fabric fabric;
    private InboundMapping in;
    private OutboundMapping out;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        in = fabric.openEndpoint("owner").export("r", SIZE);
        out = fabric.openEndpoint("importer").importRegion("r");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void eachMappingNamesTheDescriptorThroughWhichItHoldsTheRegionsFileUntilItCloses() throws Exception {
        final java.nio.file.Path file = fabric.root().resolve("r.region");
        final Object key = java.nio.file.Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        for (final Mapping m : new Mapping[] {in, out}) {
            final int fd = m.descriptor();
            assertTrue(fd >= 0, "descriptor " + fd);
            final java.nio.file.Path link = java.nio.file.Path.of("/proc/self/fd/" + fd);
            assertEquals(key, java.nio.file.Files.readAttributes(link, java.nio.file.attribute.BasicFileAttributes.class).fileKey());
        }
        assertTrue(in.descriptor() != out.descriptor(), "two mappings, two descriptors");
        final int fd = out.descriptor();
        out.close();
        final java.nio.file.Path link = java.nio.file.Path.of("/proc/self/fd/" + fd);
        assertFalse(java.nio.file.Files.exists(link) && key.equals(java.nio.file.Files.readAttributes(link,
            java.nio.file.attribute.BasicFileAttributes.class).fileKey()), "closed: the descriptor is released");
    }

    @Test
    void typedWritesThroughOutboundAreSeenByOwner() {
        out.putByte(0, (byte) 7);
        out.putInt(1, 0x01020304);
        out.putLong(5, -3L);
        out.putLongRelease(16, 42);
        out.putLongVolatile(24, 43);
        assertEquals(7, in.getByte(0));
        assertEquals(0x01020304, in.getInt(1));
        assertEquals(-3L, in.getLong(5));
        assertEquals(42, in.getLongAcquire(16));
        assertEquals(43, in.getLongAcquire(24));
    }

    @Test
    void ownerWritesAreReadableThroughOutbound() {
        in.putLongRelease(64, 99);
        in.put(100, "hello".getBytes(StandardCharsets.UTF_8));
        assertEquals(99, out.getLongAcquire(64));
        final byte[] dst = new byte[5];
        out.get(100, dst, 0, 5);
        assertEquals("hello", new String(dst, StandardCharsets.UTF_8));
    }

    @Test
    void compareAndSetAndGetAndAddAreAtomicOperationsOnTheRegion() {
        assertTrue(out.compareAndSetLong(8, 0, 5));
        assertFalse(out.compareAndSetLong(8, 0, 6));
        assertEquals(5, out.getAndAddLong(8, 10));
        assertEquals(15, in.getLongAcquire(8));
    }

    @Test
    void bulkPutsFromArrayHeapBufferDirectBufferReadOnlyBufferAndChronicleStores() {
        final byte[] data = new byte[300];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        out.put(0, data, 10, 100);
        final ByteBuffer heap = ByteBuffer.wrap(data, 5, 50);
        out.put(1000, heap);
        assertEquals(55, heap.position());
        final ByteBuffer direct = ByteBuffer.allocateDirect(64).put(data, 0, 64).flip();
        out.put(2000, direct);
        assertEquals(64, direct.position());
        out.put(2100, ByteBuffer.wrap(data, 0, 20).asReadOnlyBuffer());
        final BytesStore<?, ?> nat = BytesStore.nativeStoreWithFixedCapacity(64);
        final BytesStore<?, ?> onHeap = BytesStore.wrap(new byte[64]);
        for (int i = 0; i < 64; i++) {
            nat.writeByte(i, (byte) (i + 1));
            onHeap.writeByte(i, (byte) (i + 2));
        }
        out.put(3000, nat, 0, 64);
        out.put(3100, onHeap, 0, 64);

        assertArrayEquals(slice(data, 10, 100), readIn(0, 100));
        assertArrayEquals(slice(data, 5, 50), readIn(1000, 50));
        assertArrayEquals(slice(data, 0, 64), readIn(2000, 64));
        assertArrayEquals(slice(data, 0, 20), readIn(2100, 20));
        for (int i = 0; i < 64; i++) {
            assertEquals((byte) (i + 1), in.getByte(3000 + i));
            assertEquals((byte) (i + 2), in.getByte(3100 + i));
        }
        nat.releaseLast();
    }

    @Test
    void bulkGetsIntoBuffersAndStores() {
        for (int i = 0; i < 32; i++) {
            in.putByte(i, (byte) i);
        }
        final ByteBuffer direct = ByteBuffer.allocateDirect(32);
        out.get(0, direct);
        assertEquals(32, direct.position());
        final ByteBuffer heap = ByteBuffer.allocate(32);
        out.get(0, heap);
        final BytesStore<?, ?> nat = BytesStore.nativeStoreWithFixedCapacity(32);
        out.get(0, nat, 0, 32);
        for (int i = 0; i < 32; i++) {
            assertEquals(i, direct.get(i));
            assertEquals(i, heap.get(i));
            assertEquals(i, nat.readByte(i));
        }
        nat.releaseLast();
        assertThrows(IllegalArgumentException.class, () -> out.get(0, ByteBuffer.allocate(4).asReadOnlyBuffer()));
    }

    @Test
    void localBytesIsAChronicleViewOfTheSameMemory() {
        out.putLongRelease(512, 1234);
        final BytesStore<?, Void> view = in.localBytes();
        assertEquals(1234, view.readVolatileLong(512));
        assertEquals(SIZE, view.capacity());
    }

    @Test
    void writePastTheEndNamesRegionOffsetAndLimitAndStoresNothing() {
        final RegionBoundsException e = assertThrows(RegionBoundsException.class, () -> out.putLong(SIZE - 4, -1L));
        assertMentions(e, "region 'r'", "4092", "4096");
        assertEquals(0, in.getInt(SIZE - 4));
        assertThrows(RegionBoundsException.class, () -> out.put(SIZE - 10, new byte[11]));
        assertEquals(0, in.getLong(SIZE - 10));
        assertThrows(RegionBoundsException.class, () -> out.getLong(SIZE));
        assertThrows(RegionBoundsException.class, () -> in.putByte(SIZE, (byte) 1));
        assertThrows(RegionBoundsException.class, () -> out.putLong(Long.MAX_VALUE, 1));
    }

    @Test
    void negativeOffsetsAndLengthsAreRefusedWithClearMessages() {
        final RegionBoundsException neg = assertThrows(RegionBoundsException.class, () -> out.putLong(-8, 1));
        assertMentions(neg, "region 'r'", "negative offset -8", "4096");
        final RegionBoundsException len = assertThrows(RegionBoundsException.class,
            () -> out.put(0, new byte[4], 0, -1));
        assertMentions(len, "region 'r'", "negative length -1", "4096");
        final RegionBoundsException src = assertThrows(RegionBoundsException.class,
            () -> out.put(0, new byte[4], 2, 4));
        assertMentions(src, "source array", "offset 2", "limit of 4 bytes");
    }

    @Test
    void atomicAccessesNeedAlignedOffsets() {
        final RegionBoundsException e = assertThrows(RegionBoundsException.class, () -> out.putLongRelease(12, 1));
        assertMentions(e, "region 'r'", "offset 12", "8-byte aligned");
        assertThrows(RegionBoundsException.class, () -> out.compareAndSetLong(4, 0, 1));
        assertThrows(RegionBoundsException.class, () -> out.getLongAcquire(1));
        out.putLong(12, 5);
        assertEquals(5, in.getLong(12));
    }

    @Test
    void closedMappingRefusesAccessWithoutTouchingUnmappedMemory() {
        out.close();
        final ClosedException e = assertThrows(ClosedException.class, () -> out.putLong(0, 1));
        assertMentions(e, "region 'r'", "closed");
        assertThrows(ClosedException.class, () -> out.getLong(0));
        out.close();
        in.close();
        assertThrows(ClosedException.class, () -> in.getLong(0));
    }

    @Test
    void sidecarFollowsTheDataAreaAndIsSharedAndZeroed() {
        try (InboundMapping withSidecar = fabric.openEndpoint("s").export("side", 100, 0, 8192);
             OutboundMapping imported = fabric.openEndpoint("t").importRegion("side")) {
            assertEquals(8192, imported.sidecarSize());
            final long a = withSidecar.sidecarAddress();
            final long b = imported.sidecarAddress();
            assertEquals(0, net.openhft.chronicle.core.UnsafeMemory.UNSAFE.getLong(b + 8184));
            net.openhft.chronicle.core.UnsafeMemory.UNSAFE.putLongVolatile(null, a + 8184, 9);
            assertEquals(9, net.openhft.chronicle.core.UnsafeMemory.UNSAFE.getLongVolatile(null, b + 8184));
            assertEquals(RegionLayout.HEADER_LENGTH + 4096 + 8192, fabric.region("side").orElseThrow().file().toFile().length());
        }
        assertThrows(IllegalStateException.class, () -> in.sidecarAddress());
    }

    @Test
    void addressIsBoundsCheckedAndPointsAtTheDataArea() {
        final long a = in.address(64, 8);
        out.putLongVolatile(64, 5);
        assertEquals(5, net.openhft.chronicle.core.UnsafeMemory.UNSAFE.getLongVolatile(null, a));
        assertThrows(RegionBoundsException.class, () -> in.address(SIZE - 4, 8));
    }

    private byte[] readIn(final long offset, final int length) {
        final byte[] b = new byte[length];
        in.get(offset, b, 0, length);
        return b;
    }

    private static byte[] slice(final byte[] a, final int from, final int length) {
        final byte[] b = new byte[length];
        System.arraycopy(a, from, b, 0, length);
        return b;
    }

    /** Lines of this process's memory map naming a file of the fabric (one or more per live mapping). */
    private long mappedLinesOfFabric() throws java.io.IOException {
        final String root = fabric.root().toRealPath().toString();
        try (java.util.stream.Stream<String> lines = java.nio.file.Files.lines(java.nio.file.Paths.get("/proc/self/maps"))) {
            return lines.filter(l -> l.contains(root + "/")).count();
        }
    }

    /**
     * Holds keep the memory mapped past close (a connection whose endpoint closes under a thread still
     * inside it), while checked accesses fail at once; the last release unmaps.
     */
    @Test
    void aRetainedMappingStaysMappedAfterCloseUntilItsLastRelease() throws Exception {
        final long open = mappedLinesOfFabric();
        assertTrue(open >= 2, "both mappings are in /proc/self/maps: " + open);
        assertTrue(out.retain());
        assertTrue(out.retain());
        out.close();
        assertTrue(out.isClosed());
        assertThrows(ClosedException.class, () -> out.getLong(0), "closed for access while held");
        assertFalse(out.retain(), "no new hold on a closed mapping");
        assertEquals(open, mappedLinesOfFabric(), "still mapped while held");
        out.release();
        assertEquals(open, mappedLinesOfFabric(), "still mapped while one hold is left");
        out.release();
        assertTrue(mappedLinesOfFabric() < open, "unmapped by the last release");
        assertThrows(IllegalStateException.class, out::release, "a release without a hold");
    }

    @Test
    void aMappingReleasedBeforeCloseIsUnmappedByClose() throws Exception {
        final long open = mappedLinesOfFabric();
        assertTrue(out.retain());
        out.release();
        assertEquals(open, mappedLinesOfFabric());
        out.close();
        assertTrue(mappedLinesOfFabric() < open, "unmapped by close");
    }
}
