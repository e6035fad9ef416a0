package org.softclan.cli;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code vmmc read}: imports a region from an endpoint named {@value #ENDPOINT} and prints a long or a
 * string read from it, with nothing else on the line, so scripts can use the output as it is.
 */
@Command(name = "read", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Import a region and print a long or a UTF-8 string read from it.",
        "A long at an 8-byte-aligned offset is a volatile load, otherwise a plain one; it is printed in decimal."
            + " A string is LEN bytes decoded as UTF-8, up to the first NUL byte."
    })
public final class ReadCommand implements Callable<Integer> {
    /** The name of the importing endpoint. */
    public static final String ENDPOINT = "cli-read";

    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Mixin
    RegionOptions region;

    @Mixin
    AgentOptions agent;

    @Option(names = "--offset", paramLabel = "N", required = true, order = 2, converter = Units.LongConverter.class,
        description = "Where to read, in bytes from the start of the region's data (decimal or 0x-hex).")
    long offset;

    @ArgGroup(exclusive = true, multiplicity = "1", order = 3)
    What what;

    /** What to read: exactly one of {@code --long} and {@code --string}. */
    static final class What {
        @Option(names = "--long", required = true, order = 3, description = "Read a 64-bit number.")
        boolean number;

        @Option(names = "--string", paramLabel = "LEN", required = true, order = 4,
            description = "Read LEN bytes and print them as UTF-8 text, stopping at the first NUL byte.")
        Integer length;
    }

    @Override
    public Integer call() {
        if (what.length != null && what.length < 0) {
            throw new ParameterException(spec.commandLine(), "--string LEN must not be negative (was "
                + what.length + ")");
        }
        final org.softclan.net.NicAgent link = agent.launchFor(fabric.root(), region.name, "a read");
        try {
            try (Fabric f = fabric.openExisting();
                 Endpoint ep = f.openEndpoint(ENDPOINT);
                 OutboundMapping m = ep.importRegion(region.name, region.key)) {
                final String text;
                if (what.length == null) {
                    text = Long.toString((offset & 7) == 0 ? m.getLongAcquire(offset) : m.getLong(offset));
                } else {
                    final byte[] bytes = new byte[what.length];
                    m.get(offset, bytes, 0, bytes.length);
                    int end = 0;
                    while (end < bytes.length && bytes[end] != 0) {
                        end++;
                    }
                    text = new String(bytes, 0, end, StandardCharsets.UTF_8);
                }
                spec.commandLine().getOut().println(text);
            }
        } finally {
            if (link != null) {
                link.close();
            }
        }
        return 0;
    }
}
