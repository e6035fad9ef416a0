package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Imports of {@code NAME@HOST} through the fabric's importer of other hosts' regions, with an in-process
 * stand-in for the other host (its memory a heap array): what dsm itself guarantees, whatever the link.
 */
class RemoteImportTest {
    private Fabric fabric;
    private Endpoint importer;

    /** The other host's region: 4096 bytes in a heap array; counts the transfers that reached it. */
    static final class FakeHostLink implements RemoteLink {
        static final long INT_BASE = net.openhft.chronicle.core.UnsafeMemory.UNSAFE.arrayBaseOffset(int[].class);
        static final long LONG_BASE = net.openhft.chronicle.core.UnsafeMemory.UNSAFE.arrayBaseOffset(long[].class);
        final byte[] memory = new byte[4096];
        final List<String> calls = new ArrayList<>();
        OutboundMapping opened;
        OutboundMapping closed;
        boolean reachable = true;

        @Override public String describe() {
            return "fake link";
        }

        @Override public boolean isSameHost() {
            return false;
        }

        @Override public String host() {
            return "h2";
        }

        @Override public long size() {
            return memory.length;
        }

        @Override public long generation() {
            return 3;
        }

        @Override public boolean isReachable() {
            return reachable;
        }

        @Override public void opened(final OutboundMapping m) {
            opened = m;
        }

        @Override public void closed(final OutboundMapping m) {
            closed = m;
        }

        private long at(final long offset) {
            return UnsafeAccess.BYTE_ARRAY_BASE + offset;
        }

        @Override public void putByte(final Mapping t, final long offset, final byte value) {
            calls.add("putByte");
            memory[(int) offset] = value;
        }

        @Override public void putInt(final Mapping t, final long offset, final int value) {
            calls.add("putInt");
            UnsafeAccess.copy(new int[] {value}, INT_BASE, memory, at(offset), 4);
        }

        @Override public void putLong(final Mapping t, final long offset, final long value) {
            calls.add("putLong");
            storeLong(offset, value);
        }

        private void storeLong(final long offset, final long value) {
            UnsafeAccess.copy(new long[] {value}, LONG_BASE, memory, at(offset), 8);
        }

        private long loadLong(final long offset) {
            final long[] v = new long[1];
            UnsafeAccess.copy(memory, at(offset), v, LONG_BASE, 8);
            return v[0];
        }

        @Override public void putLongOrdered(final Mapping t, final long offset, final long value) {
            calls.add("putLongOrdered");
            storeLong(offset, value);
        }

        @Override public void putLongVolatile(final Mapping t, final long offset, final long value) {
            calls.add("putLongVolatile");
            storeLong(offset, value);
        }

        @Override public boolean compareAndSetLong(final Mapping t, final long offset, final long e, final long u) {
            calls.add("cas");
            if (loadLong(offset) != e) {
                return false;
            }
            storeLong(offset, u);
            return true;
        }

        @Override public long getAndAddLong(final Mapping t, final long offset, final long delta) {
            calls.add("add");
            final long v = loadLong(offset);
            storeLong(offset, v + delta);
            return v;
        }

        @Override public void write(final Mapping t, final long offset, final Object base, final long src, final long n) {
            calls.add("write");
            UnsafeAccess.copy(base, src, memory, at(offset), n);
        }

        @Override public byte getByte(final Mapping t, final long offset) {
            return memory[(int) offset];
        }

        @Override public int getInt(final Mapping t, final long offset) {
            final int[] v = new int[1];
            UnsafeAccess.copy(memory, at(offset), v, INT_BASE, 4);
            return v[0];
        }

        @Override public long getLong(final Mapping t, final long offset) {
            return loadLong(offset);
        }

        @Override public long getLongVolatile(final Mapping t, final long offset) {
            calls.add("getLongVolatile");
            return loadLong(offset);
        }

        @Override public void read(final Mapping t, final long offset, final Object base, final long dst, final long n) {
            calls.add("read");
            UnsafeAccess.copy(memory, at(offset), base, dst, n);
        }
    }

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        importer = fabric.openEndpoint("importer");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void withoutAnAgentAnImportOfAnotherHostsRegionSaysSo() {
        final NoSuchRegionException e = assertThrows(NoSuchRegionException.class, () -> importer.importRegion("r@h2", 0));
        assertMentions(e, "r@h2", "host 'h2'", "no NIC agent", fabric.root().toString());
        assertThrows(IllegalArgumentException.class, () -> importer.importRegion("r@", 0));
        assertThrows(IllegalArgumentException.class, () -> importer.importRegion("r@h/2", 0));
        assertThrows(IllegalArgumentException.class, () -> importer.importRegion("@h2", 0));
    }

    @Test
    void anImportOfAnotherHostsRegionGoesThroughItsLinkWithTheMappingsChecks() throws Exception {
        final FakeHostLink link = new FakeHostLink();
        final List<String> asked = new ArrayList<>();
        final AutoCloseable attached = fabric.attachRemoteImporter(new RemoteImporter() {
            @Override
            public String localHost() {
                return "h1";
            }

            @Override
            public boolean isReachable(final String host) {
                return host.equals("h2") && link.reachable;
            }

            @Override
            public RemoteLink importRemote(final String host, final String region, final long key) {
                asked.add(region + "@" + host + " key " + key);
                return link;
            }
        });
        assertEquals("h1", fabric.hostName());
        assertTrue(fabric.isHostReachable("h2"));
        assertFalse(fabric.isHostReachable("h3"));
        try {
            assertThrows(IllegalStateException.class, () -> fabric.attachRemoteImporter(new RemoteImporter() {
                @Override
                public String localHost() {
                    return "h9";
                }

                @Override
                public boolean isReachable(final String host) {
                    return false;
                }

                @Override
                public RemoteLink importRemote(final String host, final String region, final long key) {
                    return link;
                }
            }), "a second importer for the same fabric in one JVM");
            // another Fabric object on the same directory sees the same importer
            try (Fabric again = Fabric.openExisting(fabric.root()); Endpoint other = again.openEndpoint("other")) {
                final OutboundMapping m = other.importRegion("ring@h2", 9);
                assertEquals(List.of("ring@h2 key 9"), asked);
                assertTrue(m.isRemote());
                assertEquals(4096, m.size());
                assertEquals(3, m.generation());
                assertEquals("ring@h2", m.regionName());
                assertTrue(m.isValid());
                assertTrue(m.ownerAlive());
                assertNull(m.snoopHook(), "another host's region is snooped on its own host");
                m.put(100, new byte[] {1, 2, 3});
                m.putLongRelease(8, 42);
                assertTrue(m.compareAndSetLong(8, 42, 43));
                assertEquals(43, m.getAndAddLong(8, 1));
                assertEquals(44, m.getLongAcquire(8));
                final byte[] back = new byte[3];
                m.get(100, back, 0, 3);
                assertEquals(List.of("write", "putLongOrdered", "cas", "add", "getLongVolatile", "read"), link.calls);
                assertEquals(2, back[1]);
                final RegionBoundsException bounds = assertThrows(RegionBoundsException.class, () -> m.put(4095, new byte[2]));
                assertMentions(bounds, "ring@h2", "4095", "4096");
                assertEquals(6, link.calls.size(), "nothing reached the link for an access out of bounds");
                final UnsupportedOperationException address = assertThrows(UnsupportedOperationException.class,
                    () -> m.address(0, 8));
                assertMentions(address, "ring@h2", "another host");
                assertThrows(UnsupportedOperationException.class, m::sidecarAddress);
                assertEquals(-1, m.descriptor());
                m.checkIntact();
                assertTrue(m.isIntact());

                link.reachable = false;
                assertFalse(m.ownerAlive());
                m.revokeRemote("host 'h2' went silent");
                m.revokeRemote("a second reason is not kept");
                assertFalse(m.isValid());
                final StaleRegionException stale = assertThrows(StaleRegionException.class, () -> m.putLong(0, 1));
                assertMentions(stale, "ring@h2", "host 'h2' went silent");
                assertFalse(stale.getMessage().contains("second reason"), stale.getMessage());
                assertEquals(6, link.calls.size(), "nothing reached the link once revoked");

                assertEquals(m, link.opened);
                m.close();
                assertEquals(m, link.closed);
                m.close();
                assertThrows(ClosedException.class, () -> m.putLong(0, 1));
            }
        } finally {
            attached.close();
        }
        assertThrows(NoSuchRegionException.class, () -> importer.importRegion("r@h2", 0), "detached: no importer");
        assertNull(fabric.hostName());
        assertFalse(fabric.isHostReachable("h2"));
    }

    @Test
    void aLocalRegionCannotBeRevokedAsARemoteOne() {
        try (Endpoint owner = fabric.openEndpoint("owner"); InboundMapping in = owner.export("local", 64);
             OutboundMapping m = importer.importRegion("local")) {
            assertFalse(m.isRemote());
            assertThrows(IllegalStateException.class, () -> m.revokeRemote("no"));
            assertTrue(in.size() == 64 && m.isValid());
        }
    }
}
