package org.softclan.cli;

import picocli.CommandLine.Option;

/** The {@code --region NAME} and {@code --key KEY} options of the commands that export or import. */
public final class RegionOptions {
    @Option(names = "--region", paramLabel = "NAME", required = true, order = 1,
        description = "The region's name: 1 to 100 of A-Z a-z 0-9 . _ -")
    String name;

    @Option(names = "--key", paramLabel = "KEY", order = 9, defaultValue = "0", converter = Units.KeyConverter.class,
        description = "The region's access key: a 64-bit number, decimal or 0x-hex. Default: ${DEFAULT-VALUE}"
            + " (no key).")
    long key;
}
