package org.softclan.vmmc.rpc;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/** RPC between two endpoints of one JVM (the cross-process tests run server and clients as JVMs). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcTest {
    static final RpcMethod<String, String> ECHO = RpcMethod.of(1, "echo", Codecs.STRING, Codecs.STRING);
    static final RpcMethod<byte[], byte[]> REVERSE = RpcMethod.of(2, "reverse", Codecs.BYTES, Codecs.BYTES);
    static final RpcMethod<Long, Long> SLEEP = RpcMethod.of(3, "sleep", Codecs.LONG, Codecs.LONG);
    static final RpcMethod<String, Void> FAIL = RpcMethod.of(4, "fail", Codecs.STRING, Codecs.VOID);
    static final RpcMethod<Void, Void> NULL = RpcMethod.of(5, "null", Codecs.VOID, Codecs.VOID);

    private final java.util.concurrent.CountDownLatch sleeping = new java.util.concurrent.CountDownLatch(1);
    private Fabric fabric;
    private RpcServer server;
    private Endpoint clientEp;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        server = RpcServer.create(fabric.openEndpoint("server"), "test", new RpcServer.Context().workers(2))
            .handle(ECHO, s -> s)
            .handle(REVERSE, RpcTest::reverse)
            .handle(SLEEP, ms -> {
                sleeping.countDown();
                try {
                    Thread.sleep(ms); // the handler under test is slow on purpose
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return ms;
            })
            .handle(FAIL, msg -> {
                throw new IllegalStateException(msg);
            })
            .handle(NULL, v -> null)
            .start();
        clientEp = fabric.openEndpoint("client");
    }

    @AfterEach
    void tearDown() {
        server.close();
        fabric.close();
    }

    /** {@return the counters of the endpoint named {@code endpoint} whose label names {@code of}, by type} */
    private java.util.Map<Integer, Long> counters(final String endpoint, final String of) {
        final java.util.Map<Integer, Long> m = new java.util.HashMap<>();
        final java.util.List<org.softclan.dsm.stat.StatReader.EndpointSnapshot> all;
        try {
            all = org.softclan.dsm.stat.StatReader.readAll(fabric.root());
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (final org.softclan.dsm.stat.StatReader.EndpointSnapshot s : all) {
            if (endpoint.equals(s.endpoint())) {
                for (final org.softclan.dsm.stat.StatReader.Counter c : s.counters()) {
                    if (c.label().contains(of)) {
                        m.merge(c.typeId(), c.value(), Long::sum);
                    }
                }
            }
        }
        return m;
    }

    @Test
    void callsRequestsHandlerErrorsAndTimeoutsShowInBothEndpointsStatistics() throws Exception {
        try (RpcClient client = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 10, TimeUnit.SECONDS)) {
            for (int i = 0; i < 100; i++) {
                assertEquals("x" + i, client.call(ECHO, "x" + i, 5, TimeUnit.SECONDS));
            }
            assertThrows(RpcException.class, () -> client.call(FAIL, "on purpose", 5, TimeUnit.SECONDS));
            // refused before it is sent: a failure (NOT_SENT), not a call made
            final RpcException tooLong = assertThrows(RpcException.class,
                () -> client.call(REVERSE, new byte[32 << 20], 5, TimeUnit.SECONDS));
            assertEquals(RpcException.Kind.NOT_SENT, tooLong.kind(), tooLong.getMessage());
            final RpcException late = assertThrows(RpcException.class,
                () -> client.call(SLEEP, 300L, 20, TimeUnit.MILLISECONDS));
            assertEquals(RpcException.Kind.TIMEOUT, late.kind());
            final java.util.concurrent.atomic.AtomicReference<java.util.Map<Integer, Long>> cr =
                new java.util.concurrent.atomic.AtomicReference<>();
            final java.util.concurrent.atomic.AtomicReference<java.util.Map<Integer, Long>> sr =
                new java.util.concurrent.atomic.AtomicReference<>();
            org.softclan.dsm.testing.TestThreads.awaitTrue(() -> {
                cr.set(counters("client", "RPC client of 'test'"));
                sr.set(counters("server", "RPC server 'test'"));
                // the failures too: a publication made after the last call was sent but before it timed out
                // shows 102 calls and no timeout yet (seen once in a full run)
                return Long.valueOf(102).equals(cr.get().get(org.softclan.dsm.stat.StatTypes.RPC_CALLS))
                    && Long.valueOf(1).equals(cr.get().get(org.softclan.dsm.stat.StatTypes.RPC_TIMEOUTS))
                    && Long.valueOf(2).equals(cr.get().get(org.softclan.dsm.stat.StatTypes.RPC_FAILURES))
                    && Long.valueOf(102).equals(sr.get().get(org.softclan.dsm.stat.StatTypes.RPC_REQUESTS))
                    && Long.valueOf(1).equals(sr.get().get(org.softclan.dsm.stat.StatTypes.RPC_HANDLER_ERRORS));
            }, 10, TimeUnit.SECONDS);
            final java.util.Map<Integer, Long> c = cr.get();
            final java.util.Map<Integer, Long> s = sr.get();
            assertEquals(102L, c.get(org.softclan.dsm.stat.StatTypes.RPC_CALLS), "client: " + c);
            assertEquals(1L, c.get(org.softclan.dsm.stat.StatTypes.RPC_TIMEOUTS), "client: " + c);
            assertEquals(2L, c.get(org.softclan.dsm.stat.StatTypes.RPC_FAILURES), "the handler's error and the request too long: " + c);
            assertEquals(102L, s.get(org.softclan.dsm.stat.StatTypes.RPC_REQUESTS), "server: " + s);
            assertEquals(1L, s.get(org.softclan.dsm.stat.StatTypes.RPC_HANDLER_ERRORS), "server: " + s);
            assertEquals(1L, s.get(org.softclan.dsm.stat.StatTypes.RPC_CLIENTS), "server: " + s);
        }
    }

    @Test
    void aResponseWhoseDecodingRunsOutOfMemoryFailsItsCallAndTheNextCallsGoThrough() throws Exception {
        // what a server's list count of 2^31 did to a client before its codec checked counts: the error
        // killed the thread receiving responses, and the call (and every later one) never completed
        final RpcMethod<String, String> poisoned = RpcMethod.of(1, "echo", Codecs.STRING, new Codec<>() {
            @Override
            public void encode(final String value, final net.openhft.chronicle.bytes.Bytes<?> out) {
                Codecs.STRING.encode(value, out);
            }

            @Override
            public String decode(final net.openhft.chronicle.bytes.Bytes<?> in) {
                throw new OutOfMemoryError("a codec allocating what a garbage count asked for");
            }
        });
        try (RpcClient client = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            final RpcException e = assertThrows(RpcException.class, () -> client.call(poisoned, "x", 5, TimeUnit.SECONDS));
            assertMentions(e, "could not be decoded");
            final Throwable async = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> client.callAsync(poisoned, "y", 5, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS)).getCause();
            assertEquals(RpcException.class, async.getClass(), "the asynchronous call's failure: " + async);
            assertEquals("z", client.call(ECHO, "z", 5, TimeUnit.SECONDS), "later calls are answered");
        }
    }

    @Test
    void aServerThatCannotListenLeavesNoRegionBehindAndTheFirstKeepsServing() {
        final int regions = fabric.regions(true).size();
        final RpcServer second = RpcServer.create(clientEp, "test", new RpcServer.Context());
        final RuntimeException refused = assertThrows(org.softclan.dsm.RegionExistsException.class, second::start);
        assertMentions(refused, "test");
        assertEquals(regions, fabric.regions(true).size(),
            "regions after the failed start: " + fabric.regions(true));
        second.close();
        try (RpcClient client = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            assertEquals("still here", client.call(ECHO, "still here", 5, TimeUnit.SECONDS));
        }
    }

    @Test
    void aSecondStartIsRefused() {
        final IllegalStateException e = assertThrows(IllegalStateException.class, server::start);
        assertMentions(e, "test", "started");
    }

    static byte[] reverse(final byte[] b) {
        final byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    @Test
    void callsReturnResultsFromZeroBytesToOneMebibyte() {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            assertEquals("hello", c.call(ECHO, "hello", 5, TimeUnit.SECONDS));
            assertEquals(null, c.call(NULL, null, 5, TimeUnit.SECONDS));
            for (final int size : new int[] {0, 1, 4096, 1 << 20}) {
                final byte[] b = new byte[size];
                new Random(size).nextBytes(b);
                assertArrayEquals(reverse(b), c.call(REVERSE, b, 10, TimeUnit.SECONDS), "size " + size);
            }
        }
    }

    @Test
    void theWorkersEncodeBuffersAreFreedWhenTheServerCloses() {
        final HandlerWorkers workers = server.workers;
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            for (int i = 0; i < 200; i++) {
                assertEquals("w" + i, c.call(ECHO, "w" + i, 5, TimeUnit.SECONDS));
            }
        }
        final List<net.openhft.chronicle.bytes.Bytes<?>> used = workers.encodeBuffers();
        assertTrue(!used.isEmpty(), "a worker answered with its encode buffer");
        server.close();
        for (final net.openhft.chronicle.bytes.Bytes<?> b : used) {
            assertEquals(0, b.refCount(), "an encode buffer still held after close");
        }
        assertEquals(List.of(), workers.encodeBuffers());
    }

    @Test
    void manyCallsInFlightFromManyThreadsAllGetTheirOwnAnswers() throws Exception {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            final List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final int thread = t;
                threads.add(CompletableFuture.runAsync(() -> {
                    final List<CompletableFuture<String>> calls = new ArrayList<>();
                    for (int i = 0; i < 500; i++) {
                        calls.add(c.callAsync(ECHO, thread + ":" + i, 10, TimeUnit.SECONDS));
                    }
                    for (int i = 0; i < 500; i++) {
                        assertEquals(thread + ":" + i, calls.get(i).join());
                    }
                }, THREADS));
            }
            CompletableFuture.allOf(threads.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
            assertEquals(0, c.inFlight());
        }
    }

    @Test
    void synchronousCallersAndAsynchronousCallsMixedAcrossThreadsEachGetTheirOwnAnswers() throws Exception {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            final List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final int thread = t;
                threads.add(CompletableFuture.runAsync(() -> {
                    final List<CompletableFuture<String>> async = new ArrayList<>();
                    for (int i = 0; i < 300; i++) {
                        // whichever thread receives, an answer reaches the call it belongs to
                        async.add(c.callAsync(ECHO, "a" + thread + ":" + i, 10, TimeUnit.SECONDS));
                        assertEquals("s" + thread + ":" + i, c.call(ECHO, "s" + thread + ":" + i, 10, TimeUnit.SECONDS));
                    }
                    for (int i = 0; i < 300; i++) {
                        assertEquals("a" + thread + ":" + i, async.get(i).join());
                    }
                }, THREADS));
            }
            CompletableFuture.allOf(threads.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
            assertEquals(0, c.inFlight());
        }
    }

    @Test
    void handlerExceptionsReachTheCaller() {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            final RpcException e = assertThrows(RpcException.class, () -> c.call(FAIL, "boom", 5, TimeUnit.SECONDS));
            assertEquals(RpcException.Kind.REMOTE_ERROR, e.kind());
            assertMentions(e, "fail", "IllegalStateException", "boom");
            assertEquals("still fine", c.call(ECHO, "still fine", 5, TimeUnit.SECONDS));
        }
    }

    @Test
    void aSlowCallTimesOutAndLaterCallsStillWork() {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            final RpcException e = assertThrows(RpcException.class, () -> c.call(SLEEP, 2000L, 100, TimeUnit.MILLISECONDS));
            assertEquals(RpcException.Kind.TIMEOUT, e.kind());
            assertMentions(e, "sleep", "100 ms");
            assertEquals("after", c.call(ECHO, "after", 5, TimeUnit.SECONDS));
        }
    }

    /**
     * An asynchronous call's deadline is kept with the call and checked by whichever thread receives: with
     * the background receiver, and with none (a thread in {@code receive} checks it); no timer thread exists.
     */
    @Test
    void asynchronousCallsTimeOutWithNoTimerThread() throws Exception {
        for (final boolean background : new boolean[] {true, false}) {
            try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context().backgroundReceiver(background),
                5, TimeUnit.SECONDS)) {
                final long t0 = System.nanoTime();
                final CompletableFuture<Long> slow = c.callAsync(SLEEP, 2000L, 100, TimeUnit.MILLISECONDS);
                if (!background) {
                    while (!slow.isDone() && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5)) {
                        c.receive(16, 50, TimeUnit.MILLISECONDS);   // this thread sweeps the deadline
                    }
                }
                final java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> slow.get(5, TimeUnit.SECONDS));
                final long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(RpcException.Kind.TIMEOUT, ((RpcException) e.getCause()).kind(), e.toString());
                assertMentions(e.getCause(), "sleep", "100 ms");
                assertTrue(ms >= 100 && ms < 1500, "failed after " + ms + " ms (background receiver: " + background + ")");
                assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().endsWith("-timeouts")),
                    "a timer thread");
                assertEquals(background, Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.getName().equals("rpc-test-receive")), "the background receiver runs only if asked");
                final CompletableFuture<String> after = c.callAsync(ECHO, "after", 5, TimeUnit.SECONDS);
                if (!background) {
                    while (!after.isDone()) {
                        c.receive(16, 5, TimeUnit.SECONDS);
                    }
                }
                assertEquals("after", after.get(5, TimeUnit.SECONDS));
            }
        }
    }

    /** A call with a timeout too long to add to the clock (Long.MAX_VALUE ms) keeps the others' deadlines. */
    @Test
    void anEndlessTimeoutDoesNotKeepOtherCallsFromTimingOut() throws Exception {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            final CompletableFuture<Long> endless = c.callAsync(SLEEP, 1500L, Long.MAX_VALUE, TimeUnit.MILLISECONDS);
            final long t0 = System.nanoTime();
            final CompletableFuture<Long> short1 = c.callAsync(SLEEP, 1500L, 100, TimeUnit.MILLISECONDS);
            final java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> short1.get(5, TimeUnit.SECONDS));
            final long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(RpcException.Kind.TIMEOUT, ((RpcException) e.getCause()).kind(), e.toString());
            assertTrue(ms < 1400, "the 100-ms call failed after " + ms + " ms (the other call's sleep is 1500 ms)");
            assertEquals(1500L, endless.get(10, TimeUnit.SECONDS));
        }
    }

    /**
     * A synchronous call (or a receive) from a future's dependent action that runs while this thread receives
     * is refused with a clear error (a nested receive would take the ring's records from under the outer one);
     * the client goes on working.
     */
    @Test
    void aCallFromACallbackRunWhileReceivingIsRefusedClearly() throws Exception {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context().backgroundReceiver(false), 5,
            TimeUnit.SECONDS)) {
            final CompletableFuture<String> nested = c.callAsync(ECHO, "outer", 5, TimeUnit.SECONDS)
                .thenApply(v -> c.call(ECHO, "inner", 5, TimeUnit.SECONDS));
            final CompletableFuture<Integer> nestedPoll = c.callAsync(ECHO, "outer2", 5, TimeUnit.SECONDS)
                .thenApply(v -> c.poll(1));
            while (!nested.isDone() || !nestedPoll.isDone()) {
                c.receive(16, 5, TimeUnit.SECONDS);   // the callbacks run here, inside the receive
            }
            for (final CompletableFuture<?> f : List.of(nested, nestedPoll)) {
                final java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> f.get(1, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
                assertMentions(e.getCause(), "while this thread receives", "callAsync");
            }
            assertEquals("after", c.call(ECHO, "after", 5, TimeUnit.SECONDS));
        }
    }

    /**
     * The driven shape: with no background receiver, a thread keeps 64 asynchronous calls in flight and
     * receives when the window is full; every answer reaches its call, each completion runs on that thread,
     * and {@code receive} counts them all.
     */
    @Test
    @SuppressWarnings("try")   // the server only has to run
    void batchedCallsWaitForThePublishThenAllAreAnsweredInOneGo() throws Exception {
        // handlers on the polling thread: the server publishes its answers once per poll too
        final java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        try (Endpoint sep = fabric.openEndpoint("inline");
             RpcServer inline = RpcServer.create(sep, "inline", new RpcServer.Context()).handle(ECHO, s -> {
                 served.incrementAndGet();
                 return s;
             }).start();
             RpcClient c = RpcClient.connect(clientEp, "inline", new RpcClient.Context().backgroundReceiver(false)
                 .batchLimit(1000), 5, TimeUnit.SECONDS)) {
            final List<CompletableFuture<String>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                calls.add(c.callAsyncBatched(ECHO, "b" + i, 10, TimeUnit.SECONDS));
            }
            assertEquals(200, c.inFlight());
            Thread.sleep(100);   // the server polls all along: it must see nothing unpublished
            assertEquals(0, served.get(), "the server saw no request before the publish");
            // receive publishes the batch, then waits for its answers
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (c.inFlight() > 0 && System.nanoTime() < deadline) {
                c.receive(1000, 100, TimeUnit.MILLISECONDS);
            }
            for (int i = 0; i < 200; i++) {
                assertEquals("b" + i, calls.get(i).getNow("not answered"), "call " + i);
            }
            assertTrue(!c.flush(), "nothing left unpublished");
        }
    }

    @Test
    @SuppressWarnings("try")   // the server only has to run
    void aBatchIsPublishedWhenItReachesTheBatchLimit() throws Exception {
        final java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        try (Endpoint sep = fabric.openEndpoint("inline");
             RpcServer inline = RpcServer.create(sep, "inline", new RpcServer.Context()).handle(ECHO, s -> {
                 served.incrementAndGet();
                 return s;
             }).start();
             RpcClient c = RpcClient.connect(clientEp, "inline", new RpcClient.Context().backgroundReceiver(false)
                 .batchLimit(8), 5, TimeUnit.SECONDS)) {
            for (int i = 0; i < 7; i++) {
                c.callAsyncBatched(ECHO, "b" + i, 10, TimeUnit.SECONDS);
            }
            Thread.sleep(50);
            assertEquals(0, served.get(), "seven of a batch of eight wait unpublished");
            c.callAsyncBatched(ECHO, "b7", 10, TimeUnit.SECONDS);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (served.get() < 8 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(8, served.get(), "the eighth published the batch, with no flush and no receive");
            c.callAsyncBatched(ECHO, "b8", 10, TimeUnit.SECONDS);
            Thread.sleep(50);
            assertEquals(8, served.get(), "the next batch starts unpublished");
            assertTrue(c.flush());
            while (c.inFlight() > 0 && System.nanoTime() < deadline) {
                c.receive(100, 100, TimeUnit.MILLISECONDS);
            }
            assertEquals(0, c.inFlight());
            assertThrows(IllegalArgumentException.class, () -> new RpcClient.Context().batchLimit(0));
        }
    }

    @Test
    void batchedCallsNobodyPublishesAreSentByTheBackgroundReceiver() throws Exception {
        // a batch limit the calls never reach: only the background receiver can publish them
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context().batchLimit(1000), 5,
            TimeUnit.SECONDS)) {
            final List<CompletableFuture<String>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(c.callAsyncBatched(ECHO, "late" + i, 10, TimeUnit.SECONDS));
            }
            for (int i = 0; i < 20; i++) {
                assertEquals("late" + i, calls.get(i).get(5, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void anInterruptedBackgroundReceiverGoesOnReceiving() throws Exception {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            assertEquals("first", c.callAsync(ECHO, "first", 5, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS));
            final Thread receiver = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("rpc-test-receive")).findFirst().orElseThrow();
            // a stray interrupt (nothing in the library sends one), idle (nothing in flight: it waits on its idle
            // monitor) and while waiting for answers
            final java.util.function.BooleanSupplier idle = () -> receiver.getState() == Thread.State.TIMED_WAITING
                || receiver.getState() == Thread.State.WAITING;
            for (int i = 0; i < 5; i++) {
                assertTrue(org.softclan.dsm.testing.TestThreads.awaitTrue(idle, 10, TimeUnit.SECONDS), "idle: "
                    + receiver.getState());
                receiver.interrupt();
            }
            final List<CompletableFuture<String>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(c.callAsync(ECHO, "after" + i, 10, TimeUnit.SECONDS));
                receiver.interrupt();
            }
            for (int i = 0; i < 20; i++) {
                assertEquals("after" + i, calls.get(i).get(5, TimeUnit.SECONDS));   // nobody else receives
            }
            assertTrue(receiver.isAlive(), "the background receiver ended");
            // interrupted while it waits for an answer (the handler sleeps 1 s): its flag must not stay set, which
            // would make each of its waits return at once and the thread spin until the answer comes
            final CompletableFuture<Long> slow = c.callAsync(SLEEP, 1000L, 10, TimeUnit.SECONDS);
            assertTrue(sleeping.await(10, TimeUnit.SECONDS), "the call reached the handler");
            final java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            receiver.interrupt();
            final long cpu0 = mx.getThreadCpuTime(receiver.getId());
            final long t0 = System.nanoTime();
            assertEquals(1000L, slow.get(10, TimeUnit.SECONDS));
            final long cpuMs = (mx.getThreadCpuTime(receiver.getId()) - cpu0) / 1_000_000;
            final long wallMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(cpuMs < wallMs / 4, "the interrupted receiver used " + cpuMs + " ms of CPU in " + wallMs
                + " ms of waiting for the answer");
        }
    }

    @Test
    @SuppressWarnings("try")   // the server only has to run
    void batchedAsynchronousAndSynchronousCallsMixedAcrossThreadsEachGetTheirOwnAnswers() throws Exception {
        try (Endpoint sep = fabric.openEndpoint("inline");
             RpcServer inline = RpcServer.create(sep, "inline", new RpcServer.Context()).handle(ECHO, s -> s).start();
             RpcClient c = RpcClient.connect(clientEp, "inline", new RpcClient.Context().backgroundReceiver(false), 5,
                 TimeUnit.SECONDS)) {
            final List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final int thread = t;
                threads.add(CompletableFuture.runAsync(() -> {
                    final List<CompletableFuture<String>> async = new ArrayList<>();
                    for (int i = 0; i < 300; i++) {
                        async.add(c.callAsyncBatched(ECHO, "a" + thread + ":" + i, 10, TimeUnit.SECONDS));
                        if (i % 3 == 0) {
                            // a synchronous call publishes the batch before it (another thread's too)
                            assertEquals("s" + thread + ":" + i, c.call(ECHO, "s" + thread + ":" + i, 10, TimeUnit.SECONDS));
                        } else if (i % 7 == 0) {
                            c.flush();
                        }
                    }
                    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (async.stream().anyMatch(f -> !f.isDone())) {
                        c.receive(100, 10, TimeUnit.MILLISECONDS);
                        assertTrue(System.nanoTime() < deadline, "answers stopped coming");
                    }
                    for (int i = 0; i < 300; i++) {
                        assertEquals("a" + thread + ":" + i, async.get(i).join());
                    }
                }, THREADS));
            }
            CompletableFuture.allOf(threads.toArray(new CompletableFuture<?>[0])).get(40, TimeUnit.SECONDS);
            assertEquals(0, c.inFlight());
        }
    }

    /**
     * A server that answers a synchronous call twice, both answers published together: the caller, which
     * receives its own answer, gets the first; the second finds the call done and is dropped.
     */
    @Test
    void aSecondAnswerToACallCannotReplaceTheFirst() throws Exception {
        final Endpoint evil = fabric.openEndpoint("evil");
        try (org.softclan.vmmc.Listener l = org.softclan.vmmc.Vmmc.listen(evil, "twice", new org.softclan.vmmc.ConnectionContext())) {
            final CompletableFuture<RpcClient> connecting = CompletableFuture.supplyAsync(() -> RpcClient.connect(clientEp,
                "twice", new RpcClient.Context().backgroundReceiver(false), 5, TimeUnit.SECONDS), THREADS);
            final org.softclan.vmmc.Connection s = l.accept(5, TimeUnit.SECONDS);
            final RpcClient c = connecting.get(5, TimeUnit.SECONDS);
            final CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
                final long[] id = {0};
                while (id[0] == 0) {
                    s.receive((buf, off, len) -> id[0] = RpcFrameDescriptor.callId(buf, off), 1, 5, TimeUnit.SECONDS);
                }
                final net.openhft.chronicle.bytes.Bytes<?> b = net.openhft.chronicle.bytes.Bytes.allocateElasticOnHeap();
                for (final String answer : List.of("first", "second")) {
                    b.clear();
                    RpcFrameDescriptor.writeResponseHeader(b, id[0], RpcFrameDescriptor.OK);
                    Codecs.STRING.encode(answer, b);
                    assertTrue(s.offerBatched(b.bytesStore(), b.readPosition(), (int) b.readRemaining()));
                }
                s.flush();   // both at once: the caller handles them in one receive
            }, THREADS);
            try {
                assertEquals("first", c.call(ECHO, "x", 5, TimeUnit.SECONDS));
                server.get(5, TimeUnit.SECONDS);
                assertEquals(0, c.inFlight());
            } finally {
                c.close();
            }
        }
    }

    @Test
    void callbacksFromManyThreadsEachGetTheirOwnAnswerOnceAndFailuresArriveToo() throws Exception {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            final int perThread = 2000;
            final java.util.concurrent.ConcurrentHashMap<String, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
            final java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(4 * perThread);
            final List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final int thread = t;
                threads.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < perThread; i++) {
                        final String arg = thread + ":" + i;
                        final RpcCallback<String> check = (r, e) -> {
                            seen.merge(arg + "=" + (e != null ? "failed " + e.getMessage() : r), 1, Integer::sum);
                            all.countDown();
                        };
                        if (i % 2 == 0) {
                            c.callAsync(ECHO, arg, 10, TimeUnit.SECONDS, check);
                        } else {
                            c.callAsyncBatched(ECHO, arg, 10, TimeUnit.SECONDS, check);
                        }
                    }
                    c.flush();
                }, THREADS));
            }
            CompletableFuture.allOf(threads.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
            assertTrue(all.await(30, TimeUnit.SECONDS), "callbacks still missing: " + all.getCount());
            assertEquals(4 * perThread, seen.size(), "each call answered");
            for (int t = 0; t < 4; t++) {
                for (int i = 0; i < perThread; i++) {
                    assertEquals(1, seen.get(t + ":" + i + "=" + t + ":" + i), "call " + t + ":" + i + ": its own answer, once");
                }
            }
            // a handler's exception, a timeout, and a request the codec refuses
            final CompletableFuture<RpcException> failed = new CompletableFuture<>();
            c.callAsync(FAIL, "boom", 5, TimeUnit.SECONDS, (r, e) -> failed.complete(e));
            assertEquals(RpcException.Kind.REMOTE_ERROR, failed.get(5, TimeUnit.SECONDS).kind());
            final CompletableFuture<RpcException> late = new CompletableFuture<>();
            c.callAsync(SLEEP, 2000L, 50, TimeUnit.MILLISECONDS, (r, e) -> late.complete(e));
            assertEquals(RpcException.Kind.TIMEOUT, late.get(5, TimeUnit.SECONDS).kind());
            final RpcMethod<String, String> refused = RpcMethod.of(1, "echo", new Codec<>() {
                @Override
                public void encode(final String value, final net.openhft.chronicle.bytes.Bytes<?> out) {
                    throw new IllegalArgumentException("not encodable: " + value);
                }

                @Override
                public String decode(final net.openhft.chronicle.bytes.Bytes<?> in) {
                    return Codecs.STRING.decode(in);
                }
            }, Codecs.STRING);
            final boolean[] ran = {false};
            assertThrows(IllegalArgumentException.class,
                () -> c.callAsync(refused, "x", 5, TimeUnit.SECONDS, (r, e) -> ran[0] = true));
            assertEquals("after", c.call(ECHO, "after", 5, TimeUnit.SECONDS));
            assertTrue(!ran[0], "a request never sent runs no callback");
        }
    }

    @Test
    void aCallbackThatThrowsDoesNotStopTheReceivingThread() throws Exception {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context().backgroundReceiver(false), 5,
            TimeUnit.SECONDS)) {
            final java.util.concurrent.atomic.AtomicReference<Throwable> reported = new java.util.concurrent.atomic.AtomicReference<>();
            final Thread.UncaughtExceptionHandler before = Thread.currentThread().getUncaughtExceptionHandler();
            Thread.currentThread().setUncaughtExceptionHandler((t, e) -> reported.set(e));
            try {
                c.callAsync(ECHO, "a", 5, TimeUnit.SECONDS, (r, e) -> {
                    throw new IllegalStateException("a callback's fault");
                });
                final String[] second = {null};
                c.callAsync(ECHO, "b", 5, TimeUnit.SECONDS, (r, e) -> second[0] = r);
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (c.inFlight() > 0 && System.nanoTime() < deadline) {
                    c.receive(10, 100, TimeUnit.MILLISECONDS);
                }
                assertEquals("b", second[0], "the next answer was handled");
                assertEquals("a callback's fault", reported.get().getMessage(), "the fault went to the thread's handler");
            } finally {
                Thread.currentThread().setUncaughtExceptionHandler(before);
            }
        }
    }

    /**
     * A callback that sends while the server's ring is full (the server reads nothing) is not left waiting for
     * room on the receiving thread: its call fails at once as not sent (it waited out its timeout before).
     */
    @Test
    void aCallFromACallbackFindingTheRingFullFailsAtOnceAsNotSent() throws Exception {
        final Endpoint evil = fabric.openEndpoint("evil");
        try (org.softclan.vmmc.Listener l = org.softclan.vmmc.Vmmc.listen(evil, "full",
            new org.softclan.vmmc.ConnectionContext().ringCapacity(4096))) {
            final CompletableFuture<RpcClient> connecting = CompletableFuture.supplyAsync(() -> RpcClient.connect(clientEp,
                "full", new RpcClient.Context().backgroundReceiver(false), 5, TimeUnit.SECONDS), THREADS);
            final org.softclan.vmmc.Connection s = l.accept(5, TimeUnit.SECONDS);
            final RpcClient c = connecting.get(5, TimeUnit.SECONDS);
            try {
                final String big = "x".repeat(1500);
                final CompletableFuture<RpcException> inner = new CompletableFuture<>();
                c.callAsync(ECHO, "first", 30, TimeUnit.SECONDS, (r, e) ->
                    c.callAsync(ECHO, big, 30, TimeUnit.SECONDS, (r2, e2) -> inner.complete(e2)));
                c.callAsync(ECHO, big, 30, TimeUnit.SECONDS);
                c.callAsync(ECHO, big, 30, TimeUnit.SECONDS);   // the 4 KiB ring holds these; the server reads none
                // the server answers call 1 without reading anything (call ids start at 1)
                final net.openhft.chronicle.bytes.Bytes<?> b = net.openhft.chronicle.bytes.Bytes.allocateElasticOnHeap();
                RpcFrameDescriptor.writeResponseHeader(b, 1, RpcFrameDescriptor.OK);
                Codecs.STRING.encode("first", b);
                s.send(b.bytesStore(), b.readPosition(), (int) b.readRemaining(), 5, TimeUnit.SECONDS);
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!inner.isDone() && System.nanoTime() < deadline) {
                    c.receive(10, 100, TimeUnit.MILLISECONDS);
                }
                assertEquals(RpcException.Kind.NOT_SENT, inner.get(1, TimeUnit.SECONDS).kind(),
                    "the callback's call failed at once, without waiting its 30 s for room");
            } finally {
                c.close();
            }
        }
    }

    @Test
    void aThreadThatReceivesForItselfCompletesItsOwnCallsOnItsOwnThread() throws Exception {
        receiveForItself(false);
    }

    /** As above with the background receiver running too: it completes some calls, and none is lost. */
    @Test
    void aThreadThatReceivesBesideTheBackgroundReceiverLosesNoAnswer() throws Exception {
        receiveForItself(true);
    }

    private void receiveForItself(final boolean background) throws Exception {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context().backgroundReceiver(background), 5,
            TimeUnit.SECONDS)) {
            final Thread me = Thread.currentThread();
            final int calls = 20_000;
            final int[] done = {0};
            final int[] elsewhere = {0};
            final int[] wrong = {0};
            long received = 0;
            final java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
            for (int i = 0; i < calls; i++) {
                final long t0 = System.nanoTime();
                while (i - finished.get() >= 64) {
                    received += c.receive(32, 5, TimeUnit.SECONDS);
                    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "no answer for 5 s: call " + i
                        + ", " + finished.get() + " finished, in flight " + c.inFlight());
                }
                final String q = "q" + i;
                c.callAsync(ECHO, q, 5, TimeUnit.SECONDS).whenComplete((r, e) -> {
                    if (Thread.currentThread() != me) {
                        elsewhere[0]++;
                    }
                    if (!q.equals(r)) {
                        wrong[0]++;
                    }
                    done[0]++;
                    finished.incrementAndGet();
                });
            }
            final long t0 = System.nanoTime();
            while (finished.get() < calls && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10)) {
                received += c.receive(32, 1, TimeUnit.SECONDS);
            }
            assertEquals(calls, finished.get(), "calls completed");
            assertEquals(0, wrong[0], "answers to other calls");
            if (!background) {
                assertEquals(0, elsewhere[0], "completions on another thread");
                assertEquals(calls, received, "answers handled by receive");
            }
            assertEquals(0, c.poll(16), "nothing left to poll");
            assertEquals(0, c.inFlight());
            assertThrows(IllegalArgumentException.class, () -> c.poll(0));
        }
    }

    @Test
    void unknownMethodsAreReported() {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            final RpcException e = assertThrows(RpcException.class,
                () -> c.call(RpcMethod.of(99, "nope", Codecs.VOID, Codecs.VOID), null, 5, TimeUnit.SECONDS));
            assertEquals(RpcException.Kind.NO_SUCH_METHOD, e.kind());
            assertMentions(e, "99");
        }
    }

    @Test
    void aServerThatClosesFinishesCallsInFlightThenLaterCallsFailAsServerGone() throws Exception {
        try (RpcClient c = RpcClient.connect(clientEp, "test", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            final CompletableFuture<Long> slow = c.callAsync(SLEEP, 300L, 30, TimeUnit.SECONDS);
            assertTrue(sleeping.await(10, TimeUnit.SECONDS), "the call reached the handler");
            server.close();
            assertEquals(300L, slow.get(10, TimeUnit.SECONDS), "a graceful close answers what is running");
            final RpcException e = assertThrows(RpcException.class, () -> c.call(ECHO, "x", 5, TimeUnit.SECONDS));
            assertEquals(RpcException.Kind.SERVER_GONE, e.kind(), e.getMessage());
        }
    }
}
