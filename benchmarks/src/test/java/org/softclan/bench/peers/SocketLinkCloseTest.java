package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * A socket link's close releases everything it holds even when a part fails: the connection, the listening
 * socket, the Unix socket's directory; the first failure is thrown, the later ones suppressed in it.
 */
class SocketLinkCloseTest {
    /** A {@code uds} link whose first disconnect fails with {@code failure} (null: it succeeds). */
    private static SocketTransport.SocketLink link(final IOException failure) {
        return new SocketTransport.SocketLink(new SocketTransport(true, false), 64, true) {
            private boolean failed;

            @Override
            public Map<String, String> open(final Map<String, String> clientParams) {
                return Map.of();
            }

            @Override
            public void disconnect() throws IOException {
                if (failure != null && !failed) {
                    failed = true;
                    throw failure;
                }
            }
        };
    }

    /** {@return the directory of the link's socket, made by prepare(), with the socket's file in it} */
    private static Path prepared(final SocketTransport.SocketLink link) throws IOException {
        final Path socket = Path.of(link.prepare().get("path"));
        Files.createFile(socket);
        return socket.getParent();
    }

    @Test
    void aFailedDisconnectStillClosesTheListeningSocketAndRemovesTheDirectory() throws IOException {
        final IOException failed = new IOException("disconnect failed");
        final SocketTransport.SocketLink link = link(failed);
        final Path dir = prepared(link);
        final AtomicInteger closes = new AtomicInteger();
        link.listen = closes::incrementAndGet;
        final IOException thrown = assertThrows(IOException.class, link::close);
        assertSame(failed, thrown, "the first failure is the one thrown");
        assertEquals(1, closes.get(), "the listening socket was closed");
        assertFalse(Files.exists(dir), "the socket's directory was removed");
        link.close();   // idempotent: nothing is closed twice
        assertEquals(1, closes.get());
    }

    @Test
    void laterFailuresAreSuppressedInTheFirst() throws IOException {
        final IOException failed = new IOException("disconnect failed");
        final IOException alsoFailed = new IOException("listen close failed");
        final SocketTransport.SocketLink link = link(failed);
        final Path dir = prepared(link);
        final Closeable listen = () -> {
            throw alsoFailed;
        };
        link.listen = listen;
        final IOException thrown = assertThrows(IOException.class, link::close);
        assertSame(failed, thrown);
        assertArrayEquals(new Throwable[] {alsoFailed}, thrown.getSuppressed());
        assertFalse(Files.exists(dir), "the socket's directory was removed all the same");
    }

    @Test
    void aCleanCloseThrowsNothing() throws IOException {
        final SocketTransport.SocketLink link = link(null);
        final Path dir = prepared(link);
        final AtomicInteger closes = new AtomicInteger();
        link.listen = closes::incrementAndGet;
        link.close();
        assertEquals(1, closes.get());
        assertTrue(Files.notExists(dir));
    }
}
