package org.softclan.cli;

import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The client of {@code vmmc demo sockets} (and of the H2 tests): a plain JDBC program, which knows nothing
 * of the socket layer, against an H2 TCP server: {@code args[0]} the JDBC URL, {@code args[1]} how many
 * {@code SELECT 1} round trips to time (after a fifth as many, at least 200, and at least 3 s, to warm up). Creates and fills a table, prints {@code RESULT digest rows} (a
 * digest of a query's every row, so two runs can be compared), then times the {@code SELECT 1}s and
 * prints {@code LATENCY p50_ns p99_ns queries_per_s p75_ns p90_ns p95_ns}.
 */
public final class SocketsDemoClient {
    private SocketsDemoClient() {
    }

    /**
     * @param args the JDBC URL, the number of timed {@code SELECT 1}s
     * @throws Exception if the database fails, or a query's answer is wrong
     */
    public static void main(final String[] args) throws Exception {
        final int queries = Integer.parseInt(args[1]);
        try (Connection c = DriverManager.getConnection(args[0], "sa", "")) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS t");
                s.execute("CREATE TABLE t(id INT PRIMARY KEY, name VARCHAR(200), v DOUBLE, b VARBINARY(4096))");
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO t VALUES (?, ?, ?, ?)")) {
                for (int i = 0; i < 500; i++) {
                    p.setInt(1, i);
                    p.setString(2, "row " + i + " " + "x".repeat(i % 150));
                    p.setDouble(3, i * 1.5 - 7);
                    final byte[] b = new byte[(i * 37) % 4096];
                    Arrays.fill(b, (byte) i);
                    p.setBytes(4, b);
                    p.executeUpdate();
                }
            }
            final MessageDigest md = MessageDigest.getInstance("SHA-256");
            int rows = 0;
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT id, name, v, b, LENGTH(b) FROM t WHERE MOD(id, 3) <> 1 ORDER BY v DESC")) {
                while (r.next()) {
                    md.update((r.getInt(1) + "|" + r.getString(2) + "|" + r.getDouble(3) + "|" + r.getInt(5)).getBytes());
                    md.update(r.getBytes(4));
                    rows++;
                }
            }
            System.out.println("RESULT " + HexFormat.of().formatHex(md.digest()) + " " + rows);
            final long[] ns = new long[queries];
            try (PreparedStatement p = c.prepareStatement("SELECT 1")) {
                // warm-up: a fifth as many queries (at least 200) and at least 3 s, whichever ends later, so
                // that the JIT has compiled both sides' paths before the timing starts
                final long warmUntil = System.nanoTime() + 3_000_000_000L;
                for (int i = 0; i < Math.max(200, queries / 5) || System.nanoTime() < warmUntil; i++) {
                    try (ResultSet r = p.executeQuery()) {
                        r.next();
                    }
                }
                final long t0 = System.nanoTime();
                for (int i = 0; i < queries; i++) {
                    final long s = System.nanoTime();
                    try (ResultSet r = p.executeQuery()) {
                        if (!r.next() || r.getInt(1) != 1) {
                            throw new AssertionError("SELECT 1 did not answer 1");
                        }
                    }
                    ns[i] = System.nanoTime() - s;
                }
                final long total = System.nanoTime() - t0;
                Arrays.sort(ns);
                System.out.println("LATENCY " + ns[queries / 2] + " " + ns[(int) (queries * 0.99)] + " "
                    + (long) (queries * 1e9 / total) + " " + ns[(int) (queries * 0.75)] + " " + ns[(int) (queries * 0.9)]
                    + " " + ns[(int) (queries * 0.95)]);
            }
        }
    }
}
