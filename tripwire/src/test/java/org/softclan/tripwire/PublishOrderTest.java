package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.longThat;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.mockStatic;
import static org.mockito.Mockito.mockingDetails;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.softclan.tripwire.EventQueueDescriptor.CAPACITY_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.HEAD_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.SLOT_COOKIE_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.SLOT_REGION_ID_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.SLOT_SEQUENCE_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.SLOT_TRANSFER_LENGTH_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.SLOT_TRANSFER_OFFSET_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.SLOT_TRIPWIRE_ID_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.SLOT_VALUE_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.TAIL_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.WAITERS_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.slotOffset;
import static org.softclan.tripwire.TripwireTableDescriptor.BITMAP_OFFSET;
import static org.softclan.tripwire.TripwireTableDescriptor.ENTRY_STATE_OFFSET;
import static org.softclan.tripwire.TripwireTableDescriptor.LOCK_OFFSET;
import static org.softclan.tripwire.TripwireTableDescriptor.SEQ_OFFSET;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mockito.InOrder;
import org.mockito.MockedStatic;
import org.mockito.invocation.Invocation;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.SharedMemory;

/**
 * The order in which the event queue and the tripwire table touch shared memory, pinned on a mocked
 * {@link SharedMemory}: a reader in another process relies on it, and nothing in one JVM's behaviour
 * would show a store moved before the one that publishes it. The table's accesses go through the window's
 * instance methods (a mock of it); the event queue's post and poll use its static accessors by absolute
 * address (a {@link MockedStatic} of it, scoped to the test's thread). The table's fences, static methods
 * of the window, are not recorded; the stores and loads around them are.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PublishOrderTest {
    private static final int CAPACITY = 16;
    private static final long DATA_SIZE = 1 << 16;

    private final SharedMemory memory = mock(SharedMemory.class);
    private Fabric fabric;
    private InboundMapping queueRegion;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        queueRegion = fabric.openEndpoint("owner").export("q", EventQueue.bytesFor(CAPACITY));
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    /**
     * The queue's window reports this address; the post and the poll compute absolute addresses from it
     * once and use the window's static accessors, which a test mocks with {@link MockedStatic}: nothing
     * is ever stored or loaded there.
     */
    private static final long BASE = 1L << 40;

    private EventQueue queue() {
        when(memory.getIntVolatile(CAPACITY_OFFSET)).thenReturn(CAPACITY);
        when(memory.address()).thenReturn(BASE);
        return new EventQueue(queueRegion, memory);
    }

    @Test
    void aPostClaimsTheTailThenWritesEveryFieldThenPublishesTheSequenceWithAVolatileStore() {
        final EventQueue q = queue();
        try (MockedStatic<SharedMemory> at = mockStatic(SharedMemory.class)) {
            at.when(() -> SharedMemory.compareAndSetLongAt(BASE + TAIL_OFFSET, 0, 1)).thenReturn(true);
            assertTrue(q.post(7, 8, 3, 640, 16, 99));
            final long slot = BASE + slotOffset(0, CAPACITY - 1);
            final long sequence = slot + SLOT_SEQUENCE_OFFSET;
            final long[][] fields = {
                {SLOT_TRIPWIRE_ID_OFFSET, 7}, {SLOT_COOKIE_OFFSET, 8}, {SLOT_REGION_ID_OFFSET, 3},
                {SLOT_TRANSFER_OFFSET_OFFSET, 640}, {SLOT_TRANSFER_LENGTH_OFFSET, 16}, {SLOT_VALUE_OFFSET, 99}};
            for (final long[] field : fields) {
                final InOrder order = inOrder(SharedMemory.class);
                order.verify(at, () -> SharedMemory.compareAndSetLongAt(BASE + TAIL_OFFSET, 0, 1));
                order.verify(at, () -> SharedMemory.putLongAt(slot + field[0], field[1]));
                order.verify(at, () -> SharedMemory.putLongVolatileAt(sequence, 1));
            }
            // the published sequence comes before the load of the waiter count (a store-load order)
            final InOrder order = inOrder(SharedMemory.class);
            order.verify(at, () -> SharedMemory.putLongVolatileAt(sequence, 1));
            order.verify(at, () -> SharedMemory.getIntVolatileAt(BASE + WAITERS_OFFSET));
            at.verify(() -> SharedMemory.putLongAt(eq(sequence), anyLong()), never());
            at.verify(() -> SharedMemory.putLongReleaseAt(eq(sequence), anyLong()), never());
        }
    }

    @Test
    void aPollReadsTheSequenceWithAnAcquireLoadBeforeAnyFieldAndReleasesTheHeadAfterTheHandler() {
        final EventQueue q = queue();
        final long slot = BASE + slotOffset(0, CAPACITY - 1);
        final long sequence = slot + SLOT_SEQUENCE_OFFSET;
        final long head = BASE + HEAD_OFFSET;
        try (MockedStatic<SharedMemory> at = mockStatic(SharedMemory.class)) {
            at.when(() -> SharedMemory.getLongAcquireAt(sequence)).thenReturn(1L);
            at.when(() -> SharedMemory.getLongAt(slot + SLOT_TRIPWIRE_ID_OFFSET)).thenReturn(7L);
            at.when(() -> SharedMemory.getLongAt(slot + SLOT_COOKIE_OFFSET)).thenReturn(8L);
            at.when(() -> SharedMemory.getLongAt(slot + SLOT_REGION_ID_OFFSET)).thenReturn(3L);
            at.when(() -> SharedMemory.getLongAt(slot + SLOT_TRANSFER_OFFSET_OFFSET)).thenReturn(640L);
            at.when(() -> SharedMemory.getLongAt(slot + SLOT_TRANSFER_LENGTH_OFFSET)).thenReturn(16L);
            at.when(() -> SharedMemory.getLongAt(slot + SLOT_VALUE_OFFSET)).thenReturn(99L);
            final List<long[]> events = new ArrayList<>();
            assertEquals(1, q.poll((seq, id, cookie, region, off, len, value) -> {
                events.add(new long[] {seq, id, cookie, region, off, len, value});
                // not before the handler ran
                at.verify(() -> SharedMemory.putLongReleaseAt(eq(head), anyLong()), never());
            }, 1));
            assertEquals(List.of(0L, 7L, 8L, 3L, 640L, 16L, 99L),
                java.util.Arrays.stream(events.get(0)).boxed().toList());
            for (final int field : new int[] {SLOT_TRIPWIRE_ID_OFFSET, SLOT_COOKIE_OFFSET, SLOT_REGION_ID_OFFSET,
                SLOT_TRANSFER_OFFSET_OFFSET, SLOT_TRANSFER_LENGTH_OFFSET, SLOT_VALUE_OFFSET}) {
                final InOrder order = inOrder(SharedMemory.class);
                order.verify(at, () -> SharedMemory.getLongAcquireAt(sequence));
                order.verify(at, () -> SharedMemory.getLongAt(slot + field));
                order.verify(at, () -> SharedMemory.putLongReleaseAt(head, 1));
            }
            at.verify(() -> SharedMemory.getLongAt(sequence), never());
        }
    }

    // -------------------------------------------------------------------------------- the table

    private TripwireTable table(final int entries) {
        return new TripwireTable(memory, DATA_SIZE, entries, "r");
    }

    @Test
    void anArmTakesTheLockThenMakesTheSeqOddBeforeAnyChangeAndEvenAfterTheLast() {
        final long me = HolderIdentity.PROCESS.token();
        when(memory.compareAndSetLong(LOCK_OFFSET, 0, me)).thenReturn(true);
        when(memory.getLongVolatile(LOCK_OFFSET)).thenReturn(me);     // as the CAS left it
        final TripwireTable t = table(4);
        t.lock();
        final int index = t.arm(0, 8, Tripwire.IN | Tripwire.EVENT, 0, 5, "r");
        t.unlock();

        final long entry = t.entry(index);
        final InOrder order = inOrder(memory);
        order.verify(memory).compareAndSetLong(LOCK_OFFSET, 0, me);
        order.verify(memory).getLongVolatile(SEQ_OFFSET);
        order.verify(memory).putLongRelease(SEQ_OFFSET, 1);
        order.verify(memory).putIntVolatile(entry + ENTRY_STATE_OFFSET, TripwireEntry.ARMED);
        order.verify(memory).putLongVolatile(BITMAP_OFFSET, 1L);      // line 0's presence bit, last
        order.verify(memory).putLongRelease(SEQ_OFFSET, 2);
        order.verify(memory).putLongRelease(LOCK_OFFSET, 0);

        // nothing but the lock word is written outside the odd window
        final List<Invocation> calls = new ArrayList<>(mockingDetails(memory).getInvocations());
        int odd = -1;
        int even = -1;
        for (int i = 0; i < calls.size(); i++) {
            final Invocation c = calls.get(i);
            if (c.getMethod().getName().equals("putLongRelease") && offsetOf(c) == SEQ_OFFSET) {
                if (odd < 0) {
                    odd = i;
                } else {
                    even = i;
                }
            }
        }
        assertTrue(odd >= 0 && even > odd, "the seq was made odd, then even");
        for (int i = 0; i < calls.size(); i++) {
            final Invocation c = calls.get(i);
            final String name = c.getMethod().getName();
            final boolean writes = name.startsWith("put") || name.startsWith("compareAndSet")
                || name.startsWith("getAndAdd") || name.equals("setMemory");
            if (writes && offsetOf(c) != SEQ_OFFSET && offsetOf(c) != LOCK_OFFSET) {
                assertTrue(i > odd && i < even, "the write " + c + " lies inside the odd seq");
            }
        }
    }

    @Test
    void aQueueRegistrationWritesTheNameThenTheSerialThenTheOwnerLast() {
        final TripwireTable t = table(4);
        final long me = HolderIdentity.PROCESS.token();
        assertEquals(0, t.registerQueue("evq-a", me, 9, "r"));
        final long slot = TripwireTableDescriptor.queueSlotOffset(0);
        final byte[] name = "evq-a".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final InOrder order = inOrder(memory);
        order.verify(memory).putInt(slot + TripwireTableDescriptor.QUEUE_REGION_ID_OFFSET, 9);
        order.verify(memory).putInt(slot + TripwireTableDescriptor.QUEUE_NAME_LENGTH_OFFSET, name.length);
        order.verify(memory).putBytes(slot + TripwireTableDescriptor.QUEUE_NAME_OFFSET, name, 0, name.length);
        order.verify(memory).putLongVolatile(eq(slot + TripwireTableDescriptor.QUEUE_SLOT_SERIAL_OFFSET),
            longThat(serial -> serial > 0));
        order.verify(memory).putLongVolatile(slot + TripwireTableDescriptor.QUEUE_OWNER_OFFSET, me);
        order.verifyNoMoreInteractions();
    }

    private static long offsetOf(final Invocation call) {
        return (Long) call.getArguments()[0];
    }

    @Test
    void aReaderReadsTheSeqBeforeTheStructureAndAgainAfterAndDropsWhatItReadIfTheSeqChanged() {
        final TripwireTable t = table(4);
        when(memory.getLongVolatile(SEQ_OFFSET)).thenReturn(2L, 4L);
        assertNull(t.lineEntries(0, Tripwire.IN), "the seq changed while the line was read");
        final InOrder order = inOrder(memory);
        order.verify(memory).getLongVolatile(SEQ_OFFSET);
        order.verify(memory).getLongVolatile(BITMAP_OFFSET);
        order.verify(memory).getLongVolatile(SEQ_OFFSET);

        when(memory.getLongVolatile(SEQ_OFFSET)).thenReturn(6L, 6L);
        final LineIndex.LineEntries same = t.lineEntries(0, Tripwire.IN);
        assertNotNull(same);
        assertEquals(6L, same.seq);
    }

    @Test
    void aReaderWaitsOutAnOddSeqBeforeReadingTheStructure() {
        final TripwireTable t = table(4);
        when(memory.getLongVolatile(SEQ_OFFSET)).thenReturn(3L, 3L, 4L, 4L);
        assertEquals(0, t.collect(0, 8, Tripwire.IN, new LineIndex.Matches()));
        final InOrder order = inOrder(memory);
        order.verify(memory, org.mockito.Mockito.times(3)).getLongVolatile(SEQ_OFFSET);
        order.verify(memory).getLongVolatile(BITMAP_OFFSET);
        order.verify(memory).getLongVolatile(SEQ_OFFSET);
    }
}
