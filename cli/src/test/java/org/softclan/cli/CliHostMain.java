package org.softclan.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One "host" of the CLI's two-host walk-through: {@code vmmc} commands, one per line on stdin, run in this
 * JVM with {@code {fabric}} replaced by this host's fabric (under {@code args[0]}, a directory only this host
 * sees). {@code bg ARGS...} runs one on a thread of its own (an agent, an export: they run until killed);
 * {@code run ARGS...} runs one and then prints {@code DONE rc=N}. The commands' output goes to stdout.
 */
public final class CliHostMain {
    private CliHostMain() {
    }

    public static void main(final String[] args) throws Exception {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        final Path root = Path.of(args[0]).resolve("fabric");
        Files.createDirectories(root);
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("READY");
        String line;
        while ((line = in.readLine()) != null) {
            final String[] c = line.trim().replace("{fabric}", root.toString()).split(" ");
            final String[] command = java.util.Arrays.copyOfRange(c, 1, c.length);
            if (c[0].equals("bg")) {
                final Thread t = new Thread(() -> Vmmc.commandLine().execute(command), "vmmc-" + command[0]);
                t.setDaemon(true);
                t.start();
            } else {
                final int rc = Vmmc.commandLine().execute(command);
                System.out.println("DONE rc=" + rc);
            }
        }
    }
}
