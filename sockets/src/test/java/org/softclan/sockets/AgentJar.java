package org.softclan.sockets;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * An agent jar for test JVMs: a manifest naming {@link SocketsAgent} as the premain class, and no
 * classes (the test JVMs have the module's classes on their class path, which is where the agent's
 * class is loaded from). The shaded {@code softclan-sockets.jar} carries the same manifest entries.
 */
final class AgentJar {
    private AgentJar() {
    }

    static Path write(final Path dir) throws IOException {
        final Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(new Attributes.Name("Premain-Class"), SocketsAgent.class.getName());
        final Path jar = dir.resolve("agent.jar");
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m)) {
            j.flush();
        }
        return jar;
    }
}
