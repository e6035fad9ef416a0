package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.tripwire.os.Futex;

/**
 * A writer JVM on the parking fallback ({@code -Dsoftclan.futex.disable=true}, or silently when JNA
 * cannot load) fires a tripwire while this JVM is blocked in the kernel on its event queue. Before, the
 * fallback's wake was a no-op: the waiter slept to its timeout (RPC p50 went from 78 us to 100 ms,
 * {@code Listener.accept} never saw a connect). Now the fallback process marks the queue when it opens
 * it, and blocked waiters re-check in bounded slices, so the event is seen long before the timeout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MixedFutexModesTest {
    @Test
    void aWriterOnTheFallbackWakesAWaiterBlockedInTheFutex() throws Exception {
        Assumptions.assumeTrue(Futex.isAvailable(), "this JVM must block in the futex");
        try (Fabric fabric = Fabric.createTemporary()) {
            final Endpoint owner = fabric.openEndpoint("owner");
            final InboundMapping in = owner.export("watched", 1 << 16);
            try (TripwireUnit unit = TripwireUnit.open(owner);
                 JvmProcess writer = JvmProcess.start(WriterMain.class,
                     List.of("-Xmx256m", "-D" + Futex.DISABLE_PROPERTY + "=true"), fabric.root().toString(), "watched")) {
                writer.expectLine("ready", 30, TimeUnit.SECONDS);
                unit.arm(in, Tripwire.Options.word(0).cookie(1));
                // a long wait: before, it ended only at this timeout, with no event
                final CompletableFuture<Boolean> woke = CompletableFuture.supplyAsync(
                    () -> unit.events().await(WaitStrategy.block(), 30, TimeUnit.SECONDS), task -> {
                        final Thread t = new Thread(task, "blocked-waiter");
                        t.setDaemon(true);
                        t.start();
                    });
                writer.send("pio 0 42");
                writer.expectLine("done", 30, TimeUnit.SECONDS);
                assertTrue(woke.get(20, TimeUnit.SECONDS), "the waiter never saw the event");
            }
        }
    }
}
