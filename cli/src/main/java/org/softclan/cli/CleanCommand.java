package org.softclan.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.softclan.dsm.Fabric;
import org.softclan.dsm.Reclaimed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vmmc clean}: removes what dead processes left in a fabric ({@link Fabric#clean()}). */
@Command(name = "clean", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Remove what processes that are gone left in a fabric: their regions (event queues, connection rings,"
            + " listen regions included), liveness files and half-made files. A live owner's files are never"
            + " touched: an owner counts as alive while the kernel holds its liveness lock, whatever PID"
            + " namespace it runs in.",
        "Prints one line saying what was removed."
    })
public final class CleanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        if (!fabric.exists()) {
            out.println("nothing to clean in fabric " + fabric.root() + " (the directory does not exist)");
            return 0;
        }
        try (Fabric f = fabric.open()) {
            final Reclaimed r = f.clean();
            out.println("cleaned fabric " + f.root() + ": removed " + r.regions().size() + " region(s) of dead owners"
                + (r.regions().isEmpty() ? "" : " " + r.regions()) + " and " + r.files().size() + " other file(s)");
        }
        return 0;
    }
}
