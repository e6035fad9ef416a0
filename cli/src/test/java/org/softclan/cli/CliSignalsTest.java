package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;

/**
 * CLI commands stopped by SIGTERM, SIGINT and SIGHUP while they wait and while they work. Before, the
 * shutdown hook closed the listener or connection under the thread waiting in it (and the endpoint's
 * close raced the hook): {@code stream-receive} waiting for a sender died with SIGSEGV in 3 of 3 tries.
 * Now each command exits with the signal's status (128 + its number) within seconds, and no JVM leaves
 * an hs_err file.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliSignalsTest {
    private static final int SIGINT_BIT = 1 << (2 - 1);

    /** Whether this JVM ignores SIGINT (started in the background of a script): its children do too. */
    private static boolean sigintIgnoredHere() throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseLong(line.substring(7).trim(), 16) & SIGINT_BIT) != 0;
            }
        }
        return false;
    }

    /**
     * The crashed thread's part of the JVM's hs_err file, if there is one: the temporary directory goes
     * with the test, so a failure must carry what a diagnosis needs.
     */
    private static String crashReport(final Path dir, final long pid) {
        final Path log = dir.resolve("hs_err_pid" + pid + ".log");
        try {
            if (!Files.exists(log)) {
                return "";
            }
            final StringBuilder out = new StringBuilder("\n--- ").append(log).append(" (the crashed thread):\n");
            boolean in = false;
            int lines = 0;
            for (final String line : Files.readAllLines(log)) {
                if (line.startsWith("---------------  T H R E A D")) {
                    in = true;
                } else if (line.startsWith("---------------  P R O C E S S")) {
                    break;
                }
                if (in && lines++ < 120) {
                    out.append(line).append('\n');
                }
            }
            return out.toString();
        } catch (final IOException | RuntimeException e) {
            return "\n(hs_err file " + log + " could not be read: " + e + ")";
        }
    }

    private static void signal(final long pid, final String signal) throws Exception {
        final Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(pid)).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -s " + signal + " " + pid);
    }

    private static int number(final String signal) {
        return switch (signal) {
            case "HUP" -> 1;
            case "INT" -> 2;
            case "TERM" -> 15;
            default -> throw new IllegalArgumentException(signal);
        };
    }

    @ParameterizedTest
    @CsvSource({"stream-receive,waiting,TERM", "stream-receive,waiting,INT", "stream-receive,waiting,HUP",
        "stream-receive,working,TERM", "stream-receive,working,INT", "stream-receive,working,HUP",
        "rpc-server,waiting,TERM", "rpc-server,waiting,HUP", "export,waiting,TERM"})
    void aSignalEndsTheCommandWithItsStatusAndNoCrash(final String command, final String when, final String signal,
                                                       @TempDir final Path dir) throws Exception {
        if (signal.equals("INT")) {
            Assumptions.assumeFalse(sigintIgnoredHere(), "this JVM ignores SIGINT (started in the background):"
                + " so would the command");
        }
        final List<String> jvm = List.of("-Xmx128m", "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"));
        try (Fabric fabric = Fabric.createTemporary()) {
            final String root = fabric.root().toString();
            final List<String> args = new ArrayList<>(List.of(command, "--fabric", root));
            if (command.equals("export")) {
                args.addAll(List.of("--region", "held", "--size", "4096"));
            }
            try (JvmProcess cmd = JvmProcess.start(Vmmc.class, jvm, args.toArray(String[]::new))) {
                cmd.expectLine("ready", 30, TimeUnit.SECONDS);
                JvmProcess sender = null;
                try {
                    if (when.equals("working")) {
                        sender = JvmProcess.start(Vmmc.class, jvm, "stream-send", "--fabric", root, "--size", "64GiB");
                        cmd.expectLine("receiving", 30, TimeUnit.SECONDS);
                    }
                    signal(cmd.pid(), signal);
                    final int exit = cmd.waitFor(20, TimeUnit.SECONDS);
                    assertEquals(128 + number(signal), exit, () -> cmd.transcript() + crashReport(dir, cmd.pid()));
                } finally {
                    if (sender != null) {
                        sender.close();
                    }
                }
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            final List<Path> crashes = files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList();
            assertTrue(crashes.isEmpty(), "JVM crash files: " + crashes);
        }
    }
}
