package org.softclan.sockets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.softclan.dsm.testing.JvmProcess;

/**
 * The NIO semantics the layer must keep ({@code SocketChannel}, {@code Selector}), each between two
 * JVMs that run an unchanged NIO program ({@link NioScriptMain}): in mode {@link Mode#LAYER} both run the
 * agent and every connection is checked to be accelerated (the channel is the layer's, its data goes
 * through shared memory, the layer counted it); in mode {@link Mode#JDK} neither does, and the same
 * script on the same assertions shows that this is what the JDK does. Non-blocking reads and
 * {@code OP_READ} on arrival (also long after the spin window), half-close both ways, close as EOF and
 * as the cancellation of the closed channel's key, a peer killed with -9 under a select and under a
 * blocking read, an asynchronous close and an interrupt of a blocked read, {@code wakeup}, select
 * timeouts, one selector over an accelerated channel, a pipe and a TCP channel that fell back, interest
 * changes, {@code OP_WRITE} only when a write would take bytes and on room freed by the peer, blocking mode
 * after a cancelled key, no CPU while a selector waits, no select that returns 0 without cause, and the
 * {@code socket()} adaptor. Where the layer's selector has two ways to wait (on its doorbell when only
 * accelerated channels are registered, in the JDK's selector with a watcher thread when other channels
 * are too), a test runs both, with a pipe registered for the second.
 *
 * <p>The JVMs are started once for the class (two per mode, one without the layer for the fallback
 * channel); each test resets the scripts (closes their channels and selector, ends their threads) and
 * makes its own connections. The test of peers killed with -9 starts those peers for itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NioSemanticsTest {
    /** Which programs run the layer. */
    enum Mode {
        /** Both ends run the agent: the connections go through shared memory. */
        LAYER,
        /** Neither does: the JDK's own channels and selector, the reference. */
        JDK
    }

    /** How long a reply may take (ms). */
    private static final long REPLY_MS = ProbeScript.REPLY_MS;
    /** How long a blocked select or read may take to see a peer killed with -9 (ms). */
    private static final long DEATH_MS = 5_000;

    private TestFabric fx;
    private final Map<Mode, ProbeScript> servers = new EnumMap<>(Mode.class);
    private final Map<Mode, ProbeScript> clients = new EnumMap<>(Mode.class);
    private final Map<Mode, String> ports = new EnumMap<>(Mode.class);
    /** A program without the layer: the far end of the fallback channel of the mixed selector. */
    private ProbeScript plain;
    private String plainPort;

    @BeforeAll
    void startPrograms() throws Exception {
        fx = new TestFabric();
        final Map<String, ProbeScript> all = new LinkedHashMap<>();
        for (final Mode m : Mode.values()) {
            servers.put(m, start(m == Mode.LAYER, m + "-server"));
            clients.put(m, start(m == Mode.LAYER, m + "-client"));
            all.put(m + "-server", servers.get(m));
            all.put(m + "-client", clients.get(m));
        }
        plain = start(false, "plain");
        all.put("plain", plain);
        for (final ProbeScript s : all.values()) {
            s.await("READY", 60_000);
        }
        for (final Mode m : Mode.values()) {
            ports.put(m, servers.get(m).ok("listen S"));
        }
        plainPort = plain.ok("listen S");
    }

    @AfterAll
    void stopPrograms() throws IOException {
        if (fx != null) {
            fx.close();
        }
    }

    private ProbeScript start(final boolean layer, final String name) throws IOException {
        final JvmProcess p = fx.track(JvmProcess.start(NioScriptMain.class, layer ? fx.withLayer() : fx.withoutLayer()));
        return new ProbeScript(name, p, "NEVERBLOCKED");   // the program's alarm: a select that should have blocked
    }

    // ------------------------------------------------------------------------- 0. a non-blocking connect

    /**
     * A non-blocking connect: until {@code finishConnect} the channel is pending, not connected, refuses
     * writes ({@code NotYetConnectedException}) and a second connect ({@code ConnectionPendingException}),
     * and names its remote address; a selector reports {@code OP_CONNECT} once, after which
     * {@code finishConnect} returns {@code true} and the channel carries bytes both ways. (The layer makes
     * its hand-shake on a thread of its own meanwhile; the JDK's connect may also complete at once.)
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void aNonBlockingConnectIsPendingUntilOpConnectAndFinishConnect(final Mode m) throws Exception {
        final ProbeScript c = clients.get(m);
        final String started = c.ok("nbconnect n " + ports.get(m));
        assertEquals(ports.get(m), fieldText(started, "remote"), started);
        if (fieldText(started, "returned").equals("false")) {
            assertEquals("pending=true connected=false write=NotYetConnectedException again=ConnectionPendingException",
                "pending=" + fieldText(started, "pending") + " connected=" + fieldText(started, "connected")
                    + " write=" + fieldText(started, "write") + " again=" + fieldText(started, "again"), started);
            c.ok("selector");
            c.ok("register n c");
            assertSelect(c.ok("select 5000"), 1, "n:c");
            assertEquals("finished=true pending=false connected=true", c.ok("finish n"));
            c.ok("selector");   // the old one closed: the channel is deregistered, and may block again
        } else {
            assertEquals("AlreadyConnectedException", fieldText(started, "again"), started);
        }
        servers.get(m).ok("accept S n");
        checkChannel(m, servers.get(m), "n");
        checkChannel(m, c, "n");
        c.ok("blocking n true");
        servers.get(m).ok("blocking n true");
        c.ok("write n 1000");
        assertEquals("1000", servers.get(m).ok("read n 1000"));
        servers.get(m).ok("write n 10");
        assertEquals("10", c.ok("read n 10"));
    }

    // ------------------------------------------------------------------------- 1. non-blocking reads

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void aNonBlockingReadIsZeroUntilBytesComeAndOpReadFiresOnArrival(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        s.ok("blocking a false");
        s.ok("selector");
        s.ok("register a r");
        assertEquals("0", s.ok("read1 a"), "a non-blocking read with nothing there");
        assertSelect(s.ok("selectNow"), 0, "");
        c.ok("write a 10");
        assertSelect(s.ok("select 5000"), 1, "a:r");
        assertEquals("10", s.ok("read1 a"));
        assertEquals("0", s.ok("read1 a"), "everything was read");

        // a selector blocked long past the spin window: the peer writes 300 ms after it blocked
        s.ok("selectAsync 0");
        s.await("BLOCKED select", REPLY_MS);
        c.ok("writeAfter a 300 20");
        final long wroteAt = field(c.await("WROTE a 20", REPLY_MS), "at");
        final String sel = s.await("SELECTED", 5_000);
        assertSelect(sel, 1, "a:r");
        final double ms = (field(sel, "at") - wroteAt) / 1e6;
        System.out.printf("%s: OP_READ of a selector blocked 300 ms came %.2f ms after the write began%n", m, ms);
        assertTrue(ms < 50, m + ": the select returned " + ms + " ms after the write began: " + sel);
        assertTrue(Double.parseDouble(fieldText(sel, "ms")) >= 300, "the select waited for the write: " + sel);
        assertEquals("20", s.ok("read1 a"));
    }

    // ------------------------------------------------------------------------- 2. half-close

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void shutdownOutputIsEndOfStreamForThePeerWhileTheOtherDirectionGoesOn(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        s.ok("blocking a false");
        s.ok("selector");
        s.ok("register a r");
        c.ok("write a 100");
        assertSelect(s.ok("select 5000"), 1, "a:r");
        assertEquals("100", s.ok("read1 a"));
        // the peer's shutdownOutput wakes a select blocked for reading
        s.ok("selectAsync 0");
        s.await("BLOCKED select", REPLY_MS);
        c.ok("shutdownOutput a");
        assertSelect(s.await("SELECTED", 5_000), 1, "a:r");
        assertEquals("-1", s.ok("read1 a"));
        assertSelect(s.ok("select 5000"), 1, "a:r");   // the end stays readable
        assertEquals("-1", s.ok("read1 a"));
        s.ok("write a 50");
        assertEquals("50", c.ok("read a 50"), "the other direction goes on");
        // a ClosedChannelException (the JDK 17 throws its subclass AsynchronousCloseException here)
        final String w = c.reply("write a 1");
        assertTrue(w.startsWith("ERR java.nio.channels.ClosedChannelException")
            || w.startsWith("ERR java.nio.channels.AsynchronousCloseException"), "a write after shutdownOutput: " + w);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void shutdownInputMakesReadsReturnMinusOne(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        connect(m, "b");
        // blocking channel, nothing sent
        c.ok("shutdownInput a");
        assertEquals("-1", c.ok("read1 a"), "a blocking read after shutdownInput");
        s.ok("write a 10");
        assertEquals("-1", c.ok("read1 a"), "still -1 after the peer wrote");
        c.ok("write a 5");
        assertEquals("5", s.ok("read a 5"), "the other direction goes on");
        // non-blocking, registered, with bytes waiting
        c.ok("write b 10");
        s.ok("blocking b false");
        s.ok("selector");
        s.ok("register b r");
        assertSelect(s.ok("select 5000"), 1, "b:r");
        s.ok("shutdownInput b");
        assertEquals("-1", s.ok("read1 b"), "a non-blocking read after shutdownInput");
        assertSelect(s.ok("select 5000"), 1, "b:r");
    }

    // ------------------------------------------------------------------------- 3. close

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void closeIsEndOfStreamAndCancelsTheClosedChannelsKey(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        s.ok("blocking a false");
        s.ok("selector");
        s.ok("register a r");
        c.ok("write a 5");
        c.ok("close a");
        assertEquals(List.of(5), readUntilEnd(s, "a"), "the bytes before the close, then -1");
        // the close of a registered channel cancels its key
        s.ok("close a");
        assertEquals("false", s.ok("valid a"), "the closed channel's key");
        assertEquals("!a", s.ok("keys"), "the cancelled key stays in keys() until the next select");
        assertSelect(s.ok("selectNow"), 0, "");
        assertEquals("", s.ok("keys"), "after a select");
        // the peer's close wakes a select blocked for reading
        connect(m, "b");
        s.ok("blocking b false");
        s.ok("register b r");
        s.ok("selectAsync 0");
        s.await("BLOCKED select", REPLY_MS);
        c.ok("close b");
        assertSelect(s.await("SELECTED", 5_000), 1, "b:r");
        assertEquals("-1", s.ok("read1 b"));
    }

    // ------------------------------------------------------------------------- 4. kill -9

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void aPeerKilledWithMinus9EndsABlockedSelectAndABlockedRead(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        // one peer for a selector of the socket channel alone, one for a selector with a pipe as well
        final ProbeScript[] victims = {start(m == Mode.LAYER, m + "-victim"), start(m == Mode.LAYER, m + "-victim-mixed")};
        for (final ProbeScript v : victims) {
            v.await("READY", 60_000);
        }
        for (int i = 0; i < victims.length; i++) {
            final ProbeScript victim = victims[i];
            final boolean mixed = i == 1;
            final String what = m + (mixed ? " (with a pipe registered too)" : "");
            s.reset();
            for (final String ch : new String[] {"v1", "v2"}) {
                victim.ok("connect " + ch + " " + ports.get(m));
                s.ok("accept S " + ch);
                checkChannel(m, s, ch);
                checkChannel(m, victim, ch);
            }
            s.ok("blocking v1 false");
            s.ok("selector");
            s.ok("register v1 r");
            if (mixed) {
                s.ok("pipe p");
                s.ok("blocking p false");
                s.ok("register p r");
            }
            s.ok("selectAsync 0");
            s.ok("asyncRead v2");
            s.await("BLOCKED select", REPLY_MS);
            s.await("BLOCKED read v2", REPLY_MS);
            final long t0 = System.nanoTime();
            victim.process.kill();
            final String sel = s.await("SELECTED", DEATH_MS);
            final long selMs = (System.nanoTime() - t0) / 1_000_000;
            final String read = s.await("READ v2", DEATH_MS);
            final long readMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.println(what + ": after kill -9: select in " + selMs + " ms (" + sel + "), blocking read in " + readMs
                + " ms (" + read + ")");
            assertSelect(sel, 1, "v1:r");
            final String r1 = s.reply("read1 v1");
            assertTrue(r1.equals("OK -1") || r1.startsWith("ERR java.net.SocketException Connection reset"),
                what + ": the non-blocking read of a killed peer's channel: " + r1);
            assertTrue(read.startsWith("READ v2 OK -1") || read.startsWith("READ v2 ERR java.net.SocketException Connection reset"),
                what + ": the blocking read of a killed peer's channel: " + read);
        }
    }

    // ------------------------------------------------------------------------- 5. close, interrupt

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void aCloseFromAnotherThreadOrAnInterruptEndsABlockingRead(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        connect(m, "b");
        s.ok("asyncRead a");
        s.await("BLOCKED read a", REPLY_MS);
        s.ok("close a");
        final String closed = s.await("READ a", 5_000);
        assertTrue(closed.startsWith("READ a ERR java.nio.channels.AsynchronousCloseException"), closed);
        assertTrue(Double.parseDouble(fieldText(closed, "after")) < 1_000, "the read ended late after the close: " + closed);
        assertEquals("-1", c.ok("read1 a"), "the peer sees the close");

        s.ok("asyncRead b");
        s.await("BLOCKED read b", REPLY_MS);
        s.ok("interruptReader b");
        final String interrupted = s.await("READ b", 5_000);
        assertTrue(interrupted.startsWith("READ b ERR java.nio.channels.ClosedByInterruptException"), interrupted);
        assertTrue(interrupted.endsWith("open=false"), "the interrupt closed the channel: " + interrupted);
        assertTrue(Double.parseDouble(fieldText(interrupted, "after")) < 1_000, "the read ended late after the interrupt: "
            + interrupted);
        assertEquals("-1", c.ok("read1 b"), "the peer sees the close");
    }

    // ------------------------------------------------------------------------- 6. wakeup

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void wakeupEndsABlockedSelectOrTheNextAndSelectNowClearsIt(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        connect(m, "a");
        s.ok("blocking a false");
        s.ok("pipe p");
        s.ok("blocking p false");
        for (final boolean mixed : new boolean[] {false, true}) {
            final String what = mixed ? " (with a pipe registered too)" : " (only the socket channel)";
            s.ok("selector");
            s.ok("register a r");
            if (mixed) {
                s.ok("register p r");
            }
            s.ok("selectAsync 0");
            s.await("BLOCKED select", REPLY_MS);
            s.ok("wakeup");
            final String woken = s.await("SELECTED", 5_000);
            assertSelect(woken, 0, "");
            assertTrue(Double.parseDouble(fieldText(woken, "after")) < 500, "the select ended late after wakeup" + what + ": "
                + woken);

            s.ok("wakeup");
            final String next = s.ok("select 5000");
            assertSelect(next, 0, "");
            assertTrue(Double.parseDouble(fieldText(next, "ms")) < 500, "the select after a wakeup waited" + what + ": " + next);

            s.ok("wakeup");
            assertSelect(s.ok("selectNow"), 0, "");
            final String after = s.ok("select 300");
            assertSelect(after, 0, "");
            assertTrue(Double.parseDouble(fieldText(after, "ms")) >= 299, "selectNow did not clear the wakeup" + what + ": " + after);
        }
    }

    // ------------------------------------------------------------------------- 7. select timeouts

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void aSelectWithATimeoutAndNothingReadyReturnsZeroAfterTheTimeout(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        connect(m, "a");
        s.ok("blocking a false");
        s.ok("pipe p");
        s.ok("blocking p false");
        for (final boolean mixed : new boolean[] {false, true}) {
            s.ok("selector");
            s.ok("register a r");
            if (mixed) {
                s.ok("register p r");
            }
            for (final int timeout : new int[] {50, 350}) {
                final String r = s.ok("select " + timeout);
                assertSelect(r, 0, "");
                final double ms = Double.parseDouble(fieldText(r, "ms"));
                final String what = "select(" + timeout + ")" + (mixed ? " with a pipe registered too" : "") + ": " + r;
                assertTrue(ms >= timeout - 1, "returned before its timeout: " + what);
                assertTrue(ms < timeout + 1_000, "returned long after its timeout: " + what);
            }
        }
    }

    // ------------------------------------------------------------------------- 8. a mixed selector

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void oneSelectorOverAnAcceleratedChannelAPipeAndAFallbackChannelReportsEachReadinessForItsKey(final Mode m)
        throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        plain.reset();
        s.ok("connect f " + plainPort);
        plain.ok("accept S f");
        final String f = s.ok("info f");
        assertTrue(f.startsWith(m == Mode.LAYER ? "class=LayerSocketChannel accelerated=false" : "class=SocketChannelImpl"),
            "the channel to a program without the layer stays on TCP: " + f);
        s.ok("pipe p");
        for (final String ch : new String[] {"a", "f", "p"}) {
            s.ok("blocking " + ch + " false");
        }
        s.ok("selector");
        for (final String ch : new String[] {"a", "f", "p"}) {
            s.ok("register " + ch + " r");
        }
        assertSelect(s.ok("selectNow"), 0, "");
        // one at a time
        c.ok("write a 3");
        assertSelect(s.ok("select 5000"), 1, "a:r");
        assertEquals("3", s.ok("read1 a"));
        plain.ok("write f 4");
        assertSelect(s.ok("select 5000"), 1, "f:r");
        assertEquals("4", s.ok("read1 f"));
        s.ok("write p 5");
        assertSelect(s.ok("select 5000"), 1, "p:r");
        assertEquals("5", s.ok("read1 p"));
        // all three
        c.ok("write a 6");
        plain.ok("write f 7");
        s.ok("write p 8");
        final TreeSet<String> seen = new TreeSet<>();
        for (int i = 0; i < 10 && seen.size() < 3; i++) {
            final String r = s.ok("select 5000");
            final String keys = fieldText(r, "keys");
            assertTrue(!keys.isEmpty(), "a select over three ready channels returned nothing: " + r);
            for (final String k : keys.split(",")) {
                assertTrue(k.endsWith(":r"), "only reading was asked for: " + r);
                seen.add(k);
            }
        }
        assertEquals("[a:r, f:r, p:r]", seen.toString());
        assertEquals("6", s.ok("read1 a"));
        assertEquals("7", s.ok("read1 f"));
        assertEquals("8", s.ok("read1 p"));
        assertSelect(s.ok("selectNow"), 0, "");
        // a blocked select woken by each
        final Object[][] writers = {{c, "a"}, {plain, "f"}, {s, "p"}};
        for (final Object[] w : writers) {
            final String ch = (String) w[1];
            s.ok("selectAsync 0");
            s.await("BLOCKED select", REPLY_MS);
            ((ProbeScript) w[0]).ok("write " + ch + " 9");
            assertSelect(s.await("SELECTED", 5_000), 1, ch + ":r");
            assertEquals("9", s.ok("read1 " + ch));
        }
    }

    // ------------------------------------------------------------------------- 9. interest changes

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void interestChangedAfterRegistrationTakesEffectAtTheNextSelectAndTheAttachmentStays(final Mode m)
        throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        s.ok("blocking a false");
        s.ok("selector");
        s.ok("register a 0");
        c.ok("write a 10");
        final String none = s.ok("select 200");
        assertSelect(none, 0, "");   // bytes came, but no interest
        s.ok("interest a r");
        final String read = s.ok("select 5000");
        assertSelect(read, 1, "a:r");
        assertTrue(Double.parseDouble(fieldText(read, "ms")) < 100, "the bytes were there before: " + read);
        assertEquals("a keyFor=true", s.ok("att a"));
        s.ok("interest a w");
        assertSelect(s.ok("select 5000"), 1, "a:w");
        s.ok("interest a rw");
        assertSelect(s.ok("select 5000"), 1, "a:rw");
        assertEquals("10", s.ok("read1 a"));
        s.ok("interest a r");
        assertSelect(s.ok("selectNow"), 0, "");
        assertEquals("a keyFor=true", s.ok("att a"));
    }

    // ------------------------------------------------------------------------- 9b. OP_WRITE readiness

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void opWriteIsReadyOnlyWhenAWriteWouldTakeBytes(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        connect(m, "a");
        s.ok("blocking a false");
        s.ok("selector");
        s.ok("register a w");
        // the channel takes no more of an 8-KiB buffer: if a select still says it is writable, the same
        // write must take bytes now (else a program that waits for OP_WRITE to write the rest spins)
        final long filled = Long.parseLong(s.ok("fill a"));
        assertTrue(filled > 0, "fill took nothing");
        for (int i = 0; i < 3; i++) {
            final String r = s.ok("selectNow");
            if (fieldText(r, "keys").isEmpty()) {
                break;
            }
            assertSelect(r, 1, "a:w");
            final String more = s.ok("fill a");
            assertTrue(Long.parseLong(more) > 0, "after " + filled + " bytes, select reported OP_WRITE (" + r
                + ") but the channel took no byte of an 8-KiB buffer: a selector loop waiting to write spins");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void aSelectBlockedForWritingWakesWhenThePeerFreesRoom(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        s.ok("blocking a false");
        s.ok("selector");
        s.ok("register a w");
        final long filled = Long.parseLong(s.ok("fill a 1"));   // to the last byte
        assertTrue(filled > 0, "fill took nothing");
        assertSelect(s.ok("selectNow"), 0, "");
        s.ok("selectAsync 0");
        s.await("BLOCKED select", REPLY_MS);
        assertEquals(Long.toString(filled), c.ok("read a " + filled));
        assertSelect(s.await("SELECTED", 5_000), 1, "a:w");
        assertEquals("a keyFor=true", s.ok("att a"));
    }

    // ------------------------------------------------------------------------- 10. blocking after cancel

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void afterTheKeyIsCancelledAndASelectRanTheChannelCanBlockAgain(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        s.ok("blocking a false");
        s.ok("selector");
        s.ok("register a r");
        c.ok("write a 3");
        assertSelect(s.ok("select 5000"), 1, "a:r");
        assertEquals("3", s.ok("read1 a"));
        s.ok("cancel a");
        assertSelect(s.ok("selectNow"), 0, "");
        assertEquals("true", s.ok("blocking a true"));
        s.ok("asyncRead a");
        s.await("BLOCKED read a", REPLY_MS);
        c.ok("write a 7");
        final String r = s.await("READ a", 5_000);
        assertTrue(r.startsWith("READ a OK 7"), "a blocking read that waited: " + r);
        c.ok("write a 4");
        assertEquals("4", s.ok("read a 4"));
        // and with no select between the cancel and configureBlocking(true)
        connect(m, "b");
        s.ok("blocking b false");
        s.ok("register b r");
        s.ok("cancel b");
        assertEquals("true", s.ok("blocking b true"));
        c.ok("write b 6");
        assertEquals("6", s.ok("read b 6"));
        assertSelect(s.ok("selectNow"), 0, "");
        assertEquals("", s.ok("keys"));
    }

    // ------------------------------------------------------------------------- 11. no CPU while waiting

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void aSelectorWaitingForAnAcceleratedChannelUsesNoCpu(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        s.ok("blocking a false");
        s.ok("pipe p");
        s.ok("blocking p false");
        for (final boolean mixed : new boolean[] {false, true}) {
            s.ok("selector");
            s.ok("register a r");
            if (mixed) {
                s.ok("register p r");
            }
            s.ok("selectAsync 0");
            s.await("BLOCKED select", REPLY_MS);
            final String cpu = s.ok("cpu 1000");
            System.out.println(m + (mixed ? " (with a pipe)" : "") + ": CPU over 1 s of a blocked select: " + cpu);
            final double select = Double.parseDouble(fieldText(cpu, "select"));
            final String w = fieldText(cpu, "watcher");
            final double watcher = w.equals("none") ? 0 : Double.parseDouble(w);
            final double wall = Double.parseDouble(fieldText(cpu, "wall"));
            assertTrue(cpu.endsWith("selecting=true"), "the select ended while nothing came: " + cpu);
            assertTrue(select + watcher < 0.05 * wall, "the waiting select used more than 5% of a CPU" + (mixed ? " (with a pipe)" : "")
                + ": " + cpu);
            c.ok("write a 1");
            assertSelect(s.await("SELECTED", 5_000), 1, "a:r");
            assertEquals("1", s.ok("read1 a"));
        }
    }

    // ------------------------------------------------------------------------- 12. no select returns 0 without cause

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aPingPongOfTwentyThousandMessagesThroughSelectorsHasNoSelectReturningZero(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        for (final ProbeScript p : new ProbeScript[] {s, c}) {
            p.ok("blocking a false");
            p.ok("selector");
            p.ok("register a r");
        }
        s.ok("pong a 20000");
        final String ping = c.reply("ping a 20000", 40_000);
        assertTrue(ping.startsWith("OK "), ping);
        final String pong = s.await("PONG", REPLY_MS);
        System.out.println(m + ": ping " + ping + "; pong " + pong);
        assertEquals("0", fieldText(ping, "zero"), "select() returned 0 in the pinging loop: " + ping);
        assertEquals("0", fieldText(pong, "zero"), "select() returned 0 in the echoing loop: " + pong);
        assertEquals("0", fieldText(ping, "empty"), "a selected key whose read got nothing: " + ping);
        assertEquals("0", fieldText(pong, "empty"), "a selected key whose read got nothing: " + pong);
        assertEquals("160000", fieldText(pong, "bytes"), pong);
    }

    // ------------------------------------------------------------------------- 13. the socket adaptor

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void theSocketAdaptorOfABlockingChannelReadsWritesTimesOutAndTakesOptions(final Mode m) throws Exception {
        final ProbeScript s = begin(m);
        final ProbeScript c = clients.get(m);
        connect(m, "a");
        c.ok("sockWrite a 1000");
        assertEquals("1000", s.ok("sockRead a 1000"));
        s.ok("sockWrite a 5000");
        assertEquals("5000", c.ok("sockRead a 5000"));
        assertEquals("200", s.ok("sockTimeout a 200"));
        final long t0 = System.nanoTime();
        final String timedOut = s.reply("sockRead a 10");
        final long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(timedOut.startsWith("ERR java.net.SocketTimeoutException"), timedOut);
        assertTrue(ms >= 195, "the read gave up after " + ms + " ms, before its 200-ms timeout");
        c.ok("sockWrite a 10");
        assertEquals("10", s.ok("sockRead a 10"), "the socket stays usable after a timeout");
        final String options = c.ok("options a");
        final String rcvbuf = fieldText(options, "rcvbuf");
        assertTrue(options.startsWith("nodelay=true keepalive=true rcvbuf="), options);
        assertTrue(Integer.parseInt(rcvbuf) >= 65536, options);
        assertTrue(options.endsWith("socket.nodelay=true socket.keepalive=true socket.rcvbuf=" + rcvbuf + " socket.channel=true"
            + " socket.class=" + (m == Mode.LAYER ? "ChannelSocket" : "SocketAdaptor")), options);
        c.ok("sockWrite a 3");
        assertEquals("3", s.ok("sockRead a 3"));
    }

    // ------------------------------------------------------------------------- helpers

    /** Resets the mode's two programs; {@return its server} */
    private ProbeScript begin(final Mode m) throws InterruptedException {
        clients.get(m).reset();
        final ProbeScript s = servers.get(m);
        s.reset();
        return s;
    }

    /** Connects the mode's client to its server: the channel {@code name} at both ends, checked. */
    private void connect(final Mode m, final String name) throws InterruptedException {
        clients.get(m).ok("connect " + name + " " + ports.get(m));
        servers.get(m).ok("accept S " + name);
        checkChannel(m, servers.get(m), name);
        checkChannel(m, clients.get(m), name);
    }

    /** Checks that the channel is the layer's and accelerated (mode {@code LAYER}), or the JDK's. */
    private static void checkChannel(final Mode m, final ProbeScript p, final String name) throws InterruptedException {
        final String info = p.ok("info " + name);
        if (m == Mode.LAYER) {
            assertTrue(info.startsWith("class=LayerSocketChannel accelerated=true "), p.name + " " + name + ": " + info);
            assertTrue(Long.parseLong(fieldText(info, "stats")) >= 1, p.name + ": the layer counted it: " + info);
            assertEquals("LayerSelectorProvider", fieldText(info, "provider"), info);
        } else {
            assertTrue(info.startsWith("class=SocketChannelImpl accelerated=none stats=none"), p.name + " " + name + ": " + info);
        }
    }

    /** Reads a non-blocking, registered channel through selects until -1; {@return the sizes read before it} */
    private static List<Integer> readUntilEnd(final ProbeScript s, final String ch) throws InterruptedException {
        final List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            assertSelect(s.ok("select 5000"), 1, ch + ":r");
            final int n = Integer.parseInt(s.ok("read1 " + ch));
            if (n < 0) {
                return sizes;
            }
            if (n > 0) {
                if (!sizes.isEmpty()) {
                    sizes.set(sizes.size() - 1, sizes.get(sizes.size() - 1) + n);   // one write may come in pieces
                } else {
                    sizes.add(n);
                }
            }
        }
        fail("no end of stream on " + ch + " after 20 selects: " + sizes);
        return sizes;
    }

    /** Asserts a select's result line: its count and its selected keys. */
    private static void assertSelect(final String line, final int n, final String keys) {
        assertEquals(n + " " + keys, fieldText(line, "n") + " " + fieldText(line, "keys"), line);
    }

    private static long field(final String line, final String name) {
        return Long.parseLong(fieldText(line, name));
    }

    /** {@return the value of {@code name=} in a line of fields} */
    private static String fieldText(final String line, final String name) {
        for (final String f : line.split(" ")) {
            if (f.startsWith(name + "=")) {
                return f.substring(name.length() + 1);
            }
        }
        throw new AssertionError("no " + name + "= in " + line);
    }
}
