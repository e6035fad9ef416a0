package org.softclan.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code vmmc watch}: imports a region from an endpoint named {@value #ENDPOINT}, arms a tripwire on a
 * range of it, and prints one line per event until {@code --count} events or Ctrl-C. Writes from any
 * other process ({@code vmmc write}, a program) fire it.
 */
@Command(name = "watch", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Arm a tripwire on a region and print one line per event: a write from any process that lands in the"
            + " range fires it.",
        "Each line: the event's sequence number, the tripwire id, the offset and length of the write, and the"
            + " 64-bit value now at the tripwire's offset."
    })
public final class WatchCommand implements Callable<Integer> {
    /** The name of the watching endpoint. */
    public static final String ENDPOINT = "cli-watch";

    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Mixin
    RegionOptions region;

    @Option(names = "--offset", paramLabel = "N", required = true, order = 2, converter = Units.LongConverter.class,
        description = "First watched byte, from the start of the region's data (decimal or 0x-hex).")
    long offset;

    @Option(names = "--length", paramLabel = "L", order = 3, converter = Units.LongConverter.class,
        description = "Watched bytes. Default: 8.")
    long length = 8;

    @Option(names = "--count", paramLabel = "K", order = 4,
        description = "Stop after K events. Default: run until Ctrl-C.")
    Long count;

    @Option(names = "--mode", paramLabel = "MODE", order = 5,
        description = "one-shot (disarms itself when it fires; re-armed after each printed event) or persistent"
            + " (fires on every write). Default: persistent.")
    String mode = "persistent";

    @Override
    public Integer call() throws InterruptedException {
        final boolean oneShot;
        switch (mode) {
            case "one-shot":
                oneShot = true;
                break;
            case "persistent":
                oneShot = false;
                break;
            default:
                throw new ParameterException(spec.commandLine(), "--mode must be one-shot or persistent (was '"
                    + mode + "')");
        }
        if (count != null && count <= 0) {
            throw new ParameterException(spec.commandLine(), "--count must be positive (was " + count + ")");
        }
        if (length <= 0) {
            throw new ParameterException(spec.commandLine(), "--length must be positive (was " + length + ")");
        }
        if (region.name.indexOf('@') >= 0) {
            throw new CliException("'" + region.name + "' is a region of another host: watch it on its own host (vmmc"
                + " watch --region " + region.name.substring(0, region.name.indexOf('@')) + " there); tripwires are"
                + " armed where the region's memory is, and a write from any host fires them there");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(stopped::countDown, "vmmc-watch-stop");
        try (Fabric f = fabric.openExisting();
             Endpoint ep = f.openEndpoint(ENDPOINT);
             TripwireUnit unit = TripwireUnit.open(ep)) {
            final OutboundMapping m = ep.importRegion(region.name, region.key);
            final Tripwire.Options options = Tripwire.Options.at(offset, length);
            if (oneShot) {
                options.oneShot();
            }
            final Tripwire t = unit.arm(m, options);
            out.println("watching region '" + region.name + "' bytes " + offset + ".." + (offset + length - 1)
                + " with " + mode + " tripwire " + t.id() + (count == null ? "; Ctrl-C to stop" : " for " + count
                + " event(s)"));
            out.flush();
            Runtime.getRuntime().addShutdownHook(hook);
            long seen = 0;
            while (stopped.getCount() > 0 && (count == null || seen < count)) {
                if (!m.isValid()) {
                    throw new CliException("region '" + region.name + "' was removed or re-created by its owner");
                }
                if (!unit.events().await(WaitStrategy.competitive(), 200, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                final long limit = count == null ? Integer.MAX_VALUE : Math.min(Integer.MAX_VALUE, count - seen);
                seen += unit.events().poll((seq, id, cookie, regionId, off, len, value) -> {
                    // read from the region, not taken from the event: an event's value is what its poster wrote
                    // into the queue, and another process can post one (the library checks its tripwire and
                    // range, not the value)
                    final long now = offset + 8 > m.size() ? value
                        : (offset & 7) == 0 ? m.getLongAcquire(offset) : m.getLong(offset);
                    out.println("event " + seq + ": tripwire " + id + " fired by a write of " + len + " bytes at offset "
                        + off + "; value at offset " + offset + " is now " + now);
                }, (int) limit);
                out.flush();
                if (oneShot) {
                    t.rearm();
                }
            }
            return 0;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running
            }
        }
    }
}
