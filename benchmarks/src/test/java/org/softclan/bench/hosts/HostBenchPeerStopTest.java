package org.softclan.bench.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.bench.peers.PeerProcess;
import org.softclan.bench.peers.PeerTransport;
import org.softclan.bench.peers.Transports;

/**
 * A host's tcp echo side ends when the client closes its connection, before {@code bench compare --hosts 2}
 * sends it {@code stop}: that stop has nothing left to stop and is answered {@code OK}, not with an error. One
 * host JVM ({@link HostBenchPeer}, no agent: tcp needs none), the client in this JVM, over loopback.
 */
class HostBenchPeerStopTest {
    @Test
    @Timeout(120)
    void aStopAfterTheTcpEchoEndedIsAnsweredOk(@TempDir final Path dir) throws Exception {
        try (PeerProcess host = PeerProcess.start("tcp echo host", List.of(), HostBenchPeer.class,
            List.of(dir.toString()))) {
            host.send("echo tcp size=64 host=127.0.0.1");
            final Map<String, String> open = PeerProcess.pairs(host.expect("open").substring(4));
            try (PeerTransport.Client client = Transports.byName("tcp").client(64)) {
                client.connect(open);
                for (long seq = 1; seq <= 10; seq++) {
                    client.roundTrip(seq, TimeUnit.SECONDS.toNanos(10));
                }
            }
            // the echo side saw the connection end: the run is over, and says how many requests it echoed
            assertEquals("OK 10", host.answer("OK"));
            host.send("stop");
            assertEquals("OK", host.answer("OK"), "a stop after the run ended stops nothing");
            host.exit();
        }
    }
}
