package org.softclan.vmmc.rpc;

import java.nio.file.Paths;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;

/**
 * An RPC server run in its own JVM: serves the {@link RpcTest} methods plus {@link #RECORD}, which
 * marks its argument in a ledger region of the test's ({@code ledger} import) before answering, so
 * the test can tell which calls really ran, and {@link #SLOW_RECORD}, which marks it and then takes a
 * millisecond. args: fabricDir service [ledgerRegion [inline]]; with {@code inline} the handlers run on
 * the polling thread (which publishes their answers once per poll of a client's ring: a batch), else on
 * two workers. Prints "serving".
 */
public final class RpcServerMain {
    static final RpcMethod<Long, Long> RECORD = RpcMethod.of(10, "record", Codecs.LONG, Codecs.LONG);
    static final RpcMethod<Long, Long> SLOW_RECORD = RpcMethod.of(11, "slowRecord", Codecs.LONG, Codecs.LONG);

    private RpcServerMain() {
    }

    public static void main(final String[] args) throws Exception {
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("rpc-server")) {
            final OutboundMapping ledger = args.length > 2 ? ep.importRegion(args[2]) : null;
            final boolean inline = args.length > 3 && args[3].equals("inline");
            try (RpcServer server = RpcServer.create(ep, args[1], new RpcServer.Context().workers(inline ? 0 : 2))
                .handle(RpcTest.ECHO, s -> s)
                .handle(RpcTest.REVERSE, RpcTest::reverse)
                .handle(RpcTest.FAIL, msg -> {
                    throw new IllegalStateException(msg);
                })
                .handle(RECORD, token -> {
                    ledger.putLongVolatile(8 * token, 1);
                    return token;
                })
                .handle(SLOW_RECORD, token -> {
                    ledger.putLongVolatile(8 * token, 1);
                    try {
                        Thread.sleep(1);   // slow on purpose: a batch of answers takes long enough to be cut
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return token;
                })
                .start()) {
                System.out.println("serving " + server.clients());
                Thread.sleep(Long.MAX_VALUE); // until killed
            }
        }
    }
}
