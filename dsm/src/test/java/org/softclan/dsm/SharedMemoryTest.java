package org.softclan.dsm;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SharedMemoryTest {
    private long block;
    private SharedMemory mem;

    @BeforeEach
    void setUp() {
        block = UNSAFE.allocateMemory(256 + 8);
        final long aligned = (block + 7) & ~7L;
        UNSAFE.setMemory(aligned, 256, (byte) 0);
        mem = SharedMemory.wrap(aligned, 256, "test block");
    }

    @AfterEach
    void tearDown() {
        UNSAFE.freeMemory(block);
    }

    @Test
    void everyAccessReadsWhatTheOthersWrote() {
        mem.putLong(0, 1);
        mem.putLongRelease(8, 2);
        mem.putLongVolatile(16, 3);
        assertEquals(1, mem.getLongAcquire(0));
        assertEquals(2, mem.getLongVolatile(8));
        assertEquals(3, mem.getLong(16));
        assertTrue(mem.compareAndSetLong(16, 3, 4));
        assertFalse(mem.compareAndSetLong(16, 3, 5));
        assertEquals(4, mem.getAndAddLong(16, 10));
        assertEquals(14, UNSAFE.getLong(mem.address() + 16), "the window's offset 16 is its address + 16");

        mem.putInt(32, 7);
        mem.putIntRelease(36, 8);
        mem.putIntVolatile(40, 9);
        assertEquals(7, mem.getIntAcquire(32));
        assertEquals(8, mem.getIntVolatile(36));
        assertEquals(9, mem.getInt(40));
        assertTrue(mem.compareAndSetInt(40, 9, 10));
        assertFalse(mem.compareAndSetInt(40, 9, 11));
        assertEquals(10, mem.getAndAddInt(40, -3));
        assertEquals(7, mem.getInt(40));

        mem.putByte(48, (byte) -1);
        assertEquals(-1, mem.getByte(48));
        mem.putBytes(64, new byte[] {9, 1, 2, 3, 9}, 1, 3);
        final byte[] out = new byte[5];
        mem.getBytes(63, out, 0, 5);
        assertArrayEquals(new byte[] {0, 1, 2, 3, 0}, out);
        mem.setMemory(64, 3, (byte) 5);
        mem.getBytes(64, out, 1, 3);
        assertArrayEquals(new byte[] {0, 5, 5, 5, 0}, out);
    }

    @Test
    void aSliceIsTheSameMemoryFromItsOwnStart() {
        final SharedMemory part = mem.slice(128, 64);
        part.putLong(0, 42);
        assertEquals(42, mem.getLong(128));
        assertEquals(64, part.length());
        assertThrows(IndexOutOfBoundsException.class, () -> mem.slice(200, 64));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.slice(-8, 8));
    }

    @Test
    void withAssertionsOnAnAccessOutsideTheWindowNamesItAndIsRefused() {
        // the build runs tests with -ea: this is the net under every structure's offset arithmetic
        final SharedMemory part = mem.slice(0, 64);
        final AssertionError e = assertThrows(AssertionError.class, () -> part.getLong(60));
        assertTrue(e.getMessage().contains("test block") && e.getMessage().contains("offset 60")
            && e.getMessage().contains("64 bytes"), e.getMessage());
        assertThrows(AssertionError.class, () -> part.putInt(-4, 1));
        assertThrows(AssertionError.class, () -> part.getBytes(60, new byte[8], 0, 8));
        assertEquals(0, part.getLong(56), "the last whole long is inside");
    }

    @Test
    void aBadAddressOrLengthIsRefusedWhenTheWindowIsMade() {
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.wrap(0, 8, "x"));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.wrap(mem.address() + 4, 8, "x"));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.wrap(mem.address(), -1, "x"));
    }

    @Test
    void aWindowOnAMappingNamesTheRegionAndIsBoundsChecked() throws Exception {
        try (Fabric fabric = Fabric.createTemporary()) {
            final Endpoint ep = fabric.openEndpoint("owner");
            final InboundMapping in = ep.export("win", 4096);
            final SharedMemory w = SharedMemory.of(in, 1024, 128);
            w.putLongRelease(8, 99);
            assertEquals(99, in.getLongAcquire(1024 + 8));
            assertTrue(w.name().contains("'win'"), w.name());
            assertThrows(RegionBoundsException.class, () -> SharedMemory.of(in, 4000, 128));
        }
    }
}
