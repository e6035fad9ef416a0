package org.softclan.vmmc.stream;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.softclan.dsm.testing.TestThreads.THREADS;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.vmmc.ConnectionContext;

/** Test fixture: two connected stream ends between two endpoints of one JVM. */
final class StreamPairs {
    private StreamPairs() {
    }

    /**
     * Listens on {@code server}, connects from {@code client} on another thread, accepts.
     *
     * @return {server end made with {@code serverCtx}, client end made with {@code clientCtx}}
     */
    static ByteStream[] open(final Endpoint server, final Endpoint client, final String service,
                             final ConnectionContext ctx, final ByteStreamContext serverCtx,
                             final ByteStreamContext clientCtx) throws Exception {
        try (StreamListener listener = ByteStreams.listen(server, service, ctx)) {
            final CompletableFuture<ByteStream> c = CompletableFuture.supplyAsync(
                () -> ByteStreams.connect(client, service, ctx, clientCtx, 10, TimeUnit.SECONDS), THREADS);
            final ByteStream s = listener.accept(10, TimeUnit.SECONDS, serverCtx);
            assertNotNull(s);
            return new ByteStream[] {s, c.get(10, TimeUnit.SECONDS)};
        }
    }
}
