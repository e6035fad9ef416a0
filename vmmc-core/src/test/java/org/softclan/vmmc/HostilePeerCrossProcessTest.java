package org.softclan.vmmc;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;

/**
 * A hostile client ({@link HostilePeerMain}, a JVM of its own) writes garbage into this JVM's receive
 * region through its legitimate outbound mapping of it. Before the checks, a record length of
 * 0x7ffffff0 crashed the receiver (SIGSEGV copying out of the ring), a length of -2 handed the same
 * record to the handler forever, a write pointer of 2^62 produced hundreds of millions of phantom
 * messages. Now: every record handed to a handler lies inside the ring, the bad connection fails with
 * {@link PeerProtocolException} (and keeps failing: no livelock), and a well-behaved connection of
 * the same listener goes on carrying messages intact.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostilePeerCrossProcessTest {
    private Fabric fabric;
    private Endpoint server;
    private Endpoint client;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        server = fabric.openEndpoint("server");
        client = fabric.openEndpoint("client");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"huge-length", "negative-length", "far-pointer", "back-pointer", "pad-overrun", "random"})
    void garbageInTheRingBreaksOnlyTheHostileConnection(final String mode) throws Exception {
        final ConnectionContext ctx = new ConnectionContext().ringCapacity(1 << 16);
        try (Listener listener = Vmmc.listen(server, "svc", ctx);
             JvmProcess hostile = JvmProcess.start(HostilePeerMain.class, fabric.root().toString(), "svc", mode, "42")) {
            final Connection bad = listener.accept(30, TimeUnit.SECONDS);
            assertNotNull(bad, hostile::transcript);
            hostile.expectLine("connected", 30, TimeUnit.SECONDS);

            final CompletableFuture<Connection> goodClient = CompletableFuture.supplyAsync(
                () -> Vmmc.connect(client, "svc", ctx, 10, TimeUnit.SECONDS), THREADS);
            final Connection good = listener.accept(10, TimeUnit.SECONDS);
            final Connection goodEnd = goodClient.get(10, TimeUnit.SECONDS);

            // poll the hostile connection while it writes, then after it has written
            final long size = bad.inbound().size();
            final AtomicLong handed = new AtomicLong();
            final MessageHandler inRing = (store, off, len) -> {
                handed.incrementAndGet();
                if (off < ReceiveRegionDescriptor.RING_OFFSET || len < 0 || off + len > size) {
                    fail("record at " + off + " of " + len + " bytes is outside the ring of a " + size + "-byte region");
                }
            };
            PeerProtocolException violation = null;
            boolean written = false;
            boolean peerClosedFlag = false;
            for (int round = 0; round < 200_000 && violation == null && !peerClosedFlag; round++) {
                try {
                    bad.poll(inRing, 64);
                } catch (final PeerProtocolException e) {
                    violation = e;
                } catch (final PeerGoneException e) {
                    // random words may set the peer-closed flag: the peer's own word, and the end of only
                    // this connection
                    assertEquals("random", mode, e.getMessage());
                    peerClosedFlag = true;
                }
                if (!written && round % 1000 == 999) {
                    written = hostile.transcript().contains("written");
                }
                if (written && round > 1000 && !mode.equals("random")) {
                    break;
                }
            }
            if (!mode.equals("random")) {
                assertNotNull(violation, "the " + mode + " garbage was accepted; handed " + handed + " records");
                assertTrue(violation.getMessage().contains("broke the protocol"), violation.getMessage());
                assertEquals(0, handed.get(), "nothing before the bad word was valid, nothing may be handed");
                // and it is in the victim endpoint's error log, as any process reads it (vmmc stat errors)
                final String logged = violation.getMessage();
                final boolean inLog = org.softclan.dsm.testing.TestThreads.awaitTrue(() -> org.softclan.dsm.stat.StatReader
                    .read(server.stats().file()).errors().stream().anyMatch(r -> r.text().contains(logged)),
                    10, TimeUnit.SECONDS);
                assertTrue(inLog, "the violation in the server endpoint's statistics file: "
                    + org.softclan.dsm.stat.StatReader.read(server.stats().file()).errors());
            }
            if (violation != null) {
                // broken for good: the next poll fails at once, it does not hand anything again
                final long before = handed.get();
                assertThrows(PeerProtocolException.class, () -> bad.poll(inRing, 64));
                assertThrows(PeerProtocolException.class, () -> bad.offer(new byte[8], 0, 8));
                assertEquals(before, handed.get());
            }
            assertTrue(handed.get() < 10_000_000, "phantom messages: " + handed);

            // the well-behaved connection of the same listener is untouched, both ways
            for (int i = 0; i < 1000; i++) {
                final byte[] msg = ("message " + i).getBytes(StandardCharsets.UTF_8);
                goodEnd.send(msg, 5, TimeUnit.SECONDS);
                final AtomicReference<byte[]> got = new AtomicReference<>();
                assertEquals(1, good.receive((s, o, l) -> {
                    final byte[] b = new byte[l];
                    s.read(o, b, 0, l);
                    got.set(b);
                }, 1, 5, TimeUnit.SECONDS));
                assertArrayEquals(msg, got.get());
                good.send(msg, 5, TimeUnit.SECONDS);
                assertEquals(1, goodEnd.receive((s, o, l) -> { }, 1, 5, TimeUnit.SECONDS));
            }
            hostile.send("bye");
            assertEquals(0, hostile.waitFor(30, TimeUnit.SECONDS), hostile::transcript);
            bad.close();
            good.close();
            goodEnd.close();
        }
    }

    /**
     * A client killed (-9) after it claimed request slots and before it filled them: before, the slots
     * stayed claimed for good, and after 64 such deaths no client could reach the live server ("all 64
     * request slots stayed busy"). Now the listener frees a dead claimant's slots while it accepts.
     */
    @org.junit.jupiter.api.Test
    void slotsClaimedByAClientKilledInsideConnectAreFreedForTheNext() throws Exception {
        try (Listener listener = Vmmc.listen(server, "svc", new ConnectionContext())) {
            final JvmProcess claimer = JvmProcess.start(ClaimSlotsMain.class, fabric.root().toString(), "svc");
            assertEquals("claimed " + ListenRegionDescriptor.SLOT_COUNT, claimer.expectLine("claimed", 30, TimeUnit.SECONDS));
            claimer.kill();   // SIGKILL inside connect: no cleanup runs
            final CompletableFuture<Connection> c = CompletableFuture.supplyAsync(
                () -> Vmmc.connect(client, "svc", new ConnectionContext(), 20, TimeUnit.SECONDS), THREADS);
            final Connection accepted = listener.accept(20, TimeUnit.SECONDS);
            assertNotNull(accepted, "no request reached the listener: the dead client's slots stayed claimed");
            final Connection connected = c.get(20, TimeUnit.SECONDS);
            claimer.close();
            connected.send(new byte[] {7}, 5, TimeUnit.SECONDS);
            assertEquals(1, accepted.receive((s, o, l) -> assertEquals(7, s.readByte(o)), 1, 5, TimeUnit.SECONDS));
            connected.close();
            accepted.close();
        }
    }

    /**
     * A peer leaves garbage in every request slot and exits: a state that is no slot state, a claimed
     * state with no claimant, or a claimed state naming a live process that never claimed it (here the
     * server's own liveness id). Before, none of them was ever freed: every later client failed with "all
     * 64 request slots stayed busy". Now the listener frees the first two at its next look and the third
     * once it has stayed unchanged for {@value Listener#STALE_SLOT_MS} ms.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"99:0", "1:0", "1:SERVER"})
    void garbageLeftInEveryRequestSlotIsFreedAndTheNextClientConnects(final String words) throws Exception {
        try (Listener listener = Vmmc.listen(server, "svc", new ConnectionContext())) {
            final String garbage = "garbage:" + words.replace("SERVER", Long.toString(server.owner().livenessId()));
            try (JvmProcess jammer = JvmProcess.start(ClaimSlotsMain.class, fabric.root().toString(), "svc", garbage)) {
                assertEquals("claimed " + ListenRegionDescriptor.SLOT_COUNT, jammer.expectLine("claimed", 30, TimeUnit.SECONDS));
            }
            final CompletableFuture<Connection> c = CompletableFuture.supplyAsync(
                () -> Vmmc.connect(client, "svc", new ConnectionContext(), Listener.STALE_SLOT_MS + 20_000,
                    TimeUnit.MILLISECONDS), THREADS);
            final Connection accepted = listener.accept(Listener.STALE_SLOT_MS + 20_000, TimeUnit.MILLISECONDS);
            assertNotNull(accepted, "no request reached the listener: the garbage kept every slot busy");
            final Connection connected = c.get(20, TimeUnit.SECONDS);
            connected.send(new byte[] {7}, 5, TimeUnit.SECONDS);
            assertEquals(1, accepted.receive((s, o, l) -> assertEquals(7, s.readByte(o)), 1, 5, TimeUnit.SECONDS));
            connected.close();
            accepted.close();
        }
    }

    /**
     * A live client fills every request slot with a request naming a region that cannot exist: before,
     * accept threw an undocumented IllegalArgumentException and left the slot "accepting" for good, so
     * that client locked everyone else out of the service. Now each such request is a protocol error of
     * that client only, its slot is freed, and a well-behaved client connects afterwards. Half the names carry
     * an '@' with no client host ("victimN@elsewhere"): refused too, never imported from another host.
     */
    @org.junit.jupiter.api.Test
    void requestsNamingAnImpossibleRegionCostOnlyTheirSender() throws Exception {
        try (Listener listener = Vmmc.listen(server, "svc", new ConnectionContext());
             JvmProcess jammer = JvmProcess.start(ClaimSlotsMain.class, fabric.root().toString(), "svc", "bad-names")) {
            assertEquals("claimed " + ListenRegionDescriptor.SLOT_COUNT, jammer.expectLine("claimed", 30, TimeUnit.SECONDS));
            for (int i = 0; i < ListenRegionDescriptor.SLOT_COUNT; i++) {
                final PeerProtocolException e = org.junit.jupiter.api.Assertions.assertThrows(PeerProtocolException.class,
                    () -> listener.accept(5, TimeUnit.SECONDS));
                org.softclan.dsm.testing.Messages.assertMentions(e, "svc");
                assertTrue(e.getMessage().contains("not a region") || e.getMessage().contains("@elsewhere@', which cannot be"
                    + " imported"),
                    "a name that is no region, or one with '@' and no host, refused as such: " + e.getMessage());
            }
            final CompletableFuture<Connection> c = CompletableFuture.supplyAsync(
                () -> Vmmc.connect(client, "svc", new ConnectionContext(), 20, TimeUnit.SECONDS), THREADS);
            final Connection accepted = listener.accept(20, TimeUnit.SECONDS);
            assertNotNull(accepted, "no request reached the listener: the jammed slots stayed busy");
            final Connection connected = c.get(20, TimeUnit.SECONDS);
            connected.send(new byte[] {7}, 5, TimeUnit.SECONDS);
            assertEquals(1, accepted.receive((s, o, l) -> assertEquals(7, s.readByte(o)), 1, 5, TimeUnit.SECONDS));
            connected.close();
            accepted.close();
        }
    }

    /** The hostile writer goes on scribbling while this end waits in receive: the wait ends, never hangs. */
    @ParameterizedTest
    @ValueSource(strings = {"far-pointer", "random"})
    void aReceiverWaitingOnAHostilePeerLeavesWithAnErrorOrItsTimeout(final String mode) throws Exception {
        try (Listener listener = Vmmc.listen(server, "svc", new ConnectionContext().ringCapacity(1 << 16));
             JvmProcess hostile = JvmProcess.start(HostilePeerMain.class, fabric.root().toString(), "svc", mode, "7")) {
            final Connection bad = listener.accept(30, TimeUnit.SECONDS);
            assertNotNull(bad, hostile::transcript);
            final AtomicBoolean outside = new AtomicBoolean();
            final long size = bad.inbound().size();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            boolean ended = false;
            while (!ended && System.nanoTime() < deadline) {
                try {
                    bad.receive((s, o, l) -> outside.compareAndSet(false, o < ReceiveRegionDescriptor.RING_OFFSET || l < 0 || o + l > size),
                        64, 200, TimeUnit.MILLISECONDS);
                    ended = hostile.transcript().contains("written") && mode.equals("random");
                } catch (final PeerProtocolException e) {
                    ended = true;
                }
            }
            assertTrue(ended, "neither an error nor the end of the hostile writes within 20 s");
            assertTrue(!outside.get(), "a record outside the ring was handed to the handler");
            hostile.send("bye");
            hostile.waitFor(30, TimeUnit.SECONDS);
            bad.close();
        }
    }
}
