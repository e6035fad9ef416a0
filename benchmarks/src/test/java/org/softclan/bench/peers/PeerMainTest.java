package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Both kinds of measurement through the one child JVM ({@link PeerMain} behind a {@link PeerProcess}):
 * a one-way stream, a round trip and another one-way stream in turn, with tiny counts, every message
 * checked on the receiving side.
 */
class PeerMainTest {
    @Test
    @Timeout(60)
    void oneChildJvmServesOneWayStreamsAndARoundTripInTurn() throws Exception {
        try (ThroughputBench.Session session = ThroughputBench.open()) {
            final Result raw = session.run(new Config().transport(Transports.oneWay("raw")).size(64)
                .totalBytes(64 * 1000).warmupSeconds(0).ringBytes(64 * 1024).checksum(true));
            assertTrue(raw.ok(), () -> "failed: " + raw.error());
            assertEquals(64 * 1000, raw.bytes(), "bytes the receiver read and checked");

            final PingPongResult rt = PingPongRunner.run(session.child(),
                new PingPongRunner.Settings(Transports.byName("raw"), 64, 10, 0, 100, 0, 30), null);
            assertEquals(100, rt.roundTrips());
            assertEquals(110, rt.echoed(), "requests the child checked and echoed");

            final Result tcp = session.run(new Config().transport(Transports.oneWay("tcp")).size(100)
                .totalBytes(100 * 500).warmupSeconds(0).ringBytes(64 * 1024));
            assertTrue(tcp.ok(), () -> "failed: " + tcp.error());
            assertEquals(100 * 500, tcp.bytes());
        }
    }

    @Test
    @Timeout(60)
    void anUnknownCommandIsAnErrorThatNamesTheCommands() throws Exception {
        final PeerProcess child = PeerProcess.start("test");
        try {
            child.send("fly");
            final IOException e = assertThrows(IOException.class, () -> child.expect("OK"));
            assertTrue(e.getMessage().contains("'fly'") && e.getMessage().contains("echo, send, clock, exit"),
                e.getMessage());
            child.send("clock");
            assertTrue(child.expect("OK").matches("OK -?\\d+"));
            child.exit();
        } finally {
            child.kill();
        }
    }
}
