package org.softclan.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.softclan.sockets.SocketsAgent;

/**
 * An agent jar for JVMs this command line starts with the socket layer: a manifest naming
 * {@link SocketsAgent} as the premain class and no classes, since those JVMs have this jar (which holds
 * the agent) on their class path. A program started by hand uses {@code sockets/target/softclan-sockets.jar}
 * ({@code ./vmmc sockets --agent}) instead.
 */
final class SocketsAgentJar {
    private SocketsAgentJar() {
    }

    /**
     * @param dir the directory to write it in
     * @return the jar's path
     * @throws IOException if it cannot be written
     */
    static Path write(final Path dir) throws IOException {
        final Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(new Attributes.Name("Premain-Class"), SocketsAgent.class.getName());
        final Path jar = dir.resolve("softclan-sockets-agent.jar");
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m)) {
            j.flush();
        }
        return jar;
    }
}
