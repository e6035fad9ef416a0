package org.softclan.sockets;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal HTTP/1.1 client on one kept-alive {@link Socket} (blocking streams): {@code HOST PORT N LINES}
 * sends {@code GET /hello?n=LINES} N times, one after the other, checks each body against
 * {@link JettyHttpMain#body}, and prints {@code OK p50us=T p99us=T} over the second half (the first warms
 * up). It measures a server's HTTP round trip with as little client machinery as possible (the JDK's
 * {@code HttpClient} adds thread hand-offs of its own).
 */
public final class RawHttpClientMain {
    private RawHttpClientMain() {
    }

    public static void main(final String[] args) throws IOException {
        final int n = Integer.parseInt(args[2]);
        final int lines = Integer.parseInt(args[3]);
        final byte[] request = ("GET /hello?n=" + lines + " HTTP/1.1\r\nHost: " + args[0] + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        final byte[] expected = JettyHttpMain.body(lines);
        final long[] rtt = new long[n];
        try (Socket s = new Socket(args[0], Integer.parseInt(args[1]))) {
            s.setTcpNoDelay(true);
            final OutputStream out = s.getOutputStream();
            final InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            for (int i = 0; i < n; i++) {
                final long t0 = System.nanoTime();
                out.write(request);
                out.flush();
                final byte[] body = readResponse(in);
                rtt[i] = System.nanoTime() - t0;
                if (!Arrays.equals(body, expected)) {
                    System.out.println("FAIL response " + i + " differs");
                    System.exit(1);
                }
            }
        }
        final long[] timed = Arrays.copyOfRange(rtt, n / 2, n);
        Arrays.sort(timed);
        System.out.printf("OK p50us=%.1f p99us=%.1f%n", timed[timed.length / 2] / 1e3, timed[timed.length * 99 / 100] / 1e3);
    }

    private static byte[] readResponse(final InputStream in) throws IOException {
        int length = -1;
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            line.reset();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("end of stream in the headers");
                }
                if (c != '\r') {
                    line.write(c);
                }
            }
            final String h = line.toString(StandardCharsets.US_ASCII);
            if (h.isEmpty()) {
                break;
            }
            if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Integer.parseInt(h.substring(15).trim());
            }
        }
        if (length < 0) {
            throw new IOException("no Content-Length");
        }
        final byte[] body = in.readNBytes(length);
        if (body.length != length) {
            throw new IOException("end of stream in the body");
        }
        return body;
    }
}
