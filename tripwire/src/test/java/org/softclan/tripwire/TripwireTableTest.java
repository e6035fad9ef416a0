package org.softclan.tripwire;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.SharedMemory;

/**
 * The table's checks, one kind of garbage at a time, in one JVM (the hostile peer in another JVM is
 * {@link HostileSharedStateTest}): each would have been a crash, a loop or a hang before.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TripwireTableTest {
    private Fabric fabric;
    private InboundMapping in;
    private OutboundMapping out;
    private TripwireUnit unit;
    private TripwireTable table;
    private final List<long[]> events = new ArrayList<>();

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        final Endpoint owner = fabric.openEndpoint("owner");
        in = owner.export("r", 1 << 16);
        out = fabric.openEndpoint("writer").importRegion("r");
        unit = TripwireUnit.open(owner);
        table = new TripwireTable(SharedMemory.sidecarOf(in), in.size(),
            TripwireTableDescriptor.capacityFor(in.size(), in.sidecarSize()), "r");
    }

    @AfterEach
    void tearDown() {
        unit.close();
        fabric.close();
    }

    private int drain() {
        return unit.events().poll((seq, id, cookie, region, off, len, value) ->
            events.add(new long[] {id, cookie, off, len, value}), 1000);
    }

    /** A 4-entry table over a 64 KiB region in mocked memory whose entry 0 reads as armed with {@code id}. */
    private static TripwireTable tableWithArmedEntry(final SharedMemory memory, final long id) {
        final TripwireTable t = new TripwireTable(memory, 1 << 16, 4, "r");
        when(memory.getIntVolatile(t.entry(0) + TripwireTableDescriptor.ENTRY_STATE_OFFSET)).thenReturn(TripwireEntry.ARMED);
        when(memory.getLong(t.entry(0) + TripwireTableDescriptor.ENTRY_ID_OFFSET)).thenReturn(id);
        return t;
    }

    @Test
    void aLengthAPeerChangesAfterTheDisarmCheckedItCannotStretchTheDisarmsLoops() {
        // the disarm checked an entry's range, then read the length again to bound its loops over the
        // entry's lines: a peer that wrote a huge length in between sent it over 2^44 lines (a CI run hung
        // for more than an hour in the storm test, its thread deaf to JUnit's interrupt)
        final SharedMemory memory = mock(SharedMemory.class);
        final TripwireTable t = tableWithArmedEntry(memory, 7);
        when(memory.getLong(t.entry(0) + TripwireTableDescriptor.ENTRY_START_OFFSET)).thenReturn(64L);
        when(memory.getLong(t.entry(0) + TripwireTableDescriptor.ENTRY_LENGTH_OFFSET)).thenReturn(8L, 1L << 50);
        assertTrue(assertTimeoutPreemptively(Duration.ofSeconds(5), () -> t.disarm(0, 7)),
            "the entry is disarmed over the one line its checked range covers");
    }

    @Test
    void aNarrowEntryWhoseWideFlagAPeerClearedIsCorruptNotAWalkOverEveryLine() {
        // the loops of a narrow entry are bounded by its few lines; one whose range is wide but whose WIDE
        // flag a peer cleared would walk every line of the region
        final SharedMemory memory = mock(SharedMemory.class);
        final TripwireTable t = tableWithArmedEntry(memory, 7);
        when(memory.getLong(t.entry(0) + TripwireTableDescriptor.ENTRY_LENGTH_OFFSET)).thenReturn(1L << 16);
        final TripwireTableCorruptException c = assertThrows(TripwireTableCorruptException.class, () -> t.disarm(0, 7));
        assertMentions(c, "'r'", "entry 0", "WIDE");
    }

    @Test
    void garbageFreeListHeadsAreRepairedOnTheNextArmAndValidTripwiresSurvive() {
        unit.arm(in, Tripwire.Options.word(0).cookie(1));
        unit.arm(in, Tripwire.Options.word(640).cookie(2));
        final long errors = TripwireUnit.protocolErrorCount();
        table.memory.putInt(TripwireTableDescriptor.ENTRY_FREE_OFFSET, 1 << 30);
        table.memory.putInt(TripwireTableDescriptor.NODE_FREE_OFFSET, -5);
        table.memory.putInt(TripwireTableDescriptor.NODES_USED_OFFSET, -1);
        unit.arm(in, Tripwire.Options.word(1280).cookie(3));
        assertTrue(TripwireUnit.protocolErrorCount() > errors);
        assertMentions(TripwireUnit.lastProtocolError(), "region 'r'", "header");
        out.putLong(0, 1);
        out.putLong(640, 2);
        out.putLong(1280, 3);
        assertEquals(3, drain(), "the rebuild kept the valid tripwires");
        assertEquals(List.of(1L, 2L, 3L), events.stream().map(e -> e[1]).toList());
    }

    @Test
    void aLoopingNodeListIsSkippedAndCountedNotWalkedForeverNorFiredTwice() {
        unit.arm(in, Tripwire.Options.word(0).cookie(1));    // node 1 on line 0
        unit.arm(in, Tripwire.Options.word(8).cookie(2));    // node 2 on line 0, head: 2 -> 1 -> end
        table.memory.putIntVolatile(table.lineIndex().nodeOffset(1) + TripwireTableDescriptor.NODE_NEXT_OFFSET, 2);   // 2 -> 1 -> 2 -> ...
        final long errors = TripwireUnit.protocolErrorCount();
        out.putLong(0, 5);              // one line: the cached line path
        out.put(0, new byte[128]);      // two lines: the collecting path
        assertEquals(0, drain(), "a looping list's entries are not trusted (and would repeat)");
        assertTrue(TripwireUnit.protocolErrorCount() >= errors + 2);
        assertMentions(TripwireUnit.lastProtocolError(), "node list of line 0", "loops");
        // disarming walks the list too: bounded, then the table is rebuilt and works again
        unit.tripwires().forEach(Tripwire::disarm);
        unit.arm(in, Tripwire.Options.word(0).cookie(3));
        out.putLong(0, 6);
        assertEquals(1, drain());
        assertEquals(3, events.get(0)[1]);
    }

    @Test
    void anEntryWhoseRangeWasScribbledOnIsIgnoredByWritersAndDroppedByDisarm() {
        final Tripwire t = unit.arm(in, Tripwire.Options.word(64).cookie(1));
        t.in.memory().putLong(t.in.offset() + TripwireTableDescriptor.ENTRY_START_OFFSET, Long.MAX_VALUE - 3);
        t.in.memory().putLong(t.in.offset() + TripwireTableDescriptor.ENTRY_LENGTH_OFFSET, 16);   // start + length overflows
        out.putLong(64, 1);
        assertEquals(0, drain());
        t.disarm();   // the entry cannot be unlinked by its range: rebuilt without it, no exception
        assertFalse(t.isArmed());
        unit.arm(in, Tripwire.Options.word(64).cookie(2));
        out.putLong(64, 2);
        assertEquals(1, drain());
    }

    @Test
    void aHashWithNoEmptySlotIsReportedInsteadOfProbedForever() {
        unit.arm(in, Tripwire.Options.word(0));
        // every hash slot holds a key for some other line: the probe for a new line finds no room
        final int hashSlots = TripwireTableDescriptor.hashCapacity(table.entryCapacity);
        for (int i = 0; i < hashSlots; i++) {
            table.memory.putLong(table.lineIndex().hash().slotOffset(i) + TripwireTableDescriptor.HASH_KEY_OFFSET, 1_000_000 + i);
        }
        out.putLong(0, 1);   // the writer's probe for line 0 is bounded by the hash size: no event, no hang
        final Tripwire t = unit.arm(in, Tripwire.Options.word(8192).cookie(7));   // repaired and retried
        out.putLong(8192, 1);
        drain();
        assertEquals(7, events.get(events.size() - 1)[1]);
        t.disarm();
    }

    @Test
    void aQueueNameLengthOutOfRangeIsNotImported() {
        unit.arm(in, Tripwire.Options.word(0));
        table.memory.putInt(TripwireTableDescriptor.queueSlotOffset(0) + TripwireTableDescriptor.QUEUE_NAME_LENGTH_OFFSET, -1);
        table.memory.putLongVolatile(TripwireTableDescriptor.queueSlotOffset(0) + TripwireTableDescriptor.QUEUE_SLOT_SERIAL_OFFSET, 999);
        out.putLong(0, 1);   // the snoop cannot find the queue: counted as lost, no exception
        assertEquals(0, drain());
        assertEquals(1, unit.tripwires().get(0).lost());
    }

    @Test
    void anEventQueueRegionWithANegativeCapacityWordIsRefused() {
        final InboundMapping fake = fabric.openEndpoint("x").exportInternal(TripwireUnit.QUEUE_PREFIX + "fake", 1 << 16, 0, 0);
        UNSAFE.putIntVolatile(null, fake.address(0, 4), Integer.MIN_VALUE);   // one bit set, negative
        assertThrows(IllegalStateException.class, () -> new EventQueue(fake));
    }
}
