package org.softclan.vmmc.rpc;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * An RPC client run in its own JVM: T threads each make N calls (echo of a unique string, reverse of
 * random bytes, now and then a failing call), checking every answer. Prints "ok CALLS" or "wrong ...".
 * args: fabricDir service threads calls
 */
public final class RpcClientMain {
    private RpcClientMain() {
    }

    public static void main(final String[] args) throws Exception {
        final int threads = Integer.parseInt(args[2]);
        final int calls = Integer.parseInt(args[3]);
        final long pid = ProcessHandle.current().pid();
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("rpc-client");
             RpcClient client = RpcClient.connect(ep, args[1], new RpcClient.Context(), 30, TimeUnit.SECONDS)) {
            final AtomicLong ok = new AtomicLong();
            final List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int thread = t;
                all.add(CompletableFuture.runAsync(() -> {
                    final Random rnd = new Random(thread);
                    for (int i = 0; i < calls; i++) {
                        if (i % 50 == 49) {
                            try {
                                client.call(RpcTest.FAIL, "no " + i, 30, TimeUnit.SECONDS);
                                throw new AssertionError("call " + i + " should have failed");
                            } catch (final RpcException e) {
                                if (e.kind() != RpcException.Kind.REMOTE_ERROR || !e.getMessage().contains("no " + i)) {
                                    throw new AssertionError("wrong error for call " + i + ": " + e.getMessage());
                                }
                            }
                        } else if (i % 2 == 0) {
                            final String s = pid + "/" + thread + "/" + i;
                            final String r = client.call(RpcTest.ECHO, s, 30, TimeUnit.SECONDS);
                            if (!s.equals(r)) {
                                throw new AssertionError("echo of " + s + " returned " + r);
                            }
                        } else {
                            final byte[] b = new byte[rnd.nextInt(2048)];
                            rnd.nextBytes(b);
                            if (!java.util.Arrays.equals(RpcTest.reverse(b), client.call(RpcTest.REVERSE, b, 30,
                                TimeUnit.SECONDS))) {
                                throw new AssertionError("reverse of " + b.length + " bytes came back wrong");
                            }
                        }
                        ok.incrementAndGet();
                    }
                }));
            }
            try {
                CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(120, TimeUnit.SECONDS);
                System.out.println("ok " + ok.get());
            } catch (final Exception e) {
                System.out.println("wrong " + (e.getCause() != null ? e.getCause() : e));
            }
        }
    }
}
