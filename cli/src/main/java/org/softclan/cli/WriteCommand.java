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
import picocli.CommandLine.Spec;

/**
 * {@code vmmc write}: imports a region from an endpoint named {@value #ENDPOINT} and stores a long or
 * a string into it.
 */
@Command(name = "write", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Import a region and write a long or a UTF-8 string into it.",
        "A long at an 8-byte-aligned offset is a volatile store, otherwise a plain one; a string is one bulk"
            + " plain store of its UTF-8 bytes (no terminator)."
    })
public final class WriteCommand implements Callable<Integer> {
    /** The name of the importing endpoint. */
    public static final String ENDPOINT = "cli-write";

    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Mixin
    RegionOptions region;

    @Mixin
    AgentOptions agent;

    @Option(names = "--offset", paramLabel = "N", required = true, order = 2, converter = Units.LongConverter.class,
        description = "Where to write, in bytes from the start of the region's data (decimal or 0x-hex).")
    long offset;

    @ArgGroup(exclusive = true, multiplicity = "1", order = 3)
    Value value;

    /** What to write: exactly one of {@code --long} and {@code --string}. */
    static final class Value {
        @Option(names = "--long", paramLabel = "VALUE", required = true, order = 3,
            converter = Units.LongConverter.class,
            description = "Write this 64-bit number (decimal or 0x-hex).")
        Long number;

        @Option(names = "--string", paramLabel = "TEXT", required = true, order = 4,
            description = "Write the UTF-8 bytes of this text.")
        String text;
    }

    @Override
    public Integer call() {
        final org.softclan.net.NicAgent link = agent.launchFor(fabric.root(), region.name, "a write");
        try {
            try (Fabric f = fabric.openExisting();
                 Endpoint ep = f.openEndpoint(ENDPOINT);
                 OutboundMapping m = ep.importRegion(region.name, region.key)) {
                final String what;
                if (value.number != null) {
                    final boolean aligned = (offset & 7) == 0;
                    if (aligned) {
                        m.putLongVolatile(offset, value.number);
                    } else {
                        m.putLong(offset, value.number);
                    }
                    what = "long " + value.number + " (8 bytes, " + (aligned ? "volatile" : "plain") + " store)";
                } else {
                    final byte[] bytes = value.text.getBytes(StandardCharsets.UTF_8);
                    m.put(offset, bytes);
                    what = "string \"" + value.text + "\" (" + bytes.length + " UTF-8 bytes)";
                }
                spec.commandLine().getOut().println("wrote " + what + " at offset " + offset + " of region '"
                    + m.regionName() + "' (" + m.size() + " bytes, generation " + m.generation() + ") in fabric "
                    + f.root());
            }
        } finally {
            if (link != null) {
                link.close();
            }
        }
        return 0;
    }
}
