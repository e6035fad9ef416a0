package org.softclan.sockets;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A plain {@code java.net} echo server, as a program that knows nothing of the layer: listens on
 * loopback (an ephemeral port, printed as {@code PORT n}), echoes every connection on a thread of its
 * own until the client ends its output, then ends its own output and closes. Serves {@code args[0]}
 * connections, then prints {@code DONE} and exits.
 */
public final class EchoServerMain {
    private EchoServerMain() {
    }

    public static void main(final String[] args) throws Exception {
        final int connections = Integer.parseInt(args[0]);
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            System.out.println("PORT " + ss.getLocalPort());
            final Thread[] threads = new Thread[connections];
            for (int i = 0; i < connections; i++) {
                final Socket s = ss.accept();
                threads[i] = new Thread(() -> echo(s));
                threads[i].start();
            }
            for (final Thread t : threads) {
                t.join();
            }
        }
        System.out.println("DONE");
    }

    private static void echo(final Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            final InputStream in = s.getInputStream();
            final OutputStream out = s.getOutputStream();
            final byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            s.shutdownOutput();
            System.out.println("ECHOED " + s.getRemoteSocketAddress() + " -> " + s.getLocalSocketAddress());
        } catch (final IOException e) {
            System.out.println("ECHO FAILED " + e);
        }
    }
}
