package org.softclan.vmmc;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/** The message-queue sample printed in the README, compiled and run here so it cannot rot. */
class ReadmeMessageQueueTest {
    @Test
    void sample() throws Exception {
        try (Fabric fabric = Fabric.createTemporary()) {
            final Endpoint serverEp = fabric.openEndpoint("server");
            final Endpoint clientEp = fabric.openEndpoint("client");
            final StringBuilder got = new StringBuilder();
            // --- README message queue sample: server
            Listener listener = Vmmc.listen(serverEp, "echo", new ConnectionContext());   // the name exists from here
            CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
                try (listener; Connection c = listener.accept(10, TimeUnit.SECONDS)) {
                    c.receive((buffer, offset, length) -> {                 // zero-copy: bytes in place
                        byte[] text = new byte[length];
                        buffer.read(offset, text, 0, length);
                        got.append(new String(text, StandardCharsets.UTF_8));
                    }, 16, 10, TimeUnit.SECONDS);
                }
            }, THREADS);
            // --- end
            // --- README message queue sample: client
            try (Connection c = Vmmc.connect(clientEp, "echo", new ConnectionContext(), 10, TimeUnit.SECONDS)) {
                c.send("hello".getBytes(StandardCharsets.UTF_8), 1, TimeUnit.SECONDS);   // waits if the ring is full
            }
            // --- end
            server.get(20, TimeUnit.SECONDS);
            assertEquals("hello", got.toString());
        }
    }
}
