package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.core.OS;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.SharedMemory;

/**
 * The line index's hash and the table's free lists, driven directly on a table in private memory: lines
 * that collide in the hash, deletions in the middle of and across the end of a probe run, reuse of
 * entries and nodes after disarming, and what happens when each capacity runs out.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LineIndexTest {
    private static final long DATA_SIZE = 1 << 20;   // 16384 lines
    private static final int ENTRIES = 8;            // hash of 32 slots, 16 nodes

    private long address;
    private long bytes;
    private SharedMemory memory;
    private TripwireTable table;
    private final LineIndex.Matches matches = new LineIndex.Matches();

    @BeforeEach
    void setUp() {
        bytes = TripwireTableDescriptor.bytesFor(DATA_SIZE, ENTRIES);
        address = OS.memory().allocate(bytes);
        memory = SharedMemory.wrap(address, bytes, "private table under test");
        memory.setMemory(0, bytes, (byte) 0);
        table = new TripwireTable(memory, DATA_SIZE, ENTRIES, "t");
    }

    @AfterEach
    void tearDown() {
        OS.memory().freeMemory(address, bytes);
    }

    private int arm(final long start, final long length) {
        table.lock();
        try {
            return table.arm(start, length, Tripwire.IN | Tripwire.EVENT, 0, 0, "t");
        } finally {
            table.unlock();
        }
    }

    private int armLine(final long line) {
        return arm(line * 64, 8);
    }

    private void disarm(final int index) {
        table.lock();
        try {
            assertTrue(table.disarm(index, TripwireEntry.id(memory, table.entry(index))));
        } finally {
            table.unlock();
        }
    }

    /** @return the entry indices a one-line write to {@code line} matches, sorted */
    private int[] matching(final long line) {
        final int n = table.collect(line * 64, 8, Tripwire.IN, matches);
        final int[] found = Arrays.copyOf(matches.buf, n);
        Arrays.sort(found);
        return found;
    }

    private int hashMask() {
        return TripwireTableDescriptor.hashCapacity(ENTRIES) - 1;
    }

    /** @return {@code count} distinct lines whose home slot is {@code home} */
    private List<Long> linesWithHome(final int home, final int count) {
        final List<Long> lines = new ArrayList<>();
        for (long line = 0; lines.size() < count && line < DATA_SIZE / 64; line++) {
            if ((LineHash.mix(line) & hashMask()) == home) {
                lines.add(line);
            }
        }
        assertEquals(count, lines.size(), "enough lines share home slot " + home);
        return lines;
    }

    @Test
    void linesThatCollideAreAllFoundAndDeletingFromTheMiddleOfTheRunKeepsTheRestReachable() {
        final List<Long> lines = linesWithHome(5, 6);
        final int[] index = new int[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            index[i] = armLine(lines.get(i));
        }
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(index[i], matching(lines.get(i))[0], "line " + lines.get(i) + " found in the probe run");
            assertTrue(table.mayMatch(lines.get(i) * 64, 8));
        }
        disarm(index[1]);
        disarm(index[3]);
        assertEquals(0, matching(lines.get(1)).length);
        assertFalse(table.mayMatch(lines.get(1) * 64, 8), "its presence bit is cleared");
        for (final int i : new int[] {0, 2, 4, 5}) {
            assertArrayEqualsOne(index[i], matching(lines.get(i)), lines.get(i));
        }
        // reinsert: the freed slots of the run are reused and every line is still found once
        index[1] = armLine(lines.get(1));
        index[3] = armLine(lines.get(3));
        for (int i = 0; i < lines.size(); i++) {
            assertArrayEqualsOne(index[i], matching(lines.get(i)), lines.get(i));
        }
        assertEquals(lines.size(), table.armedCount());
    }

    private static void assertArrayEqualsOne(final int expected, final int[] found, final long line) {
        assertEquals(1, found.length, "line " + line + " matches exactly one entry");
        assertEquals(expected, found[0], "line " + line);
    }

    @Test
    void aProbeRunThatWrapsPastTheLastSlotIsFoundAndSurvivesDeletion() {
        final int last = hashMask();
        final List<Long> atEnd = linesWithHome(last, 3);   // slots last, 0, 1
        final List<Long> atZero = linesWithHome(0, 1);      // home 0, displaced to slot 2
        final int[] index = new int[4];
        for (int i = 0; i < 3; i++) {
            index[i] = armLine(atEnd.get(i));
        }
        index[3] = armLine(atZero.get(0));
        for (int i = 0; i < 3; i++) {
            assertArrayEqualsOne(index[i], matching(atEnd.get(i)), atEnd.get(i));
        }
        assertArrayEqualsOne(index[3], matching(atZero.get(0)), atZero.get(0));
        // deleting the run's first slot (the last of the hash) shifts the wrapped ones back across the end
        disarm(index[0]);
        assertArrayEqualsOne(index[1], matching(atEnd.get(1)), atEnd.get(1));
        assertArrayEqualsOne(index[2], matching(atEnd.get(2)), atEnd.get(2));
        assertArrayEqualsOne(index[3], matching(atZero.get(0)), atZero.get(0));
        assertEquals(0, matching(atEnd.get(0)).length);
        disarm(index[2]);
        assertArrayEqualsOne(index[3], matching(atZero.get(0)), atZero.get(0));
        assertArrayEqualsOne(index[1], matching(atEnd.get(1)), atEnd.get(1));
    }

    @Test
    void aDisarmedEntryIsTheNextOneArmedAndTheHighWaterStays() {
        final int a = armLine(10);
        final int b = armLine(20);
        final int c = armLine(30);
        assertEquals(3, memory.getInt(TripwireTableDescriptor.ENTRY_HIGH_OFFSET));
        disarm(b);
        assertEquals(TripwireEntry.FREE, TripwireEntry.state(memory, table.entry(b)));
        assertEquals(b + 1, memory.getInt(TripwireTableDescriptor.ENTRY_FREE_OFFSET), "b heads the free list");
        assertEquals(b, armLine(40), "the free list is used before the high-water mark");
        assertEquals(3, memory.getInt(TripwireTableDescriptor.ENTRY_HIGH_OFFSET));
        disarm(a);
        disarm(c);
        assertEquals(c, armLine(50), "last freed, first reused");
        assertEquals(a, armLine(60));
        assertEquals(3, armLine(70), "free list empty: the high-water mark grows");
    }

    @Test
    void nodesFreedByADisarmAreReusedBeforeNewOnes() {
        final int wide = arm(0, 64 * 4);   // four lines: four nodes
        assertEquals(4, memory.getInt(TripwireTableDescriptor.NODES_USED_OFFSET));
        assertEquals(4, memory.getInt(TripwireTableDescriptor.NODE_HIGH_OFFSET));
        disarm(wide);
        assertEquals(0, memory.getInt(TripwireTableDescriptor.NODES_USED_OFFSET));
        assertTrue(memory.getInt(TripwireTableDescriptor.NODE_FREE_OFFSET) != 0, "the nodes are on the free list");
        arm(64 * 100, 64 * 3);
        assertEquals(3, memory.getInt(TripwireTableDescriptor.NODES_USED_OFFSET));
        assertEquals(4, memory.getInt(TripwireTableDescriptor.NODE_HIGH_OFFSET), "no new node was taken");
        for (long line = 100; line < 103; line++) {
            assertEquals(1, matching(line).length);
        }
    }

    @Test
    void armingPastTheEntryCapacityThrowsAndADisarmMakesRoomAgain() {
        final int[] index = new int[ENTRIES];
        for (int i = 0; i < ENTRIES; i++) {
            index[i] = armLine(1000 + i);
        }
        final TripwireCapacityException full = assertThrows(TripwireCapacityException.class, () -> armLine(2000));
        assertTrue(full.getMessage().contains("all " + ENTRIES + " tripwire entries are armed"), full.getMessage());
        assertEquals(ENTRIES, table.armedCount(), "the failed arm changed nothing");
        assertEquals(0, matching(2000).length);
        disarm(index[3]);
        assertEquals(index[3], armLine(2000));
        assertEquals(1, matching(2000).length);
    }

    @Test
    void armingPastTheNodeCapacityThrowsBeforeTakingAnEntry() {
        // 16 nodes: one entry of 16 lines takes them all
        arm(0, 64 * TripwireTableDescriptor.NARROW_MAX_LINES);
        final TripwireCapacityException full = assertThrows(TripwireCapacityException.class, () -> armLine(500));
        assertTrue(full.getMessage().contains("line slots"), full.getMessage());
        assertEquals(1, memory.getInt(TripwireTableDescriptor.ENTRY_HIGH_OFFSET), "no entry was taken");
        // a wide entry needs no node
        arm(64 * 1000, 64 * (TripwireTableDescriptor.NARROW_MAX_LINES + 1));
        assertEquals(1, matching(1000).length);
        assertEquals(1, matching(1000 + TripwireTableDescriptor.NARROW_MAX_LINES).length);
    }
}
