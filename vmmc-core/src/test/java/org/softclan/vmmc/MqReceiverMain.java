package org.softclan.vmmc;

import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/** Listens on a name, accepts one connection and never reads it (args: fabricDir service). */
public final class MqReceiverMain {
    private MqReceiverMain() {
    }

    public static void main(final String[] args) throws Exception {
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("receiver");
             Listener listener = Vmmc.listen(ep, args[1], new ConnectionContext().ringCapacity(4096))) {
            System.out.println("listening");
            final Connection c = listener.accept(60, TimeUnit.SECONDS);
            System.out.println("accepted " + (c != null));
            Thread.sleep(120_000); // holds the connection until killed
        }
    }
}
