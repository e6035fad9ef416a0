package org.softclan.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.spy;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.InboundMapping;

/**
 * Two threads closing one agent at once: the agent is flushed and shut down once, by the first; the second waits
 * for that and returns with the agent closed. Two loopback agents in this JVM; agent one has written to agent
 * two's region (so its close flushes the link to two), and is a spy whose first flush is held until the second
 * close has run as far as it goes on its own.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NicAgentCloseTest {
    @Test
    void aSecondCloseDuringTheFirstNeitherFlushesNorShutsDownAgainButWaitsForTheFirst(@TempDir final Path rootOne,
                                                                                       @TempDir final Path rootTwo)
        throws Exception {
        final int port = 20_000 + ThreadLocalRandom.current().nextInt(20_000) * 2;
        final String one = "127.0.0.1:" + port;
        final String two = "127.0.0.1:" + (port + 1);
        try (NicAgent agentTwo = NicAgent.launch(new NicAgent.Context().fabric(rootTwo).host("two").listen(two)
                .peer("one", one));
             Endpoint app = agentTwo.fabric().openEndpoint("app");
             InboundMapping region = app.export("r", 4096, 7)) {
            final NicAgent agentOne = NicAgent.launch(new NicAgent.Context().fabric(rootOne).host("one").listen(one)
                .peer("two", two));
            agentOne.importRegion("r@two", 7).putLongRelease(0, 42);   // a write: close flushes the link to two

            final NicAgent closing = spy(agentOne);
            final AtomicInteger flushes = new AtomicInteger();
            final CountDownLatch inFirstFlush = new CountDownLatch(1);
            final CountDownLatch releaseFirstFlush = new CountDownLatch(1);
            doAnswer(call -> {
                if (flushes.incrementAndGet() == 1) {
                    inFirstFlush.countDown();
                    releaseFirstFlush.await();
                }
                return call.callRealMethod();
            }).when(closing).flush("two");

            final AtomicReference<Throwable> failed = new AtomicReference<>();
            final Thread first = new Thread(() -> close(closing, failed), "first-close");
            first.start();
            inFirstFlush.await();
            final Thread second = new Thread(() -> close(closing, failed), "second-close");
            second.start();
            // the second close runs until it waits (for the first) or ends (having done the work itself)
            Thread.State s;
            while ((s = second.getState()) != Thread.State.WAITING && s != Thread.State.TERMINATED) {
                Thread.onSpinWait();
            }
            releaseFirstFlush.countDown();
            first.join();
            second.join();

            assertNull(failed.get(), () -> "a close threw: " + failed.get());
            assertEquals(1, flushes.get(), "the link to two was flushed once, by the first close");
            assertTrue(agentOne.isClosed());
            assertFalse(agentOne.isAlive());
            assertEquals(42, region.getLongAcquire(0), "the write arrived before the agent closed");
            closing.close();   // idempotent: returns at once
            assertEquals(1, flushes.get());
        }
    }

    private static void close(final NicAgent agent, final AtomicReference<Throwable> failed) {
        try {
            agent.close();
        } catch (final Throwable t) {
            failed.compareAndSet(null, t);
        }
    }
}
