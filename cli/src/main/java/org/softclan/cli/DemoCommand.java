package org.softclan.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code vmmc demo}: the home of the runnable RPC and streaming demos. They are not built yet; each
 * will come as a subcommand of this one (added to {@code subcommands} below).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    description = "Run the RPC and streaming demos (not built yet).")
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println("The RPC and streaming demos are not built yet; they come with later"
            + " work. Meanwhile try 'vmmc export', 'vmmc write', 'vmmc read' and 'vmmc regions'.");
        return 0;
    }
}
