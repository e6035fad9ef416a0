package org.softclan.net;

import java.util.concurrent.TimeUnit;
import org.softclan.dsm.testing.JvmProcess;

/**
 * A first look at round trips between two hosts ({@link TwoHosts}), by hand, not a test: a
 * tripwire-signalled 8-byte write through the NIC agents (host b writes into a region of a, a's tripwire
 * fires, a's echo writes the value back into b's region, b's tripwire fires), raw Aeron UDP with the same
 * threading, raw Aeron UDP with the program's thread driving the driver (one thread per host), and TCP, each in fresh JVMs, in {@code args[0]} rounds (default 3) of {@code args[1]} round
 * trips (default 20 000) after 5 000 of warm-up.
 */
public final class TwoHostPingMain {
    private TwoHostPingMain() {
    }

    private static String ok(final JvmProcess p, final String command) throws InterruptedException {
        p.send(command);
        while (true) {
            final String l = p.expectLine("", 300, TimeUnit.SECONDS);
            if (l.startsWith("OK")) {
                return l.substring(Math.min(3, l.length()));
            }
            if (l.startsWith("ERR")) {
                throw new IllegalStateException(command + ": " + l);
            }
        }
    }

    public static void main(final String[] args) throws Exception {
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        final String n = args.length > 1 ? args[1] : "20000";
        final String warm = "5000";
        for (int r = 1; r <= rounds; r++) {
            final String[] kinds = args.length > 2 ? args[2].split(",")
                : new String[] {"link", "link-invoker", "aeron", "aeron-inline", "tcp"};
            for (final String kind : kinds) {
                try (TwoHosts hosts = new TwoHosts()) {
                    if (r == 1 && kind.equals("link")) {
                        System.out.println("hosts: " + hosts.describe());
                    }
                    final JvmProcess a = hosts.start(0, HostMain.class);
                    final JvmProcess b = hosts.start(1, HostMain.class);
                    a.expectLine("READY", 60, TimeUnit.SECONDS);
                    b.expectLine("READY", 60, TimeUnit.SECONDS);
                    final String result;
                    switch (kind) {
                        case "link", "link-invoker" -> {
                            final String mode = kind.equals("link") ? "" : " invoker";
                            ok(a, "agent a " + hosts.address(0, 40_500) + " b=" + hosts.address(1, 40_500) + " 5000" + mode);
                            ok(b, "agent b " + hosts.address(1, 40_500) + " a=" + hosts.address(0, 40_500) + " 5000" + mode);
                            ok(a, "export ping 4096 0");
                            ok(b, "export pong 4096 0");
                            ok(a, "import pong@b 0");
                            ok(b, "import ping@a 0");
                            ok(a, "echo ping pong@b");
                            result = ok(b, "ping pong ping@a " + n + " " + warm);
                        }
                        case "aeron", "aeron-inline" -> {
                            final String inline = kind.equals("aeron") ? "" : " inline";
                            ok(a, "aeronEcho " + hosts.address(0, 40_600) + " " + hosts.address(1, 40_600) + inline);
                            result = ok(b, "aeronPing " + hosts.address(1, 40_600) + " " + hosts.address(0, 40_600) + " "
                                + n + " " + warm + inline);
                        }
                        case "conn", "conn-drive", "conn-invoker", "conn-yield" -> {
                            // an 8-byte echo through a Connection: duty threads and default waits; duty threads and
                            // waits that drive the agent for 1 ms; no duty threads, waits that drive throughout
                            final String mode = kind.equals("conn-invoker") ? " invoker"
                                : kind.equals("conn-yield") ? " idle=100:2000:1000:100000" : "";
                            final String drive = kind.equals("conn") || kind.equals("conn-yield") ? "" : " 1000000";
                            ok(a, "agent a " + hosts.address(0, 40_500) + " b=" + hosts.address(1, 40_500) + " 5000" + mode);
                            ok(b, "agent b " + hosts.address(1, 40_500) + " a=" + hosts.address(0, 40_500) + " 5000" + mode);
                            ok(a, "listen echo" + drive);
                            ok(b, "connect echo@a" + drive);
                            if (kind.equals("conn-invoker")) {
                                ok(a, "nodriver");
                            }
                            ok(b, "cecho " + warm + " 8");
                            result = ok(b, "cecho " + n + " 8");
                        }
                        default -> {
                            ok(a, "tcpEcho 40700");
                            result = ok(b, "tcpPing " + hosts.address(0, 40_700).split(":")[0] + " 40700 " + n + " " + warm);
                        }
                    }
                    System.out.println("round " + r + " " + kind + " " + result);
                }
            }
        }
    }
}
