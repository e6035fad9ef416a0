package org.softclan.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * {@code vmmc demo sockets}: H2's TCP server ({@code org.h2.tools.Server}, unchanged) and a plain JDBC
 * client ({@link SocketsDemoClient}), each in its own JVM, run twice: over loopback TCP, then with the
 * socket layer's agent in both JVMs on a fresh temporary fabric. Prints the {@code SELECT 1} round trip
 * (p50, p99) and queries per second of each run side by side; succeeds only if both runs' query results
 * are identical and the second run's connection went through shared memory (the client's counters).
 */
final class SocketsDemo {
    private final PrintWriter out;
    private final int queries;

    /** One run's figures. */
    private record Run(String result, long p50Nanos, long p99Nanos, long queriesPerSecond, Properties report) {
    }

    SocketsDemo(final PrintWriter out, final int queries) {
        this.out = out;
        this.queries = queries;
    }

    int run() throws IOException, InterruptedException {
        final Path dir = Files.createTempDirectory("vmmc-demo-sockets-");
        try {
            final Path fabric = Files.createDirectory(dir.resolve("fabric"));
            final Path agent = SocketsAgentJar.write(dir);
            out.println("H2 " + org.h2.engine.Constants.FULL_VERSION + " TCP server and a JDBC client in two JVMs, "
                + queries + " timed SELECT 1 each run");
            out.flush();
            final Run tcp = run(dir, List.of(), "tcp");
            final Run layer = run(dir, List.of("-javaagent:" + agent, "-Dsoftclan.fabric=" + fabric), "layer");
            out.printf("%-32s %10s %10s %12s%n", "", "p50 us", "p99 us", "queries/s");
            line("loopback TCP", tcp);
            line("socket layer (shared memory)", layer);
            out.printf("%-32s %10.1fx %10.1fx %11.1fx%n", "layer vs TCP", ratio(tcp.p50Nanos, layer.p50Nanos),
                ratio(tcp.p99Nanos, layer.p99Nanos), ratio(layer.queriesPerSecond, tcp.queriesPerSecond));
            final boolean same = tcp.result.equals(layer.result);
            final boolean accelerated = "1".equals(layer.report.getProperty("accelerated"));
            out.println("query results " + (same ? "identical" : "DIFFERENT: " + tcp.result + " / " + layer.result)
                + "; second run " + (accelerated ? "through shared memory ("
                + layer.report.getProperty("bytesSent") + " bytes sent, " + layer.report.getProperty("bytesReceived")
                + " received by the client)" : "NOT accelerated: " + layer.report.toString().replace('\n', ' ')));
            out.flush();
            return same && accelerated ? 0 : 1;
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double ratio(final double a, final double b) {
        return b == 0 ? Double.NaN : a / b;
    }

    private void line(final String name, final Run r) {
        out.printf("%-32s %10.2f %10.2f %12d%n", name, r.p50Nanos / 1e3, r.p99Nanos / 1e3, r.queriesPerSecond);
    }

    private Run run(final Path dir, final List<String> layer, final String tag) throws IOException, InterruptedException {
        final int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        final Path report = dir.resolve(tag + "-client.report");
        final List<String> jvm = new ArrayList<>(layer);
        jvm.add("-XX:+AlwaysPreTouch");
        final List<String> clientJvm = new ArrayList<>(jvm);
        if (!layer.isEmpty()) {
            clientJvm.add("-Dsoftclan.sockets.report=" + report);   // the client's counters: its one connection
        }
        out.println(tag + ": starting the server on port " + port + " and the client...");
        out.flush();
        try (ChildJvm server = ChildJvm.startWithInput("org.h2.tools.Server", jvm, List.of("-tcp", "-tcpPort",
                 Integer.toString(port), "-ifNotExists", "-baseDir", dir.resolve("db-" + tag).toString()), line -> { })) {
            if (server.awaitLine("TCP server running", 60, TimeUnit.SECONDS) == null) {
                throw new CliException("the H2 server did not start on port " + port);
            }
            try (ChildJvm client = ChildJvm.startWithInput(SocketsDemoClient.class.getName(), clientJvm,
                     List.of("jdbc:h2:tcp://localhost:" + port + "/mem:demo", Integer.toString(queries)), line -> { })) {
                final String result = client.awaitLine("RESULT ", 5, TimeUnit.MINUTES);
                final String latency = result == null ? null : client.awaitLine("LATENCY ", 10, TimeUnit.MINUTES);
                if (latency == null) {
                    throw new CliException("the JDBC client (" + tag + ") ended without its figures");
                }
                client.waitFor(60, TimeUnit.SECONDS);
                server.stop(30, TimeUnit.SECONDS);
                final String[] f = latency.split(" ");
                final Properties p = new Properties();
                if (Files.exists(report)) {
                    p.load(new StringReader(Files.readString(report)));
                }
                return new Run(result.substring(7), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), p);
            }
        }
    }
}
