package org.softclan.sockets;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * A real program nobody here wrote, on the NIO side: an unchanged Jetty 12 server (its core
 * {@link Handler} API, no servlets; Jetty accepts on a {@code ServerSocketChannel} and reads and writes
 * through its own {@code Selector}s), on {@code 127.0.0.1} and a port the system picks. One handler:
 * {@code GET /hello?n=K} answers {@link #body(int) K deterministic lines} (up to some KiB, so a large
 * answer takes more than one read); anything else a 404, a bad {@code n} a 400.
 *
 * <p>Prints {@code PORT <port>} once it listens, then runs until its standard input closes or gives the
 * line {@code quit}: it then stops the server (so a run with the agent writes its report at exit) and
 * exits 0. Run by {@link NioProgramsTest} with {@link HttpClientMain} as its client.
 */
public final class JettyHttpMain {
    private JettyHttpMain() {
    }

    /**
     * The answer to {@code GET /hello?n=K}: {@code K} lines of 58 bytes, each naming its number and
     * {@code K}; empty for {@code K = 0}.
     *
     * @param n the number of lines
     * @return the body, as UTF-8 bytes
     */
    static byte[] body(final int n) {
        final StringBuilder b = new StringBuilder(n * 58);
        for (int i = 0; i < n; i++) {
            b.append(String.format("%06d/%06d the quick brown fox jumps over the lazy dog\n", i, n));
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The {@code /hello} handler: never blocks (it writes one buffer and completes through Jetty's callback). */
    private static final class Hello extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(final Request request, final Response response, final Callback callback) {
            if (!"GET".equals(request.getMethod()) || !"/hello".equals(Request.getPathInContext(request))) {
                Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                return true;
            }
            final int n;
            try {
                n = Integer.parseInt(Request.extractQueryParameters(request).getValue("n"));
            } catch (final NumberFormatException e) {
                Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400, "n must be a number");
                return true;
            }
            if (n < 0 || n > 100_000) {
                Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400, "n out of range");
                return true;
            }
            final byte[] body = body(n);
            response.setStatus(HttpStatus.OK_200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain;charset=utf-8");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
            return true;
        }
    }

    /**
     * Starts the server, prints its port, serves until standard input closes or says {@code quit}.
     *
     * @param args none
     * @throws Exception if the server cannot start or stop
     */
    public static void main(final String[] args) throws Exception {
        final Server server = new Server();
        final ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Hello());
        server.start();
        System.out.println("PORT " + connector.getLocalPort());
        System.out.flush();
        waitForQuit();
        server.stop();
        server.join();
        System.out.println("STOPPED");
        System.out.flush();
    }

    /** Returns when standard input closes or gives the line {@code quit}. */
    static void waitForQuit() throws IOException {
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if ("quit".equals(line.trim())) {
                return;
            }
        }
    }
}
