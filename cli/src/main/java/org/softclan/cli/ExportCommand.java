package org.softclan.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code vmmc export}: exports a region from an endpoint named {@value #ENDPOINT} and holds it until
 * Ctrl-C (or for {@code --seconds}), then closes the endpoint, which removes the region.
 */
@Command(name = "export", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Export a region and hold it until Ctrl-C (or for --seconds), then remove it.",
        "Prints one line starting with 'ready:' once the region can be imported."
    })
public final class ExportCommand implements Callable<Integer> {
    /** The name of the endpoint that exports, recorded as the region's owner. */
    public static final String ENDPOINT = "cli-export";

    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Mixin
    RegionOptions region;

    @Option(names = "--size", paramLabel = "BYTES", required = true, order = 2, converter = Units.SizeConverter.class,
        description = "The region's size: bytes, or a number with suffix k, m or g (KiB, MiB, GiB).")
    long size;

    @Option(names = "--seconds", paramLabel = "N", order = 3,
        description = "Remove the region and exit after N seconds instead of waiting for Ctrl-C.")
    Long seconds;

    @Override
    public Integer call() throws InterruptedException {
        if (seconds != null && seconds < 0) {
            throw new ParameterException(spec.commandLine(), "--seconds must not be negative (was " + seconds + ")");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final CountDownLatch stop = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "vmmc-export-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            final String what;
            try (Fabric f = fabric.open();
                 Endpoint ep = f.openEndpoint(ENDPOINT)) {
                final InboundMapping m = ep.export(region.name, size, region.key);
                what = "region '" + m.regionName() + "' (" + m.size() + " bytes, generation " + m.generation()
                    + ") in fabric " + f.root();
                out.println("ready: " + what + "; holding "
                    + (seconds == null ? "until Ctrl-C" : "for " + seconds + " s (or until Ctrl-C)"));
                out.flush();
                if (seconds == null) {
                    stop.await();
                } else {
                    stop.await(seconds, TimeUnit.SECONDS);
                }
            }
            out.println("removed: " + what);
            out.flush();
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // the hook is what woke us: the JVM exits once it returns
            }
        }
        return 0;
    }
}
