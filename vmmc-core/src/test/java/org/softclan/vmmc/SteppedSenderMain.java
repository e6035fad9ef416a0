package org.softclan.vmmc;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.TripwireUnit;

/**
 * A sender run in its own JVM that sends in steps, so a test can change the world between two of them
 * while the sender is idle.
 *
 * <pre>
 *   args: fabricDir service perStep
 *   connects, prints "connected", then for each line "send" on standard input sends perStep messages
 *   (MqSenderMain.message(1, i)) and prints "sent N" (N: messages sent so far); ends on "close" or the
 *   end of standard input, closing the connection
 * </pre>
 */
public final class SteppedSenderMain {
    private SteppedSenderMain() {
    }

    public static void main(final String[] args) throws Exception {
        final int perStep = Integer.parseInt(args[2]);
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("stepped-sender");
             TripwireUnit unit = TripwireUnit.open(ep, new TripwireUnit.Context().queueCapacity(1024));
             Connection c = Vmmc.connect(ep, args[1], new ConnectionContext().unit(unit).ringCapacity(1 << 20), 30,
                 TimeUnit.SECONDS)) {
            System.out.println("connected");
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            long i = 0;
            for (String line = in.readLine(); line != null && line.equals("send"); line = in.readLine()) {
                for (int k = 0; k < perStep; k++, i++) {
                    final byte[] m = MqSenderMain.message(1, i);
                    c.send(m, 0, m.length, 30, TimeUnit.SECONDS);
                }
                System.out.println("sent " + i);
            }
        }
    }
}
