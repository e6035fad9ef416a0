package org.softclan.sockets;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.softclan.dsm.testing.JvmProcess;

/**
 * A test's fresh directory with a fabric and an agent jar ({@link AgentJar}), and the JVMs the test
 * starts: closing kills those still running and removes the directory. Also the line protocol of the
 * scripted programs ({@link SocketScriptMain}, {@link ProbeMain}): a command, then one reply line.
 */
final class TestFabric implements AutoCloseable {
    final Path dir;
    final Path fabric;
    final Path agent;
    private final List<JvmProcess> processes = new ArrayList<>();

    TestFabric() throws IOException {
        dir = Files.createTempDirectory("softclan-sockets-test");
        fabric = Files.createDirectory(dir.resolve("fabric"));
        agent = AgentJar.write(dir);
    }

    /** {@return the JVM arguments of a process with the layer in this fabric} */
    List<String> withLayer() {
        return List.of("-javaagent:" + agent, "-Dsoftclan.fabric=" + fabric, "-Xmx256m");
    }

    /** {@return the JVM arguments of a plain process (no agent) pointed at this fabric} */
    List<String> withoutLayer() {
        return List.of("-Dsoftclan.fabric=" + fabric, "-Xmx256m");
    }

    /** {@return {@code p}, closed with this fixture} */
    JvmProcess track(final JvmProcess p) {
        processes.add(p);
        return p;
    }

    /** Sends {@code command} to a scripted program; {@return its reply line} */
    static String reply(final JvmProcess p, final String command) throws InterruptedException {
        p.send(command);
        return p.expectLine("", 60, TimeUnit.SECONDS);
    }

    /** As {@link #reply}, asserting an {@code OK}; {@return what follows it} */
    static String ok(final JvmProcess p, final String command) throws InterruptedException {
        final String line = reply(p, command);
        assertTrue(line.startsWith("OK"), command + ": " + line);
        return line.length() > 3 ? line.substring(3) : "";
    }

    @Override
    public void close() throws IOException {
        processes.forEach(JvmProcess::close);
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
