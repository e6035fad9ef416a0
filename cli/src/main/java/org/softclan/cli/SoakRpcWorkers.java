package org.softclan.cli;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.rpc.Codecs;
import org.softclan.vmmc.rpc.RpcClient;
import org.softclan.vmmc.rpc.RpcException;
import org.softclan.vmmc.rpc.RpcMethod;
import org.softclan.vmmc.rpc.RpcServer;

/**
 * The RPC workers of {@code vmmc soak}: a server with an echo method, and a client that calls it
 * synchronously and asynchronously (four in flight now and then) with random payloads and checks that
 * every answer is its own argument.
 */
final class SoakRpcWorkers {
    /** The echo method. */
    static final RpcMethod<byte[], byte[]> ECHO = RpcMethod.of(1, "echo", Codecs.BYTES, Codecs.BYTES);
    /** Timeout of each call. */
    static final long CALL_MS = 5_000;

    private SoakRpcWorkers() {
    }

    static String server(final SoakWorker w, final Path dir, final String service, final long seed) throws Exception {
        w.line("exporting");
        try (Fabric fabric = Fabric.open(dir);
             Endpoint ep = fabric.openEndpoint("soak-rpc-server");
             RpcServer server = RpcServer.create(ep, service, new RpcServer.Context().workers((int) (seed & 1) * 2))
                 .handle(ECHO, b -> {
                     w.stat("served").incrementAndGet();
                     return b;
                 })
                 .start()) {
            w.line("ready");
            while (!w.stopping()) {
                w.pause(10);
                final int clients = server.clients();
                w.stat("clients").set(clients);
                if (clients > 0) {
                    w.stat("had-client").set(1);
                }
                // a client was there and its connection is gone: the server noticed
                if (clients == 0 && (w.stat("served").get() > 0 || w.stat("had-client").get() > 0)) {
                    return "peer-gone";
                }
            }
            return "stopped";
        }
    }

    static String client(final SoakWorker w, final Path dir, final String service, final long seed) throws Exception {
        try (Fabric fabric = Fabric.open(dir);
             Endpoint ep = fabric.openEndpoint("soak-rpc-client")) {
            w.line("connecting");
            final long t0 = System.nanoTime();
            final RpcClient client = RpcClient.connect(ep, service, new RpcClient.Context(), 10, TimeUnit.SECONDS);
            w.timed("connect", t0, 10_000 + SoakWorker.GRACE_MS);
            w.line("connected");
            final long[] closedAt = new long[1];
            w.onCloseUnderWaiter(() -> {
                closedAt[0] = System.nanoTime();
                client.close();
            });
            try (client) {
                final SplittableRandom rnd = new SplittableRandom(seed);
                long n = 0;
                int failedInARow = 0;
                while (!w.stopping()) {
                    n++;
                    try {
                        if (n % 16 == 0) {
                            callFour(w, client, rnd, n);
                        } else {
                            final byte[] arg = argument(rnd, n);
                            w.stat("calls").incrementAndGet();
                            final long c0 = System.nanoTime();
                            final byte[] answer = client.call(ECHO, arg, CALL_MS, TimeUnit.MILLISECONDS);
                            w.timed("call", c0, CALL_MS + SoakWorker.GRACE_MS);
                            check(w, arg, answer);
                        }
                        failedInARow = 0;
                    } catch (final RuntimeException e) {
                        if (closedAt[0] != 0) {
                            // closed by another thread of this JVM while this one called: it must leave
                            w.line("cuw ms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt[0]));
                            w.timed("call-after-close", closedAt[0], 2_000 + SoakWorker.GRACE_MS);
                            return "closed-under-waiter";
                        }
                        if (!(e instanceof RpcException)) {
                            throw e;
                        }
                        switch (((RpcException) e).kind()) {
                            case SERVER_GONE:
                                return "peer-gone";
                            case TIMEOUT:
                                w.stat("timeouts").incrementAndGet();
                                break;
                            default:
                                w.stat("failed").incrementAndGet();
                                if (++failedInARow > 100) {
                                    throw e;
                                }
                        }
                    }
                    if (n % 16 == 0) {
                        w.pause(1);
                    }
                }
                return "stopped";
            }
        }
    }

    private static void callFour(final SoakWorker w, final RpcClient client, final SplittableRandom rnd, final long n)
        throws InterruptedException {
        final List<byte[]> args = new ArrayList<>();
        final List<CompletableFuture<byte[]>> calls = new ArrayList<>();
        final long c0 = System.nanoTime();
        for (int i = 0; i < 4; i++) {
            final byte[] arg = argument(rnd, n * 4 + i);
            args.add(arg);
            w.stat("calls").incrementAndGet();
            calls.add(client.callAsync(ECHO, arg, CALL_MS, TimeUnit.MILLISECONDS));
        }
        RpcException failure = null;
        for (int i = 0; i < 4; i++) {
            try {
                check(w, args.get(i), calls.get(i).get(CALL_MS + SoakWorker.GRACE_MS, TimeUnit.MILLISECONDS));
            } catch (final ExecutionException e) {
                if (e.getCause() instanceof RpcException) {
                    failure = (RpcException) e.getCause();
                } else {
                    w.error("async call", e.getCause());
                }
            } catch (final TimeoutException e) {
                w.stat("async-never-completed").incrementAndGet();
            }
        }
        w.timed("async-calls", c0, CALL_MS + SoakWorker.GRACE_MS);
        if (failure != null) {
            throw failure;
        }
    }

    private static byte[] argument(final SplittableRandom rnd, final long n) {
        final byte[] arg = new byte[8 + (rnd.nextInt(8) == 0 ? rnd.nextInt(16_000) : rnd.nextInt(256))];
        ByteBuffer.wrap(arg).putLong(n);
        for (int i = 8; i < arg.length; i++) {
            arg[i] = (byte) rnd.nextInt();
        }
        return arg;
    }

    private static void check(final SoakWorker w, final byte[] arg, final byte[] answer) {
        w.stat("answered").incrementAndGet();
        if (!Arrays.equals(arg, answer)) {
            w.stat("wrong").incrementAndGet();
        }
    }
}
