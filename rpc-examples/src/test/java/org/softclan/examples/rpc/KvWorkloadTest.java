package org.softclan.examples.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.rpc.Codec;
import org.softclan.vmmc.rpc.RpcClient;
import org.softclan.vmmc.rpc.RpcException;
import org.softclan.vmmc.rpc.RpcServer;

/**
 * The client's checks, in one JVM: against a correct store every answer is right; against stores that
 * get one kind of call wrong, the workload stops at the first wrong answer and names it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KvWorkloadTest {
    private Fabric fabric;
    private Endpoint serverEp;
    private Endpoint clientEp;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        serverEp = fabric.openEndpoint("server");
        clientEp = fabric.openEndpoint("client");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @SuppressWarnings("try") // the server is held open only for the duration of the calls
    private KvWorkload.Result runAgainst(final KvStore store, final int calls, final int threads, final StringWriter out) {
        try (KvServer server = KvServer.start(serverEp, "kv", new RpcServer.Context(), store);
             KvClient kv = KvClient.connect(clientEp, "kv", new RpcClient.Context(), 10, TimeUnit.SECONDS)) {
            return KvWorkload.run(kv, calls, threads, new PrintWriter(out, true));
        }
    }

    @Test
    void aWaitStrategyIsChosenByNameAndABadNameIsAUsageError() {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        assertEquals(2, KvClient.run(new String[] {"--fabric", "/nonexistent", "--wait", "sleepy"}, new PrintWriter(out),
            new PrintWriter(err, true)));
        assertTrue(err.toString().contains("--wait") && err.toString().contains("sleepy"), err.toString());
        assertEquals(2, KvServer.run(new String[] {"--fabric", "/nonexistent", "--wait", "competitive:x"},
            new PrintWriter(out), new PrintWriter(err, true)));
        assertTrue(err.toString().contains("competitive:x"), err.toString());
    }

    @Test
    void aCorrectStoreGetsEveryAnswerRight() {
        final StringWriter out = new StringWriter();
        final KvWorkload.Result r = runAgainst(new KvStore(), 2000, 2, out);
        assertTrue(r.allCorrect(), r::firstWrong);
        assertEquals(2000, r.timedCalls());
        assertEquals(2000, r.latency().getTotalCount());
        assertTrue(r.latency().getValueAtPercentile(50) > 0);
        assertTrue(r.callsPerSecond() > 0);
        // the scripted part, 2000 timed calls and 400 warm-up calls, each one answer
        assertTrue(r.answers() > 2400 + 300, () -> "answers " + r.answers());
        assertTrue(out.toString().startsWith("scripted: "), out::toString);
    }

    /** Runs the workload against a store that answers some calls of {@code method} wrong. */
    private KvWorkload.Result faulty(final String method, final Supplier<KvStore> store) {
        final StringWriter out = new StringWriter();
        final KvWorkload.Result r = runAgainst(store.get(), 1000, 1, out);
        assertFalse(r.allCorrect(), method + ": the workload should have caught it");
        assertTrue(r.firstWrong().startsWith(method + "("), r.firstWrong());
        return r;
    }

    @Test
    void aWrongGetIsCaughtAndNamed() {
        final KvWorkload.Result r = faulty("get", () -> new KvStore() {
            @Override
            public String get(final String key) {
                final String v = super.get(key);
                return key.endsWith("user/042") ? v + "!" : v;
            }
        });
        assertTrue(r.firstWrong().contains("user/042") && r.firstWrong().contains("returned \"v1-42!\", expected"
            + " \"v1-42\""), r.firstWrong());
    }

    @Test
    void aPutThatForgetsThePreviousValueIsCaught() {
        final KvWorkload.Result r = faulty("put", () -> new KvStore() {
            @Override
            public String put(final String key, final String value) {
                super.put(key, value);
                return null;
            }
        });
        assertTrue(r.firstWrong().contains("returned null, expected \"v1-0\""), r.firstWrong());
    }

    @Test
    void aDeleteThatLiesIsCaught() {
        final KvWorkload.Result r = faulty("delete", () -> new KvStore() {
            @Override
            public boolean delete(final String key) {
                super.delete(key);
                return true;
            }
        });
        assertTrue(r.firstWrong().contains("returned true, expected false"), r.firstWrong());
    }

    @Test
    void aScanThatLosesAnEntryIsCaught() {
        final KvWorkload.Result r = faulty("scan", () -> new KvStore() {
            @Override
            public List<KvEntry> scan(final String prefix) {
                final List<KvEntry> all = new ArrayList<>(super.scan(prefix));
                if (all.size() > 1) {
                    all.remove(all.size() / 2);
                }
                return all;
            }
        });
        assertTrue(r.firstWrong().contains("expected ["), r.firstWrong());
    }

    @Test
    void aStoreThatAcceptsNullValuesIsCaught() {
        final KvWorkload.Result r = faulty("put", () -> new KvStore() {
            @Override
            public String put(final String key, final String value) {
                return value == null ? null : super.put(key, value);
            }
        });
        assertTrue(r.firstWrong().contains(", null) returned an answer; expected a handler error"), r.firstWrong());
    }

    @Test
    void theTimedLoopIsCheckedToo() {
        final KvWorkload.Result r = faulty("get", () -> new KvStore() {
            @Override
            public String get(final String key) {
                final String v = super.get(key);
                return key.contains("/t0/") && v != null && v.endsWith("7") ? "stale" : v;
            }
        });
        assertTrue(r.firstWrong().contains("/t0/k") && r.firstWrong().contains("returned \"stale\""), r.firstWrong());
    }

    @Test
    void callsTheServerRejectsFailWithTheHandlersMessage() {
        try (KvServer server = KvServer.start(serverEp, "kv", new RpcServer.Context(), new KvStore());
             KvClient kv = KvClient.connect(clientEp, "kv", new RpcClient.Context(), 10, TimeUnit.SECONDS)) {
            final RpcException e = assertThrows(RpcException.class, () -> kv.put("k", null));
            assertEquals(RpcException.Kind.REMOTE_ERROR, e.kind());
            assertTrue(e.getMessage().contains("the value is null"), e.getMessage());

            final char[] wide = new char[2000];
            Arrays.fill(wide, 'x');
            for (int i = 0; i < 200; i++) {
                kv.put("big/" + i, new String(wide));
            }
            final RpcException tooBig = assertThrows(RpcException.class, () -> kv.scan("big/"));
            assertEquals(RpcException.Kind.REMOTE_ERROR, tooBig.kind());
            assertTrue(tooBig.getMessage().contains("use a longer prefix"), tooBig.getMessage());
            assertEquals(111, kv.scan("big/1").size());   // big/1, big/10..19, big/100..199
            assertEquals(200, server.store().size());
            assertNull(kv.get("big/200"));
        }
    }

    private static <T> T roundTrip(final Codec<T> codec, final T value) {
        final Bytes<?> b = Bytes.allocateElasticOnHeap();
        codec.encode(value, b);
        final T back = codec.decode(b);
        assertEquals(0, b.readRemaining(), "the decoder read everything the encoder wrote");
        return back;
    }

    @Test
    void codecsRoundTrip() {
        for (final KvEntry e : List.of(new KvEntry("k", "v"), new KvEntry("", ""), new KvEntry("ключ", "値 ✓"),
            new KvEntry(null, null))) {
            assertEquals(e, roundTrip(KvEntry.CODEC, e));
        }
        assertEquals(true, roundTrip(KvService.BOOLEAN, true));
        assertEquals(false, roundTrip(KvService.BOOLEAN, false));
        final List<KvEntry> list = List.of(new KvEntry("a", "1"), new KvEntry("b", "2"));
        assertEquals(list, roundTrip(KvService.SCAN.response(), list));
        assertEquals(List.of(), roundTrip(KvService.SCAN.response(), List.of()));
    }
}
