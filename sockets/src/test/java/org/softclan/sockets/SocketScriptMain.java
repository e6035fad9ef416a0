package org.softclan.sockets;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.softclan.dsm.testing.TestThreads;

/**
 * A plain {@code java.net} program driven line by line on stdin, for tests of the socket semantics
 * across JVMs. Each command prints one line: {@code OK ...} or {@code ERR <exception class> <message>}.
 *
 * <pre>
 * listen                 a server socket on loopback: OK port
 * listenAt ADDR PORT     a server socket bound to ADDR:PORT (0: any port): OK port
 * connectTo ADDR PORT    connect to ADDR:PORT
 * accept [ms]            accept (with SO_TIMEOUT ms on the server socket)
 * connect PORT           connect to loopback PORT
 * write N                write N bytes (0, 1, 2, ... mod 251)
 * read N                 read exactly N bytes and check them: OK N, or OK EOF k if the end came after k
 * read1                  one read of up to 64 KiB: OK n (-1 at the end)
 * timeout MS             SO_TIMEOUT
 * available              OK n
 * shutdownOutput | shutdownInput | close
 * options                set the usual options and a Linux one, as programs do: OK
 * closeWhileReading      a second thread closes the socket once this one is blocked in a read: WAITED ms
 *                        from the close to the read's end, then OK/ERR of the read
 * blockedRead N          as read N, printing BLOCKED once the read waits in the stream for bytes
 * addresses              OK local remote
 * report                 OK the layer's counters on one line
 * </pre>
 */
public final class SocketScriptMain {
    /** The frame of a read of an accelerated socket waiting for bytes. */
    private static final String BLOCKED_FRAME = "StreamReader.awaitFrames";

    private SocketScriptMain() {
    }

    public static void main(final String[] args) throws Exception {
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        ServerSocket server = null;
        Socket s = null;
        long readPattern = 0;
        long writePattern = 0;
        System.out.println("READY");
        String line;
        while ((line = in.readLine()) != null) {
            final String[] c = line.trim().split(" ");
            try {
                switch (c[0]) {
                    case "listen" -> {
                        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                        System.out.println("OK " + server.getLocalPort());
                    }
                    case "listenAt" -> {
                        server = new ServerSocket(Integer.parseInt(c[2]), 50, InetAddress.getByName(c[1]));
                        System.out.println("OK " + server.getLocalPort());
                    }
                    case "connectTo" -> {
                        s = new Socket(InetAddress.getByName(c[1]), Integer.parseInt(c[2]));
                        System.out.println("OK " + s.getLocalPort());
                    }
                    case "accept" -> {
                        server.setSoTimeout(c.length > 1 ? Integer.parseInt(c[1]) : 0);
                        s = server.accept();
                        System.out.println("OK " + s.getPort());
                    }
                    case "connect" -> {
                        s = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(c[1]));
                        System.out.println("OK " + s.getLocalPort());
                    }
                    case "write" -> {
                        final byte[] b = new byte[Integer.parseInt(c[1])];
                        for (int i = 0; i < b.length; i++) {
                            b[i] = (byte) (writePattern++ % 251);
                        }
                        s.getOutputStream().write(b);
                        System.out.println("OK " + b.length);
                    }
                    case "read" -> {
                        final int n = Integer.parseInt(c[1]);
                        final byte[] b = new byte[n];
                        int got = 0;
                        while (got < n) {
                            final int r = s.getInputStream().read(b, got, n - got);
                            if (r < 0) {
                                break;
                            }
                            got += r;
                        }
                        for (int i = 0; i < got; i++) {
                            if (b[i] != (byte) (readPattern++ % 251)) {
                                throw new AssertionError("byte " + i + " of the read is wrong");
                            }
                        }
                        System.out.println(got == n ? "OK " + n : "OK EOF " + got);
                    }
                    case "read1" -> {
                        final byte[] b = new byte[65536];
                        final int r = s.getInputStream().read(b);
                        for (int i = 0; i < r; i++) {
                            if (b[i] != (byte) (readPattern++ % 251)) {
                                throw new AssertionError("byte " + i + " of the read is wrong");
                            }
                        }
                        System.out.println("OK " + r);
                    }
                    case "timeout" -> {
                        s.setSoTimeout(Integer.parseInt(c[1]));
                        System.out.println("OK " + s.getSoTimeout());
                    }
                    case "available" -> System.out.println("OK " + s.getInputStream().available());
                    case "shutdownOutput" -> {
                        s.shutdownOutput();
                        System.out.println("OK " + s.isOutputShutdown());
                    }
                    case "shutdownInput" -> {
                        s.shutdownInput();
                        System.out.println("OK " + s.isInputShutdown());
                    }
                    case "close" -> {
                        s.close();
                        System.out.println("OK " + s.isClosed());
                    }
                    case "options" -> {
                        s.setTcpNoDelay(true);
                        s.setKeepAlive(true);
                        s.setReceiveBufferSize(1 << 20);
                        s.setSendBufferSize(1 << 20);
                        s.setSoLinger(true, 1);
                        s.setReuseAddress(true);
                        s.setTrafficClass(0x10);
                        try {
                            @SuppressWarnings("unchecked")
                            final SocketOption<Boolean> quickAck = (SocketOption<Boolean>) Class
                                .forName("jdk.net.ExtendedSocketOptions").getField("TCP_QUICKACK").get(null);
                            s.setOption(quickAck, true);
                        } catch (final UnsupportedOperationException | ReflectiveOperationException e) {
                            // as a program does: an option the platform lacks is skipped
                        }
                        System.out.println("OK " + s.getTcpNoDelay() + " " + s.getKeepAlive() + " "
                            + s.getOption(StandardSocketOptions.TCP_NODELAY) + " " + s.getSoLinger());
                    }
                    case "closeWhileReading" -> {
                        // a second thread closes the socket once this one is blocked in the stream's wait
                        final Socket victim = s;
                        final Thread reader = Thread.currentThread();
                        final AtomicLong closedAt = new AtomicLong();
                        final Thread closer = new Thread(() -> {
                            try {
                                if (!TestThreads.awaitTrue(() -> TestThreads.isIn(reader, BLOCKED_FRAME), 10, TimeUnit.SECONDS)) {
                                    System.out.println("CLOSER the read never blocked");
                                }
                                closedAt.set(System.nanoTime());
                                victim.close();
                            } catch (final Exception e) {
                                System.out.println("CLOSER " + e);
                            }
                        });
                        closer.start();
                        try {
                            final int r = victim.getInputStream().read(new byte[16]);
                            System.out.println("OK " + r);
                        } finally {
                            System.out.println("WAITED " + (System.nanoTime() - closedAt.get()) / 1_000_000);
                        }
                    }
                    case "blockedRead" -> {
                        // as read N, and a line BLOCKED once this thread waits in the stream for bytes
                        final Thread reader = Thread.currentThread();
                        final Thread watcher = new Thread(() -> {
                            if (TestThreads.awaitTrue(() -> TestThreads.isIn(reader, BLOCKED_FRAME), 10, TimeUnit.SECONDS)) {
                                System.out.println("BLOCKED");
                            }
                        });
                        watcher.setDaemon(true);
                        watcher.start();
                        final byte[] b = new byte[Integer.parseInt(c[1])];
                        int got = 0;
                        while (got < b.length) {
                            final int r = s.getInputStream().read(b, got, b.length - got);
                            if (r < 0) {
                                break;
                            }
                            got += r;
                        }
                        for (int i = 0; i < got; i++) {
                            if (b[i] != (byte) (readPattern++ % 251)) {
                                throw new AssertionError("byte " + i + " of the read is wrong");
                            }
                        }
                        System.out.println(got == b.length ? "OK " + got : "OK EOF " + got);
                    }
                    case "addresses" -> System.out.println("OK " + s.getLocalSocketAddress() + " " + s.getRemoteSocketAddress());
                    case "report" -> System.out.println("OK " + SocketLayer.STATS.report().replace('\n', ' '));
                    default -> System.out.println("ERR unknown command " + Arrays.toString(c));
                }
            } catch (final Exception | AssertionError e) {
                System.out.println("ERR " + e.getClass().getName() + " " + e.getMessage());
            }
        }
    }
}
