package org.softclan.sockets;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A plain {@code java.net} echo client, as a program that knows nothing of the layer: connects to
 * loopback port {@code args[0]}, sends {@code args[1]} messages of sizes from 1 byte to 256 KiB with
 * random contents, checks that each comes back whole, ends its output, checks the end of the echo,
 * and prints {@code OK bytes local remote} (the addresses as the program sees them).
 */
public final class EchoClientMain {
    private EchoClientMain() {
    }

    public static void main(final String[] args) throws Exception {
        final int port = Integer.parseInt(args[0]);
        final int messages = Integer.parseInt(args[1]);
        final SplittableRandom random = new SplittableRandom(port);
        long bytes = 0;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(30_000);
            final OutputStream out = s.getOutputStream();
            final DataInputStream in = new DataInputStream(s.getInputStream());
            for (int i = 0; i < messages; i++) {
                final int size = 1 + (i % 4 == 3 ? random.nextInt(256 * 1024) : random.nextInt(512));
                final byte[] sent = new byte[size];
                random.nextBytes(sent);
                out.write(sent);
                final byte[] back = new byte[size];
                in.readFully(back);
                if (!Arrays.equals(sent, back)) {
                    throw new AssertionError("message " + i + " of " + size + " bytes came back changed");
                }
                bytes += size;
            }
            s.shutdownOutput();
            final InputStream raw = s.getInputStream();
            if (raw.read() != -1) {
                throw new AssertionError("bytes after the last echo");
            }
            System.out.println("OK " + bytes + " " + s.getLocalSocketAddress() + " " + s.getRemoteSocketAddress());
        }
    }
}
