package org.softclan.vmmc.rpc;

import java.nio.file.Paths;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;

/**
 * An RPC server run in its own JVM: serves the {@link RpcTest} methods plus {@link #RECORD}, which
 * marks its argument in a ledger region of the test's ({@code ledger} import) before answering, so
 * the test can tell which calls really ran. args: fabricDir service [ledgerRegion]. Prints "serving".
 */
public final class RpcServerMain {
    static final RpcMethod<Long, Long> RECORD = RpcMethod.of(10, "record", Codecs.LONG, Codecs.LONG);

    private RpcServerMain() {
    }

    public static void main(final String[] args) throws Exception {
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("rpc-server")) {
            final OutboundMapping ledger = args.length > 2 ? ep.importRegion(args[2]) : null;
            try (RpcServer server = RpcServer.create(ep, args[1], new RpcServer.Context().workers(2))
                .handle(RpcTest.ECHO, s -> s)
                .handle(RpcTest.REVERSE, RpcTest::reverse)
                .handle(RpcTest.FAIL, msg -> {
                    throw new IllegalStateException(msg);
                })
                .handle(RECORD, token -> {
                    ledger.putLongVolatile(8 * token, 1);
                    return token;
                })
                .start()) {
                System.out.println("serving " + server.clients());
                Thread.sleep(Long.MAX_VALUE); // until killed
            }
        }
    }
}
