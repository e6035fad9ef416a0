package org.softclan.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.softclan.dsm.stat.StatReader;
import org.softclan.dsm.stat.StatTypes;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmmc stat}: the counters and error logs of a fabric's endpoints, read from their statistics files
 * ({@link StatReader}) with no cooperation from the processes observed.
 */
@Command(name = "stat", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = {
        "Show the counters of every endpoint of a fabric, read from the statistics files the endpoints publish"
            + " every second (FABRIC/.stat): alive or dead, the age of its last publication, then one line per"
            + " counter (id, type, value, label).",
        "An endpoint killed with -9 stays listed as dead with its last figures; one closed in order is gone.",
        "'vmmc stat errors' shows the error logs: per distinct error, its count, first and last time, and text."
    })
public final class StatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Parameters(arity = "0..1", paramLabel = "errors", description = "'errors': show the error logs instead of the counters")
    String what;

    @Option(names = "--watch", arity = "0..1", paramLabel = "SECONDS", fallbackValue = "1",
        description = "Refresh in place every SECONDS (default 1) until interrupted.")
    Double watch;

    @Option(names = "--filter", paramLabel = "REGEX",
        description = "Only counters (or errors) whose label (or text), type or endpoint name matches REGEX (find, not whole match).")
    String filter;

    @Option(names = "--json", description = "One JSON document (per refresh with --watch) instead of the table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        final boolean errors;
        if (what == null) {
            errors = false;
        } else if (what.equals("errors")) {
            errors = true;
        } else {
            throw new CliException("vmmc stat takes 'errors' or nothing, not '" + what + "'");
        }
        final Pattern p;
        try {
            p = filter == null ? null : Pattern.compile(filter);
        } catch (final PatternSyntaxException e) {
            throw new CliException("--filter: not a regular expression: " + e.getDescription() + " in '" + filter + "'");
        }
        if (watch != null && !(watch > 0)) {
            throw new CliException("--watch takes a positive number of seconds, not " + watch);
        }
        final PrintWriter out = spec.commandLine().getOut();
        while (true) {
            final List<StatReader.EndpointSnapshot> all = StatReader.readAll(fabric.root());
            final String text = json ? json(all, p, errors) : errors ? errorTable(all, p) : counterTable(all, p);
            if (watch != null && !json) {
                out.print("\033[H\033[2J");   // home, clear: refreshed in place
                out.println("vmmc stat, fabric " + fabric.root() + ", " + Instant.now() + " (every " + watch + " s; Ctrl-C ends)");
            }
            out.print(text);
            out.flush();
            if (watch == null) {
                return 0;
            }
            Thread.sleep((long) (watch * 1000));
        }
    }

    private static boolean matches(final Pattern p, final String... texts) {
        if (p == null) {
            return true;
        }
        for (final String t : texts) {
            if (t != null && p.matcher(t).find()) {
                return true;
            }
        }
        return false;
    }

    private static String state(final StatReader.EndpointSnapshot s, final long now) {
        return (s.alive() ? "alive" : "DEAD") + ", last published " + Math.max(0, now - s.heartbeatMillis()) + " ms ago";
    }

    /**
     * {@return {@code text} with control characters shown as '?'}: names, labels and errors come from files any
     * peer of the fabric can write, and must not drive the terminal (escape sequences)
     */
    static String printable(final String text) {
        if (text == null) {
            return "null";
        }
        final StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) && c != '\t' ? '?' : c));
        return b.toString();
    }

    private static String heading(final StatReader.EndpointSnapshot s, final long now) {
        if (s.endpoint() == null) {
            return "? " + printable(s.file().toString()) + ": " + printable(s.problem()) + "\n";
        }
        return "endpoint '" + printable(s.endpoint()) + "' pid " + s.pid() + ", " + state(s, now)
            + (s.problem() != null ? "; file damaged: " + printable(s.problem()) : "") + "\n";
    }

    static String counterTable(final List<StatReader.EndpointSnapshot> all, final Pattern p) {
        if (all.isEmpty()) {
            return "no endpoint statistics in this fabric\n";
        }
        final long now = System.currentTimeMillis();
        final StringBuilder b = new StringBuilder();
        for (final StatReader.EndpointSnapshot s : all) {
            b.append(heading(s, now));
            final List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"  ID", "TYPE", "VALUE", "LABEL"});
            for (final StatReader.Counter c : s.counters()) {
                final String type = StatTypes.name(c.typeId());
                if (matches(p, c.label(), type, s.endpoint())) {
                    rows.add(new String[] {"  " + c.id(), type, Long.toString(c.value()), printable(c.label())});
                }
            }
            if (rows.size() > 1) {
                final java.io.StringWriter w = new java.io.StringWriter();
                RegionsCommand.printTable(new PrintWriter(w), rows);
                b.append(w);
            }
        }
        return b.toString();
    }

    static String errorTable(final List<StatReader.EndpointSnapshot> all, final Pattern p) {
        final long now = System.currentTimeMillis();
        final StringBuilder b = new StringBuilder();
        int n = 0;
        for (final StatReader.EndpointSnapshot s : all) {
            final List<StatReader.ErrorRecord> shown = new ArrayList<>();
            for (final StatReader.ErrorRecord e : s.errors()) {
                if (matches(p, e.text(), s.endpoint())) {
                    shown.add(e);
                }
            }
            if (shown.isEmpty()) {
                continue;
            }
            b.append(heading(s, now));
            for (final StatReader.ErrorRecord e : shown) {
                n++;
                b.append("  ").append(e.count()).append(" time(s), first ").append(Instant.ofEpochMilli(e.firstMillis()))
                    .append(", last ").append(Instant.ofEpochMilli(e.lastMillis())).append(":\n");
                for (final String line : e.text().split("\n")) {
                    b.append("    ").append(printable(line.stripTrailing())).append('\n');
                }
            }
        }
        if (n == 0) {
            b.append(all.isEmpty() ? "no endpoint statistics in this fabric\n" : "no errors recorded\n");
        }
        return b.toString();
    }

    static String json(final List<StatReader.EndpointSnapshot> all, final Pattern p, final boolean errors)
        throws IOException {
        final ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        final ObjectNode root = m.createObjectNode();
        root.put("time", System.currentTimeMillis());
        final ArrayNode eps = root.putArray("endpoints");
        for (final StatReader.EndpointSnapshot s : all) {
            final ObjectNode e = eps.addObject();
            e.put("endpoint", s.endpoint());
            e.put("file", s.file().toString());
            e.put("pid", s.pid());
            e.put("startMillis", s.startMillis());
            e.put("alive", s.alive());
            e.put("heartbeatMillis", s.heartbeatMillis());
            e.put("problem", s.problem());
            if (!errors) {
                final ArrayNode cs = e.putArray("counters");
                for (final StatReader.Counter c : s.counters()) {
                    final String type = StatTypes.name(c.typeId());
                    if (matches(p, c.label(), type, s.endpoint())) {
                        cs.addObject().put("id", c.id()).put("typeId", c.typeId()).put("type", type)
                            .put("label", c.label()).put("value", c.value());
                    }
                }
            } else {
                final ArrayNode es = e.putArray("errors");
                for (final StatReader.ErrorRecord r : s.errors()) {
                    if (matches(p, r.text(), s.endpoint())) {
                        es.addObject().put("count", r.count()).put("firstMillis", r.firstMillis())
                            .put("lastMillis", r.lastMillis()).put("text", r.text());
                    }
                }
            }
        }
        return m.writeValueAsString(root) + "\n";
    }
}
