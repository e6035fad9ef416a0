package org.softclan.examples.stream;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.softclan.vmmc.stream.ReceiveTechnique;
import org.softclan.vmmc.stream.SendTechnique;

/**
 * The {@code --name value} options of the demo's mains (a mistake is a {@link UsageException}), and
 * the shutdown handling they share.
 */
final class DemoArgs {
    /** A command line the main cannot run; the message says why (exit code 2). */
    static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageException(final String message) {
            super(message);
        }
    }

    private final Map<String, String> values = new HashMap<>();
    private final boolean help;

    private DemoArgs(final boolean help) {
        this.help = help;
    }

    /**
     * @param args  the command line
     * @param known the option names it may use (each takes a value)
     */
    static DemoArgs parse(final String[] args, final List<String> known) {
        boolean help = false;
        for (final String a : args) {
            help |= "--help".equals(a) || "-h".equals(a);
        }
        final DemoArgs parsed = new DemoArgs(help);
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

    long getLong(final String name, final long fallback) {
        final String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (final NumberFormatException e) {
            throw new UsageException("option '" + name + "' takes a whole number (was '" + v + "')");
        }
    }

    /** {@link #parseSize(String, String, long, long)} with no upper bound. */
    static long parseSize(final String option, final String text, final long min) {
        return parseSize(option, text, min, Long.MAX_VALUE);
    }

    /**
     * Parses a size: bytes, or a number with suffix {@code k}, {@code m} or {@code g}, optionally
     * followed by {@code iB} (KiB, MiB, GiB: powers of 1024), e.g. {@code 4096}, {@code 64k},
     * {@code 512MiB}, {@code 1GiB}.
     */
    static long parseSize(final String option, final String text, final long min, final long max) {
        String s = text.trim();
        final String lower = s.toLowerCase(Locale.ROOT);
        if (lower.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        }
        long unit = 1;
        if (!s.isEmpty()) {
            switch (Character.toLowerCase(s.charAt(s.length() - 1))) {
                case 'k':
                    unit = 1L << 10;
                    break;
                case 'm':
                    unit = 1L << 20;
                    break;
                case 'g':
                    unit = 1L << 30;
                    break;
                default:
                    if (lower.endsWith("ib")) {
                        s = "";   // "iB" needs k, m or g before it
                    }
            }
            if (unit != 1) {
                s = s.substring(0, s.length() - 1);
            }
        }
        final long n;
        try {
            if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new NumberFormatException();
            }
            n = Math.multiplyExact(Long.parseLong(s), unit);
        } catch (final NumberFormatException | ArithmeticException e) {
            throw new UsageException("option '" + option + "' takes a size in bytes, or with suffix k, m, g, KiB, MiB"
                + " or GiB (was '" + text + "')");
        }
        if (n < min || n > max) {
            throw new UsageException("option '" + option + "' must be " + (max == Long.MAX_VALUE ? "at least " + min
                : "from " + min + " to " + max) + " bytes (was '" + text + "')");
        }
        return n;
    }

    static SendTechnique sendTechnique(final String name) {
        try {
            return SendTechnique.parse(name);
        } catch (final IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static ReceiveTechnique receiveTechnique(final String name) {
        try {
            return ReceiveTechnique.parse(name);
        } catch (final IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** @return an exception as one line for the user */
    static String describe(final Throwable e) {
        final String m = e.getMessage();
        if (e instanceof UnsupportedOperationException) {
            return "not supported here: " + (m != null ? m : e.toString());
        }
        return m != null && !m.isEmpty() ? m : e.toString();
    }

    /**
     * A shutdown hook for a main that streams: on Ctrl-C or SIGTERM it closes what was registered (a
     * blocked read or write then ends), and holds the JVM until the main has closed its resources
     * ({@link #done()}), at most 10 s, so that the fabric is left clean.
     */
    static final class ShutdownGuard {
        private final CountDownLatch done = new CountDownLatch(1);
        private final Thread hook;
        private volatile AutoCloseable onShutdown;

        ShutdownGuard(final String name) {
            hook = new Thread(() -> {
                final AutoCloseable c = onShutdown;
                if (c != null) {
                    try {
                        c.close();
                    } catch (final Exception ignored) {
                        // the main reports what failed
                    }
                }
                try {
                    done.await(10, TimeUnit.SECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, name);
            Runtime.getRuntime().addShutdownHook(hook);
        }

        /** @param c what to close on Ctrl-C or SIGTERM (replaces the previous one) */
        void closeOnShutdown(final AutoCloseable c) {
            onShutdown = c;
        }

        /** The main has closed everything: the JVM may exit. */
        void done() {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // the hook is running: it returns now
            }
        }
    }
}
