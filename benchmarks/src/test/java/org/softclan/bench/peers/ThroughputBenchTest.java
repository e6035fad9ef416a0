package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Moves two megabytes between this JVM and a child JVM over the raw ring, a byte stream and TCP,
 * with the full CRC32C on, and checks what the receiver counted against what the sender sent.
 */
@Timeout(60)
class ThroughputBenchTest {
    static final long TOTAL = 2L << 20;
    static ThroughputBench.Session session;

    @BeforeAll
    static void start() throws Exception {
        session = ThroughputBench.open();
    }

    @AfterAll
    static void stop() {
        if (session != null) {
            session.close();
        }
    }

    private static Config small(final PeerTransport t, final int size) {
        return new Config().transport(t).size(size).totalBytes(TOTAL).warmupSeconds(0).ringBytes(64 * 1024)
            .checksum(true);
    }

    private static void assertMovedEverything(final Result r, final int size) {
        assertTrue(r.ok(), () -> "failed: " + r.error());
        final long messages = (TOTAL + size - 1) / size;
        assertEquals(messages * size, r.bytes(), "bytes the receiver read");
        assertTrue(r.measuredBytes() > 0 && r.measuredBytes() <= r.bytes(), "measured " + r.measuredBytes());
        assertTrue(r.mbPerSecond() > 0, "throughput " + r.mbPerSecond());
        assertTrue(r.check().contains("CRC32C"), r.check());
    }

    @Test
    void rawRingMovesEveryByteAcrossTheWrap() throws Exception {
        // 3000-byte messages through a 64 KiB ring: chunks straddle the wrap-around point
        assertMovedEverything(session.run(small(Transports.oneWay("raw"), 3000)), 3000);
    }

    @Test
    void byteStreamMovesEveryByte() throws Exception {
        // competitive waits: kinder to a busy machine than two spinning threads
        assertMovedEverything(session.run(small(Transports.oneWay("stream-pio"), 5000).busySpin(false)), 5000);
    }

    @Test
    void tcpMovesEveryByte() throws Exception {
        assertMovedEverything(session.run(small(Transports.oneWay("tcp"), 4096)), 4096);
    }

    @Test
    void fixedRateRecordsEveryMessagesLatencyAfterTheWarmUp() throws Exception {
        final Result r = session.run(new Config().transport(Transports.oneWay("raw")).size(256).rate(20_000)
            .warmupSeconds(0.1).seconds(0.2).ringBytes(64 * 1024));
        assertTrue(r.ok(), () -> "failed: " + r.error());
        assertNotNull(r.latency());
        // 0.3 s at 20000/s = 6000 messages, the first 2000 are the warm-up
        assertEquals(6000 * 256, r.bytes());
        assertEquals(4000, r.latency().getTotalCount());
        assertTrue(r.latency().getMinValue() >= 0);
    }

    @Test
    void bothJvmsReadTheSameNanoTimeClock() throws Exception {
        final ThroughputBench.ClockCheck c = session.checkClock(50);
        assertEquals(50, c.trials());
        assertEquals(0, c.outside(), c::toString);
    }
}
