package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.bench.BenchMain;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each transport's echo round trip between this JVM and a child JVM ({@link PingPongRunner} forks
 * {@link PeerMain}): a short run must complete with every round trip measured and every request checked
 * and echoed by the child.
 */
class TransportRoundTripTest {
    /**
     * Every transport this JVM can run ({@code socket-layer}, {@code nio-layer} and the fallbacks need the agent:
     * {@link #theSocketLayerEchoesBetweenTwoJvmsWithTheAgent}).
     */
    static Stream<String> transports() {
        return Transports.names(Transports.known()).stream()
            .filter(n -> !n.startsWith("socket-") && !n.startsWith("nio-"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"socket-layer", "socket-fallback", "nio-layer", "nio-fallback"})
    @Timeout(120)
    void theSocketLayerEchoesBetweenTwoJvmsWithTheAgent(final String name, @TempDir final Path dir) throws Exception {
        final Path result = dir.resolve("r.result");
        final Process p = new ProcessBuilder(PeerProcess.javaCommand(BenchMain.class,
            SocketTransport.jvmArgs(name), List.of("pingpong", "--transport", name, "--size",
                "100", "--warmup", "20", "--warmup-seconds", "0", "--iterations", "200", "--result-file", result.toString())))
            .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        assertTrue(p.waitFor(100, TimeUnit.SECONDS), "pingpong did not end");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("log")));
        final PingPongResult r = PingPongResult.read(result);
        assertEquals(name, r.transport());
        assertEquals(200, r.roundTrips(), "measured round trips");
        assertEquals(r.warmup() + 200, r.echoed(), "requests the echo JVM checked and echoed");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"socket-layer", "nio-layer", "nio-fallback"})
    void theSocketLayerRefusesToRunWithoutItsAgent(final String name) {
        final Exception e = assertThrows(IllegalStateException.class,
            () -> Transports.byName(name).client(16));
        assertTrue(e.getMessage().contains("agent"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    @Timeout(60)
    void echoesBetweenTwoJvms(final String name) throws Exception {
        final PingPongResult r = PingPongRunner.run(new PingPongRunner.Settings(Transports.byName(name), 100, 20, 0, 200,
            0, 30), null);
        assertEquals(name, r.transport());
        assertEquals(200, r.roundTrips(), "measured round trips");
        assertEquals(20, r.warmup());
        assertEquals(220, r.echoed(), "requests the echo JVM checked and echoed");
        assertFalse(r.capped());
        assertTrue(r.histogram().getMinValue() > 0, "a round trip between two JVMs takes time");
    }

    @Test
    @Timeout(60)
    void fixedRatePacesTheSends() throws Exception {
        // 200 sends at 20 000/s cannot take less than 199 periods of 50 us
        final PingPongResult r = PingPongRunner.run(new PingPongRunner.Settings(Transports.byName("raw"), 16, 10, 0, 200,
            20_000, 30), null);
        assertEquals(200, r.roundTrips());
        assertEquals(20_000, r.rate());
        assertTrue(r.nanos() >= 199 * 50_000L, "200 paced round trips took only " + r.nanos() + " ns");
    }
}
