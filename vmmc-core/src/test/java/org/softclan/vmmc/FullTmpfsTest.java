package org.softclan.vmmc;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * A server whose tmpfs has no room for a new client's receive region. Before, the server's accept
 * failed silently (an RPC server logged nothing) and the client waited its whole timeout for "took the
 * request but never answered". Now the client is refused at once with the server's failure, and the
 * server's accept reports it too. The test mounts a 4 MiB tmpfs (root only; skipped otherwise).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FullTmpfsTest {
    private static int run(final String... command) throws Exception {
        return new ProcessBuilder(command).redirectErrorStream(true).start().waitFor();
    }

    @Test
    void aClientIsToldAtOnceWhenTheServerHasNoRoomForItsConnection(@TempDir final Path dir) throws Exception {
        final Path mount = Files.createDirectory(dir.resolve("small"));
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString()) == 0,
            "cannot mount a tmpfs here (not root?)");
        try (Fabric fabric = Fabric.open(mount.resolve("fabric"))) {
            final Endpoint server = fabric.openEndpoint("server");
            final Endpoint client = fabric.openEndpoint("client");
            try (Listener listener = Vmmc.listen(server, "svc", new ConnectionContext().ringCapacity(16 << 20))) {
                final CompletableFuture<Connection> connecting = CompletableFuture.supplyAsync(
                    () -> Vmmc.connect(client, "svc", new ConnectionContext().ringCapacity(64 << 10), 30, TimeUnit.SECONDS),
                    THREADS);
                final DsmException atServer = assertThrows(DsmException.class, () -> listener.accept(10, TimeUnit.SECONDS));
                // (the client's own timeout is 30 s: an answer within 10 s is the server's refusal)
                final Throwable atClient = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> connecting.get(10, TimeUnit.SECONDS)).getCause();
                assertTrue(atClient instanceof ConnectException, String.valueOf(atClient));
                assertTrue(atClient.getMessage().contains("failed to make the connection")
                    && atClient.getMessage().contains("bytes"), atClient.getMessage());
                assertTrue(atServer.getMessage().contains("bytes"), atServer.getMessage());
                // nothing half-made is left: the server's failed region is gone
                try (var files = Files.list(fabric.root())) {
                    assertNull(files.filter(f -> f.getFileName().toString().startsWith("sx-")).findAny().orElse(null));
                }
            }
        } finally {
            run("umount", "-l", mount.toString());
        }
    }
}
