package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The invariants {@code vmmc soak} judges each pair by, and the records its workers exchange. */
class SoakReportTest {
    private static Map<String, Long> reader(final long received, final long highest) {
        return Map.of("received", received, "highest", highest, "lost", 0L, "duplicated", 0L, "reordered", 0L,
            "torn", 0L);
    }

    @Test
    void aReaderThatOutlivedItsWriterMustHaveEverythingTheWriterReportedSent() {
        final SoakReport r = new SoakReport();
        r.mqPair("mq#1", reader(100, 100), "peer-gone", Map.of("sent", 100L), false);
        assertTrue(r.passed(), r.failures()::toString);
        r.mqPair("mq#2", reader(90, 90), "peer-gone", Map.of("sent", 100L), false);
        assertFalse(r.passed());
        assertEquals(10, r.mq().get("lost"));
        assertTrue(r.failures().get(0).contains("10 messages lost"), r.failures()::toString);
    }

    @Test
    void messagesAKilledOrSignalledReaderNeverReadAreNotLost() {
        final SoakReport r = new SoakReport();
        r.mqPair("mq#1", reader(50, 50), null, Map.of("sent", 100L), false);             // reader killed -9
        r.mqPair("mq#2", reader(50, 50), "stopped", Map.of("sent", 100L), false);        // reader signalled
        r.mqPair("mq#3", reader(50, 50), "closed-under-waiter", Map.of("sent", 100L), false);
        assertTrue(r.passed(), r.failures()::toString);
        assertEquals(0, r.mq().get("lost"));
        assertEquals(150, r.mq().get("received"));
    }

    @Test
    void gapsDuplicatesReorderingAndTornRecordsBreakTheInvariantOnlyBetweenWellBehavedPeers() {
        final Map<String, Long> bad = Map.of("received", 10L, "highest", 12L, "lost", 2L, "duplicated", 1L,
            "reordered", 1L, "torn", 1L);
        final SoakReport cut = new SoakReport();
        cut.mqPair("mq#1", bad, "truncated", Map.of("sent", 12L), true);
        assertTrue(cut.passed(), "a pair whose region was cut is not a pair of well-behaved peers");
        final SoakReport r = new SoakReport();
        r.mqPair("mq#1", bad, "peer-gone", Map.of("sent", 12L), false);
        assertEquals(4, r.failures().size(), r.failures()::toString);
        r.mqPair("mq#2", reader(5, 5), "protocol-error bad write pointer", Map.of("sent", 5L), false);
        assertTrue(r.failures().get(4).contains("protocol error"), r.failures()::toString);
    }

    @Test
    void aWrongRpcAnswerOrACorruptedStreamByteFails() {
        final SoakReport r = new SoakReport();
        r.rpcPair("rpc#1", Map.of("calls", 10L, "answered", 10L), Map.of("served", 10L), false);
        r.streamPair("stream#1", Map.of("checked", 1000L), "eof", Map.of("sent", 1000L), true, false);
        assertTrue(r.passed(), r.failures()::toString);
        r.rpcPair("rpc#2", Map.of("calls", 10L, "answered", 10L, "wrong", 1L), Map.of(), false);
        r.streamPair("stream#2", Map.of("checked", 1000L, "corrupted", 3L), "eof", Map.of("sent", 1000L), true, false);
        assertEquals(2, r.failures().size(), r.failures()::toString);
    }

    @Test
    void streamBytesAKilledDmaSenderReportedWrittenMayNotHaveArrivedButAtEndOfStreamAllMust() {
        final SoakReport r = new SoakReport();
        r.streamPair("stream#1", Map.of("checked", 900L), "peer-gone", Map.of("sent", 1000L), false, false);
        assertTrue(r.passed(), r.failures()::toString);
        r.streamPair("stream#2", Map.of("checked", 900L), "peer-gone", Map.of("sent", 1000L), true, false);
        r.streamPair("stream#3", Map.of("checked", 900L), "eof", Map.of("sent", 1000L), false, false);
        assertEquals(2, r.failures().size(), r.failures()::toString);
        assertEquals(200, r.stream().get("lost"));
    }

    @Test
    void crashesOverrunsAndErrorsFailAndTheReportNamesThem() {
        final SoakReport r = new SoakReport();
        r.attack("kill -9");
        r.noticed(120);
        r.leftBehind("cx-1-1.region (killed)", false);
        assertTrue(r.passed());
        r.crash("hs_err_pid7.log");
        r.overrun("receive took 5000 ms, bound 4000 ms");
        final StringWriter s = new StringWriter();
        r.print(new PrintWriter(s, true));
        final String text = s.toString();
        assertFalse(r.passed());
        assertTrue(text.contains("JVM crashes               1"), text);
        assertTrue(text.contains("overrun waits             1"), text);
        assertTrue(text.contains("kill -9 1"), text);
        assertTrue(text.contains("cx-1-1.region"), text);
    }

    @Test
    void aRecordIsIntactOnlyWithItsLengthAndChecksumAndAnyFlippedByteTearsIt() {
        final byte[] buf = new byte[600];
        final int n = SoakRecord.encode(77, 500, new SplittableRandom(1), buf);
        assertEquals(77, SoakRecord.decode(buf, n));
        assertEquals(-1, SoakRecord.decode(buf, n - 1));
        final SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < 100; i++) {
            final byte[] torn = buf.clone();
            torn[rnd.nextInt(n)] ^= (byte) (1 << rnd.nextInt(8));
            assertEquals(-1, SoakRecord.decode(torn, n));
        }
        assertTrue(SoakRecord.isHello(SoakRecord.hello(5), SoakRecord.HELLO_BYTES, 5));
        assertFalse(SoakRecord.isHello(SoakRecord.hello(5), SoakRecord.HELLO_BYTES, 6));
    }
}
