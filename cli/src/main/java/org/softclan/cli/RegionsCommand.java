package org.softclan.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.softclan.dsm.Fabric;
import org.softclan.dsm.RegionInfo;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vmmc regions}: lists a fabric's regions as a table. */
@Command(name = "regions", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "List the regions in a fabric as a table.",
        "Columns: name, size in bytes, owner (endpoint@pid), generation, state (creating, active or revoked)"
            + " and whether the owning process is still alive.",
        "The library's own regions (event queues, connection rings, listen regions) are hidden unless --all.",
        "With --remote HOST: the regions another host's agent serves to this host."
    })
public final class RegionsCommand implements Callable<Integer> {
    private static final String[] HEADINGS = {"NAME", "SIZE", "OWNER", "GENERATION", "STATE", "OWNER ALIVE"};

    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Option(names = "--all", description = "Also list the library's internal regions, with a column saying which.")
    boolean all;

    @Option(names = "--remote", paramLabel = "HOST",
        description = "List the regions host HOST serves to this one (its agent's answer: NAME@HOST, size,"
            + " generation), this process acting as this host's agent (--host, --listen, --peer).")
    String remote;

    @Mixin
    AgentOptions agent;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        if (remote != null) {
            try (org.softclan.net.NicAgent a = agent.launch(fabric.root(), "a listing of host '" + remote + "''s regions")) {
                final List<org.softclan.net.NicAgent.RemoteRegionInfo> list = a.regionsOf(remote);
                if (list.isEmpty()) {
                    out.println("host '" + remote + "' serves no regions");
                    return 0;
                }
                final List<String[]> rows = new ArrayList<>();
                rows.add(new String[] {"NAME", "SIZE", "GENERATION"});
                for (final org.softclan.net.NicAgent.RemoteRegionInfo r : list) {
                    rows.add(new String[] {r.name() + "@" + r.host(), Long.toString(r.size()), Long.toString(r.generation())});
                }
                printTable(out, rows);
                return 0;
            }
        }
        if (agent.given()) {
            throw new CliException("--host, --listen and --peer are for --remote HOST");
        }
        if (!fabric.exists()) {
            out.println("no regions in fabric " + fabric.root() + " (the directory does not exist)");
            return 0;
        }
        final List<RegionInfo> regions;
        try (Fabric f = fabric.open()) {
            regions = f.regions(all);
        }
        if (regions.isEmpty()) {
            out.println("no regions in fabric " + fabric.root());
            return 0;
        }
        final List<String[]> rows = new ArrayList<>();
        rows.add(all ? withInternal(HEADINGS, "INTERNAL") : HEADINGS);
        for (final RegionInfo r : regions) {
            final String[] row = {
                r.name(), Long.toString(r.size()), r.owner().toString(), Long.toString(r.generation()), r.state(),
                r.ownerAlive() ? "yes" : "no"
            };
            rows.add(all ? withInternal(row, r.internal() ? "yes" : "no") : row);
        }
        printTable(out, rows);
        return 0;
    }

    private static String[] withInternal(final String[] row, final String internal) {
        final String[] r = java.util.Arrays.copyOf(row, row.length + 1);
        r[row.length] = internal;
        return r;
    }

    /** Prints rows in columns, each as wide as its widest cell, separated by two spaces. */
    static void printTable(final PrintWriter out, final List<String[]> rows) {
        final int[] width = new int[rows.get(0).length];
        for (final String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        for (final String[] row : rows) {
            final StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                line.append(row[c]);
                if (c < row.length - 1) {
                    line.append(" ".repeat(width[c] - row[c].length() + 2));
                }
            }
            out.println(line);
        }
    }
}
