package org.softclan.sockets;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * A real client nobody here wrote, on the NIO side: the JDK's own {@link HttpClient} (HTTP/1.1 forced;
 * it connects a {@code SocketChannel} and drives it from its own {@code Selector} thread), asking
 * {@link JettyHttpMain} for {@code GET /hello?n=i} for {@code i = 0 .. N-1}, one after the other on the
 * client's kept-alive connection.
 *
 * <p>Arguments: {@code HOST PORT N [LINES]}; with {@code LINES}, every request asks for
 * {@code /hello?n=LINES} (a latency measurement: the p50 is then of the second half, the first warms up). Checks each answer (status 200, the body {@link JettyHttpMain#body}
 * gives), then prints one line {@code OK crc=<CRC32 of all bodies in order, 8 hex digits> requests=N
 * bytes=<body bytes> p50us=<median round trip in microseconds>} and exits 0; on any failure it prints
 * {@code FAIL <what>} and exits 1. The digest does not depend on the transport, so it is the same over
 * TCP and through the layer ({@link #expectedCrc}).
 */
public final class HttpClientMain {
    private HttpClientMain() {
    }

    /**
     * The digest a correct run of {@code n} requests prints.
     *
     * @param n the number of requests
     * @return the CRC32 of the bodies of {@code /hello?n=0} to {@code /hello?n=n-1}, concatenated
     */
    static long expectedCrc(final int n) {
        final CRC32 crc = new CRC32();
        for (int i = 0; i < n; i++) {
            crc.update(JettyHttpMain.body(i));
        }
        return crc.getValue();
    }

    /**
     * Runs the requests and prints the result line.
     *
     * @param args {@code HOST PORT N}
     */
    public static void main(final String[] args) {
        try {
            System.out.println(run(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                args.length > 3 ? Integer.parseInt(args[3]) : -1));
            System.out.flush();
            System.exit(0);
        } catch (final Exception | AssertionError e) {
            System.out.println("FAIL " + e);
            e.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }
    }

    private static String run(final String host, final int port, final int n, final int lines) throws Exception {
        final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(20))
            .build();
        final String authority = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        final CRC32 crc = new CRC32();
        final long[] rttNanos = new long[n];
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            final int k = lines >= 0 ? lines : i;
            final HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + authority + "/hello?n=" + k))
                .timeout(Duration.ofSeconds(20))
                .GET()
                .build();
            final long start = System.nanoTime();
            final HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            rttNanos[i] = System.nanoTime() - start;
            if (response.version() != HttpClient.Version.HTTP_1_1) {
                throw new AssertionError("request " + i + ": answered over " + response.version());
            }
            if (response.statusCode() != 200) {
                throw new AssertionError("request " + i + ": status " + response.statusCode());
            }
            final byte[] body = response.body();
            final byte[] expected = JettyHttpMain.body(k);
            if (!Arrays.equals(expected, body)) {
                throw new AssertionError("request " + i + ": a body of " + body.length + " bytes, not the "
                    + expected.length + " expected (first difference at " + Arrays.mismatch(expected, body) + ")");
            }
            crc.update(body);
            bytes += body.length;
        }
        final long[] timed = lines >= 0 ? Arrays.copyOfRange(rttNanos, n / 2, n) : rttNanos;
        Arrays.sort(timed);
        final long p50us = timed.length == 0 ? 0 : timed[(timed.length - 1) / 2] / 1_000;
        return String.format("OK crc=%08x requests=%d bytes=%d p50us=%d", crc.getValue(), n, bytes, p50us);
    }
}
