package org.softclan.examples.rpc;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The {@code --name value} options of the demo mains; a mistake is a {@link UsageException}. */
final class Args {
    /** A command line the main cannot run; the message says why (exit code 2). */
    static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageException(final String message) {
            super(message);
        }
    }

    private final Map<String, String> values = new HashMap<>();
    private final boolean help;

    private Args(final boolean help) {
        this.help = help;
    }

    /**
     * @param args  the command line
     * @param known the option names it may use (each takes a value)
     */
    static Args parse(final String[] args, final List<String> known) {
        boolean help = false;
        for (final String a : args) {
            help |= "--help".equals(a) || "-h".equals(a);
        }
        final Args parsed = new Args(help);
        if (help) {
            return parsed;
        }
        for (int i = 0; i < args.length; i++) {
            final String name = args[i];
            if (!known.contains(name)) {
                throw new UsageException("unknown option '" + name + "'");
            }
            if (i + 1 >= args.length) {
                throw new UsageException("option '" + name + "' needs a value");
            }
            if (parsed.values.put(name, args[++i]) != null) {
                throw new UsageException("option '" + name + "' given twice");
            }
        }
        return parsed;
    }

    boolean help() {
        return help;
    }

    String required(final String name) {
        final String v = values.get(name);
        if (v == null) {
            throw new UsageException("option '" + name + "' is required");
        }
        return v;
    }

    String get(final String name, final String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /** {@return the strategy {@code --wait} names, or {@link org.softclan.tripwire.WaitStrategy#competitive()}} */
    org.softclan.tripwire.WaitStrategy waitStrategy() {
        final String v = values.get("--wait");
        if (v == null) {
            return org.softclan.tripwire.WaitStrategy.competitive();
        }
        try {
            return org.softclan.tripwire.WaitStrategy.named(v);
        } catch (final IllegalArgumentException e) {
            throw new UsageException("--wait: " + e.getMessage());
        }
    }

    int getInt(final String name, final int fallback, final int min) {
        final String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        final int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (final NumberFormatException e) {
            throw new UsageException("option '" + name + "' takes a number (was '" + v + "')");
        }
        if (n < min) {
            throw new UsageException("option '" + name + "' must be at least " + min + " (was " + n + ")");
        }
        return n;
    }
}
