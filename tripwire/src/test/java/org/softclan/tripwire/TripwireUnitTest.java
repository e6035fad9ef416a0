package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegisteredMemory;

/** The unit's rules, in one JVM (two endpoints); the cross-process tests prove them between JVMs. */
class TripwireUnitTest {
    private Fabric fabric;
    private Endpoint owner;
    private Endpoint writer;
    private InboundMapping in;
    private OutboundMapping out;
    private TripwireUnit unit;
    private final List<long[]> events = new ArrayList<>();

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        owner = fabric.openEndpoint("owner");
        writer = fabric.openEndpoint("writer");
        in = owner.export("r", 1 << 16);
        out = writer.importRegion("r");
        unit = TripwireUnit.open(owner);
    }

    @AfterEach
    void tearDown() {
        unit.close();
        fabric.close();
    }

    private int drain() {
        return unit.events().poll((seq, id, cookie, region, off, len, value) ->
            events.add(new long[] {seq, id, cookie, region, off, len, value}), 1000);
    }

    /**
     * Reads {@code ep}'s statistics file until {@code done} holds of its counters (10 s at most); {@return the
     * last counters read, by label, or by type id as a string if {@code byLabel} is false}: the caller's
     * assertions say what was not reached
     */
    private static java.util.Map<String, Long> awaitCounters(final org.softclan.dsm.Endpoint ep, final boolean byLabel,
                                                            final java.util.function.Predicate<java.util.Map<String, Long>> done) {
        final java.util.concurrent.atomic.AtomicReference<java.util.Map<String, Long>> read =
            new java.util.concurrent.atomic.AtomicReference<>(java.util.Map.of());
        org.softclan.dsm.testing.TestThreads.awaitTrue(() -> {
            final java.util.Map<String, Long> m = new java.util.HashMap<>();
            for (final org.softclan.dsm.stat.StatReader.Counter c
                : org.softclan.dsm.stat.StatReader.read(ep.stats().file()).counters()) {
                m.put(byLabel ? c.label() : String.valueOf(c.typeId()), c.value());
            }
            read.set(m);
            return done.test(m);
        }, 10, java.util.concurrent.TimeUnit.SECONDS);
        return read.get();
    }

    @Test
    void theUnitsGaugesAreInItsEndpointsStatisticsFile() throws Exception {
        unit.arm(in, Tripwire.Options.word(128));
        unit.arm(in, Tripwire.Options.word(256));
        out.putLongRelease(128, 1);
        out.putLongRelease(256, 2);
        out.putLongRelease(128, 3);
        final String of = ", tripwire unit " + unit.events().regionName();
        final java.util.Map<String, Long> byLabel = awaitCounters(owner, true,
            m -> Long.valueOf(3).equals(m.get("events queued, not yet polled" + of)));
        assertEquals(3L, byLabel.get("events queued, not yet polled" + of), byLabel.toString());
        assertEquals(2L, byLabel.get("tripwires armed" + of), byLabel.toString());
        assertEquals(0L, byLabel.get("posts that found the queue full (events lost)" + of), byLabel.toString());
        assertEquals(0L, byLabel.get("threads blocked on the queue" + of), byLabel.toString());
        assertEquals(3L, byLabel.get("events posted" + of), byLabel.toString());
        assertEquals(0L, byLabel.get("events polled" + of), byLabel.toString());
        assertEquals(3, drain());
        // a blocking wait, woken by a fired tripwire: one block, one wake-up, some time blocked
        final java.util.concurrent.CompletableFuture<Boolean> woken = new java.util.concurrent.CompletableFuture<>();
        final Thread waiter = new Thread(() -> woken.complete(
            unit.events().await(WaitStrategy.block(), 10, java.util.concurrent.TimeUnit.SECONDS)), "blocked-waiter");
        waiter.start();
        // until it sleeps in the kernel (a ring before that would end its wait without a wake-up)
        org.softclan.dsm.testing.TestThreads.awaitTrue(() -> java.util.Arrays.stream(waiter.getStackTrace())
            .anyMatch(f -> f.getClassName().endsWith("Futex") && f.getMethodName().startsWith("wait")), 10,
            java.util.concurrent.TimeUnit.SECONDS);
        out.putLongRelease(256, 4);
        org.junit.jupiter.api.Assertions.assertTrue(woken.get(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(1, drain());
        final java.util.Map<String, Long> after = awaitCounters(owner, true,
            m -> Long.valueOf(4).equals(m.get("events polled" + of)) && Long.valueOf(1).equals(m.get("blocking waits" + of)));
        assertEquals(4L, after.get("events posted" + of), after.toString());
        assertEquals(4L, after.get("events polled" + of), after.toString());
        assertEquals(1L, after.get("blocking waits" + of), after.toString());
        assertEquals(1L, after.get("wake-ups of blocked threads" + of), after.toString());
        assertEquals(0L, after.get("events queued, not yet polled" + of), after.toString());
        // the writer's endpoint counts the tripwires its stores fired (4)
        final java.util.Map<String, Long> writerByType = awaitCounters(writer, false,
            m -> Long.valueOf(4).equals(m.get(String.valueOf(org.softclan.dsm.stat.StatTypes.TRIPWIRES_FIRED))));
        assertEquals(4L, writerByType.get(String.valueOf(org.softclan.dsm.stat.StatTypes.TRIPWIRES_FIRED)),
            writerByType.toString());
        org.junit.jupiter.api.Assertions.assertNull(writerByType.get(String.valueOf(org.softclan.dsm.stat.StatTypes.PIO_BYTES_WRITTEN)),
            "PIO bytes are counted only with -Dsoftclan.stat.pio=true: " + writerByType);
        unit.close();   // its counters go with it
        final boolean gone = org.softclan.dsm.testing.TestThreads.awaitTrue(() -> org.softclan.dsm.stat.StatReader
            .read(owner.stats().file()).counters().stream().noneMatch(c -> c.label().endsWith(of)),
            10, java.util.concurrent.TimeUnit.SECONDS);
        org.junit.jupiter.api.Assertions.assertTrue(gone, "the closed unit's counters are no longer published");
    }

    @Test
    void aWriteOnAnArmedWordPostsOneEventCarryingIdCookieRegionOffsetAndValue() {
        final Tripwire t = unit.arm(in, Tripwire.Options.word(128).cookie(99));
        out.putLongRelease(128, 42);
        assertEquals(1, drain());
        final long[] e = events.get(0);
        assertEquals(0, e[0]);
        assertEquals(t.id(), e[1]);
        assertEquals(99, e[2]);
        assertEquals("r", unit.regionName((int) e[3]));
        assertEquals(128, e[4]);
        assertEquals(8, e[5]);
        assertEquals(42, e[6]);
    }

    /** The writer's write to {@code offset} posts exactly one event, {@code t}'s. */
    private void assertFiresOnce(final Tripwire t, final long offset) {
        out.putLongRelease(offset, 2);
        assertEquals(1, drain(), "the tripwire at " + offset + " fires once");
        assertEquals(t.id(), events.get(events.size() - 1)[1]);
    }

    @Test
    void aSeqAPeerSetBackCannotRevalidateAWritersCacheOfALineThatChanged() {
        // the writer caches a line's entries keyed by the table's seq; a peer that sets the seq back lets
        // the next arms climb through values already cached. Before the fix a storm of garbage left a
        // region whose new tripwire never fired: the writer's cache of its line was "current" again
        final org.softclan.dsm.SharedMemory side = org.softclan.dsm.SharedMemory.sidecarOf(in);
        final Tripwire first = unit.arm(in, Tripwire.Options.word(8192));
        out.putLongRelease(8192, 1);   // the writer caches line 128: [first's entry] at this seq
        assertEquals(1, drain());
        final long cached = side.getLongVolatile(TripwireTableDescriptor.SEQ_OFFSET);
        first.disarm();
        final Tripwire elsewhere = unit.arm(in, Tripwire.Options.word(0));   // takes first's freed entry
        side.putLongVolatile(TripwireTableDescriptor.SEQ_OFFSET, cached - 2);   // the peer's garbage
        final long errors = TripwireUnit.protocolErrorCount();
        final Tripwire second = unit.arm(in, Tripwire.Options.word(8200));   // line 128 again
        assertTrue(side.getLongVolatile(TripwireTableDescriptor.SEQ_OFFSET) != cached,
            "the arm after the set-back must not land on the value the writer cached");
        assertTrue(TripwireUnit.protocolErrorCount() > errors, "the set-back is counted");
        assertFiresOnce(second, 8200);
        second.disarm();
        elsewhere.disarm();
    }

    @Test
    void aSeqAPeerSetNearTheTopDoesNotWrapIntoSmallValuesAWritersCacheHolds() {
        // a storm wrote seqs near Long.MAX_VALUE and small ones: the next jump overflowed, the seq started
        // again at 0 and climbed through a small value the writer had cached a line at while a peer had
        // written it. The region's new tripwire then never fired for that writer
        final org.softclan.dsm.SharedMemory side = org.softclan.dsm.SharedMemory.sidecarOf(in);
        final Tripwire first = unit.arm(in, Tripwire.Options.word(8192));
        side.putLongVolatile(TripwireTableDescriptor.SEQ_OFFSET, 8);   // the peer's garbage, small and even
        out.putLongRelease(8192, 1);   // the writer caches line 128: [first's entry] at seq 8
        assertEquals(1, drain());
        first.disarm();
        final Tripwire elsewhere = unit.arm(in, Tripwire.Options.word(0));   // takes first's freed entry
        side.putLongVolatile(TripwireTableDescriptor.SEQ_OFFSET, Long.MAX_VALUE - 1);   // garbage at the top
        for (int k = 0; k < 8 && side.getLongVolatile(TripwireTableDescriptor.SEQ_OFFSET) != 6; k++) {
            unit.arm(in, Tripwire.Options.word(64)).disarm();   // climbs 0, 2, 4, 6 where the seq wraps
        }
        final Tripwire second = unit.arm(in, Tripwire.Options.word(8200));   // line 128 again
        final long seq = side.getLongVolatile(TripwireTableDescriptor.SEQ_OFFSET);
        assertTrue(seq != 8 && seq >= 0 && seq < TableSeqlock.SEQ_LIMIT, "the seq after the arm: " + seq);
        assertFiresOnce(second, 8200);
        second.disarm();
        elsewhere.disarm();
    }

    @Test
    void aQueueSerialAPeerWroteWhileTheSlotHeldGarbageIsReplacedWhenTheUnitArmsAgain() {
        // a writer caches "this slot's queue cannot be reached" under the slot's serial; a peer that wrote the
        // serial while the name was garbage, and let the name be whole again, left the writer losing every
        // event of the unit's new tripwires: the unit's next arm must publish a serial of its own
        final org.softclan.dsm.SharedMemory side = org.softclan.dsm.SharedMemory.sidecarOf(in);
        final Tripwire first = unit.arm(in, Tripwire.Options.word(0));
        final long slot = TripwireTableDescriptor.queueSlotOffset(0);
        final int length = side.getInt(slot + TripwireTableDescriptor.QUEUE_NAME_LENGTH_OFFSET);
        side.putIntVolatile(slot + TripwireTableDescriptor.QUEUE_NAME_LENGTH_OFFSET, -5);   // garbage name
        side.putLongVolatile(slot + TripwireTableDescriptor.QUEUE_SLOT_SERIAL_OFFSET, 12345);   // garbage serial
        out.putLongRelease(0, 1);   // the writer attaches under serial 12345: no queue, the event is lost
        assertEquals(0, drain());
        side.putIntVolatile(slot + TripwireTableDescriptor.QUEUE_NAME_LENGTH_OFFSET, length);   // whole again
        final Tripwire second = unit.arm(in, Tripwire.Options.word(128));
        assertTrue(side.getLongVolatile(slot + TripwireTableDescriptor.QUEUE_SLOT_SERIAL_OFFSET) != 12345,
            "the unit's arm published a serial of its own");
        assertFiresOnce(second, 128);
        second.disarm();
        first.disarm();
    }

    @Test
    void aDirectoryNamingQueueAfterQueueCostsAWriterABoundedNumberOfImports() throws Exception {
        // a peer that names a new queue in its table's directory before each of our writes made the writer
        // import and keep every one (a mapping and a file descriptor each) until the mapping closed: a
        // server writing to a hostile client ran out of descriptors
        final org.softclan.dsm.SharedMemory side = org.softclan.dsm.SharedMemory.sidecarOf(in);
        final Tripwire t = unit.arm(in, Tripwire.Options.word(0));
        final long slot = TripwireTableDescriptor.queueSlotOffset(0);
        final int churn = TripwireSnoop.QueueCache.MAX_HELD + 40;
        for (int i = 0; i < churn; i++) {
            final String name = TripwireUnit.QUEUE_PREFIX + "fake-" + i;
            try (InboundMapping fake = owner.exportInternal(name, EventQueue.bytesFor(2), 0, 0)) {
                EventQueue.format(fake, 2);
                final byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                side.putBytes(slot + TripwireTableDescriptor.QUEUE_NAME_OFFSET, bytes, 0, bytes.length);
                side.putIntVolatile(slot + TripwireTableDescriptor.QUEUE_NAME_LENGTH_OFFSET, bytes.length);
                side.putLongVolatile(slot + TripwireTableDescriptor.QUEUE_SLOT_SERIAL_OFFSET, 1_000_000L + i);
                out.putLongRelease(0, i);   // the writer attaches to the queue the slot names now
            }
        }
        final long mapped;
        try (java.util.stream.Stream<String> maps = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/self/maps"))) {
            mapped = maps.filter(l -> l.contains(TripwireUnit.QUEUE_PREFIX + "fake-")).count();
        }
        assertTrue(mapped <= TripwireSnoop.QueueCache.MAX_HELD, mapped + " fake queues still mapped after " + churn);
        t.disarm();
    }

    @Test
    void aDirectoryNamingARegionFarLargerThanAnyQueueIsNotMapped() throws Exception {
        // a peer's "queue" whose header declares terabytes (a sparse file) filled a writer's address space
        // and made its mapping calls pause for seconds; the writer now refuses it before mapping
        final org.softclan.dsm.SharedMemory side = org.softclan.dsm.SharedMemory.sidecarOf(in);
        final Tripwire t = unit.arm(in, Tripwire.Options.word(0));
        final String name = TripwireUnit.QUEUE_PREFIX + "huge";
        try (InboundMapping fake = owner.exportInternal(name, EventQueue.bytesFor(2), 0, 0)) {
            EventQueue.format(fake, 2);
            final long huge = 4L << 30;   // 4 GiB: four times the largest queue
            final java.nio.file.Path file = fabric.region(name).orElseThrow().file();
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(org.softclan.dsm.RegionLayout.fileLength(huge, 0));   // sparse
                f.seek(org.softclan.dsm.RegionLayout.DATA_SIZE_OFFSET);
                f.writeLong(Long.reverseBytes(huge));   // the header is little-endian
            }
            final long slot = TripwireTableDescriptor.queueSlotOffset(0);
            final byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            side.putBytes(slot + TripwireTableDescriptor.QUEUE_NAME_OFFSET, bytes, 0, bytes.length);
            side.putIntVolatile(slot + TripwireTableDescriptor.QUEUE_NAME_LENGTH_OFFSET, bytes.length);
            side.putLongVolatile(slot + TripwireTableDescriptor.QUEUE_SLOT_SERIAL_OFFSET, 7_777_777L);
            out.putLongRelease(0, 1);   // the writer looks the slot's queue up: refused, the event is lost
            final long mapped;
            try (java.util.stream.Stream<String> maps = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/self/maps"))) {
                mapped = maps.filter(l -> l.contains(name)).count();
            }
            assertEquals(1, mapped, "only the owner's own small mapping of '" + name + "'");
        }
        t.disarm();
    }

    @Test
    void aTableAPeerMadeLookFullIsRebuiltWhenEntriesAreFreeAndTheArmSucceeds() {
        // a storm once left the free list empty and the high-water mark at the capacity (values in range,
        // so not caught as garbage): every later arm failed as "all entries are armed"
        final org.softclan.dsm.SharedMemory side = org.softclan.dsm.SharedMemory.sidecarOf(in);
        final Tripwire before = unit.arm(in, Tripwire.Options.word(0));
        final int capacity = TripwireTableDescriptor.capacityFor(in.size(), in.sidecarSize());
        side.putIntVolatile(TripwireTableDescriptor.ENTRY_FREE_OFFSET, 0);
        side.putIntVolatile(TripwireTableDescriptor.ENTRY_HIGH_OFFSET, capacity);
        final Tripwire after = unit.arm(in, Tripwire.Options.word(64));
        out.putLongRelease(64, 5);
        out.putLongRelease(0, 6);
        assertEquals(2, drain(), "both the new tripwire and the one armed before fire");
        after.disarm();
        before.disarm();
    }

    @Test
    void writesToALineThatFiredBeforeSeeEveryLaterArmDisarmAndRearmOnThatLine() {
        // the writer keeps the entries of a line it fired on while the table's structure is unchanged
        final Tripwire first = unit.arm(in, Tripwire.Options.word(256).cookie(1));
        out.putLongRelease(256, 1);
        out.putLongRelease(264, 2);   // same line, not watched: no event
        assertEquals(1, drain());
        final Tripwire second = unit.arm(in, Tripwire.Options.word(264).cookie(2));
        out.putLongRelease(264, 3);
        assertEquals(1, drain(), "a tripwire armed on a line the writer knows fires");
        assertEquals(2, events.get(1)[2]);
        first.disarm();
        out.putLongRelease(256, 4);
        assertEquals(0, drain(), "a disarmed tripwire must not fire, even on a line the writer knows");
        second.disarm();
        final Tripwire once = unit.arm(in, Tripwire.Options.word(256).oneShot().cookie(3));
        out.putLongRelease(256, 5);
        out.putLongRelease(256, 6);
        assertEquals(1, drain());
        assertTrue(once.rearm());   // a state change only, the structure stays the same
        out.putLongRelease(256, 7);
        assertEquals(1, drain());
        assertEquals(7, events.get(events.size() - 1)[6]);
        // a wide tripwire covering the line joins it
        unit.arm(in, Tripwire.Options.at(0, 4096).cookie(4));
        out.putLongRelease(264, 8);
        assertEquals(1, drain());
        assertEquals(4, events.get(events.size() - 1)[2]);
    }

    @Test
    void persistentFiresOncePerWriteAndOneShotOnceUntilRearmed() {
        unit.arm(in, Tripwire.Options.word(0));
        final Tripwire once = unit.arm(in, Tripwire.Options.word(64).oneShot());
        for (int i = 0; i < 5; i++) {
            out.putLong(0, i);
            out.putLong(64, i);
        }
        drain();
        assertEquals(6, events.size());
        assertTrue(once.hasFired());
        assertFalse(once.isArmed());
        assertTrue(once.rearm());
        out.putLong(64, 7);
        drain();
        assertEquals(7, events.size());
    }

    @Test
    void missesAndDisarmedTripwiresNeverFire() {
        final Tripwire t = unit.arm(in, Tripwire.Options.at(100, 10));
        out.putLong(110, 1);   // [110, 118) starts just after [100, 110)
        out.putLong(92, 1);    // [92, 100) ends just before it
        out.putByte(99, (byte) 1);
        assertEquals(0, drain());
        out.putByte(109, (byte) 1);
        assertEquals(1, drain());
        t.disarm();
        out.putLong(100, 1);
        assertEquals(0, drain());
        assertFalse(t.isArmed());
    }

    @Test
    void valueConditionFiresOnlyWhenMet() {
        unit.arm(in, Tripwire.Options.word(0).whenEquals(5));
        unit.arm(in, Tripwire.Options.word(8).whenAtLeast(10));
        out.putLong(0, 4);
        out.putLong(8, 9);
        assertEquals(0, drain());
        out.putLong(0, 5);
        out.putLong(8, 10);
        out.putLong(8, 11);
        assertEquals(3, drain());
    }

    @Test
    void bulkAndDmaWritesFireInboundTripwires() throws Exception {
        unit.arm(in, Tripwire.Options.word(4096));
        out.put(4000, new byte[200]);
        assertEquals(1, drain());
        final RegisteredMemory src = writer.allocate(8192);
        writer.dma().write(src, 0, out, 0, 8192).join(5, TimeUnit.SECONDS);
        assertEquals(1, drain());
    }

    @Test
    void outboundTripwireFiresOnTheInitiatorsOwnTransfer() throws Exception {
        try (TripwireUnit mine = TripwireUnit.open(writer)) {
            final Tripwire last = mine.arm(out, Tripwire.Options.word(8184).watch(Tripwire.Watch.OUTBOUND).cookie(7));
            final RegisteredMemory src = writer.allocate(8192);
            writer.dma().write(src, 0, out, 0, 8192);
            assertTrue(mine.events().await(WaitStrategy.competitive(), 5, TimeUnit.SECONDS));
            final List<Long> cookies = new ArrayList<>();
            final List<Long> ids = new ArrayList<>();
            mine.events().poll((seq, id, cookie, region, off, len, value) -> {
                cookies.add(cookie);
                ids.add(id);
            }, 10);
            assertEquals(List.of(7L), cookies);
            assertEquals(List.of(last.id()), ids, "the event names the outbound tripwire");
            assertEquals(0, drain(), "the owner's unit armed nothing outbound");
            assertThrows(IllegalArgumentException.class,
                () -> mine.arm(in, Tripwire.Options.word(0).watch(Tripwire.Watch.OUTBOUND)));
        }
    }

    @Test
    void counterAndWakeActionsCountWithoutEvents() throws Exception {
        final Tripwire t = unit.arm(in, Tripwire.Options.word(0).actions(Tripwire.COUNTER | Tripwire.WAKE));
        for (int i = 0; i < 3; i++) {
            out.putLong(0, i);
        }
        assertEquals(3, t.count());
        assertEquals(0, drain());
        assertTrue(t.awaitCount(3, WaitStrategy.block(), 1, TimeUnit.SECONDS));
        assertFalse(t.awaitCount(4, WaitStrategy.poll(), 1, TimeUnit.SECONDS));
    }

    @Test
    void armAndCheckReportsAWriteThatLandedBeforeArming() {
        out.putLong(256, 1);
        final TripwireUnit.Armed armed = unit.armAndCheck(in, Tripwire.Options.word(256).oneShot(), 0);
        assertTrue(armed.changed());
        assertEquals(1, armed.current());
        final TripwireUnit.Armed quiet = unit.armAndCheck(in, Tripwire.Options.word(512).oneShot(), 0);
        assertFalse(quiet.changed());
    }

    @Test
    void aMonitorThatImportedTheRegionCanWatchWritesFromOthers() {
        final Endpoint third = fabric.openEndpoint("third");
        try (TripwireUnit monitor = TripwireUnit.open(writer)) {
            monitor.arm(out, Tripwire.Options.word(0));
            third.importRegion("r").putLong(0, 3);
            assertEquals(1, monitor.events().poll((a, b, c, d, e, f, g) -> { }, 10));
        }
    }

    @Test
    void fullQueueCountsOverflowAndTheOwnerRecoversWhichTripwiresFired() {
        try (TripwireUnit small = TripwireUnit.open(owner, new TripwireUnit.Context().queueCapacity(4))) {
            final Tripwire a = small.arm(in, Tripwire.Options.word(0));
            final Tripwire b = small.arm(in, Tripwire.Options.word(64));
            for (int i = 0; i < 10; i++) {
                out.putLong(0, i);
            }
            out.putLong(64, 1);
            assertEquals(7, small.events().overflowCount());
            final List<String> lost = new ArrayList<>();
            assertEquals(2, small.recoverLost((t, n) -> lost.add(t.id() + ":" + n)));
            assertTrue(lost.contains(a.id() + ":6"), lost.toString());
            assertTrue(lost.contains(b.id() + ":1"), lost.toString());
            assertEquals(4, small.events().poll((s, i, c, r, o, l, v) -> { }, 100));
            out.putLong(0, 11);
            assertEquals(1, small.events().poll((s, i, c, r, o, l, v) -> { }, 100), "recovers once drained");
        }
    }

    @Test
    void closedUnitsGiveBackTheirQueueSlotsSoManyUnitsCanComeAndGo() {
        for (int i = 0; i < 3 * TripwireTableDescriptor.QUEUES; i++) {
            try (TripwireUnit u = TripwireUnit.open(owner)) {
                u.arm(in, Tripwire.Options.word(8L * i));
                out.putLong(8L * i, i);
                assertEquals(1, u.events().poll((s, id, c, r, o, l, v) -> { }, 10));
            }
        }
        out.putLong(0, 1);
        assertEquals(0, drain());
    }

    @Test
    void badArmingIsRefusedWithClearMessages() {
        assertMentions(assertThrows(org.softclan.dsm.RegionBoundsException.class,
            () -> unit.arm(in, Tripwire.Options.at((1 << 16) - 4, 8))), "region 'r'", "65536");
        assertMentions(assertThrows(IllegalArgumentException.class,
            () -> unit.arm(in, Tripwire.Options.word(4).whenEquals(1))), "region 'r'", "aligned");
        final InboundMapping bare = owner.export("bare", 64, 0, 0);
        assertMentions(assertThrows(TripwireCapacityException.class,
            () -> unit.arm(bare, Tripwire.Options.word(0))), "region 'bare'", "sidecar");
    }
}
