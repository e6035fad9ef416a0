package org.softclan.sockets;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.ByteStreams;

/**
 * A {@code java.net} program driven line by line on stdin for the review's hostile-peer tests; with the
 * agent it can also act as a faulty or hostile peer of the layer (commands {@code forge}, {@code nohello},
 * {@code slowhello}), using the layer's own classes to reach the fabric. Each command prints one line:
 * {@code OK ...} or {@code ERR <exception class> <message>}.
 *
 * <pre>
 * listen HOST PORT           server socket on HOST:PORT (0: ephemeral): OK port
 * accept [ms]                accept: OK remotePort
 * connect HOST PORT [LOCALPORT [CONNECT_MS]]   OK localPort elapsedMs
 * write N | read N | timeout MS | close | report
 * forge PORT CLIENTPORT [N]  a stream to tcp-PORT, a hello naming CLIENTPORT, the ack read, then N bytes
 *                            0x55 on the stream; the stream is kept open: OK
 * nohello PORT               a stream to tcp-PORT that never sends its hello, kept open: OK
 * slowhello PORT MS          a stream to tcp-PORT whose hello comes one byte every MS ms: OK
 * many HOST PORT N           N clients connect at once, each writes 8 bytes and reads them back: OK good bad [errors]
 * echoall N                  accepts N connections, echoes each on a thread of its own: OK accepted
 * selfecho HOST            a connection to this process's own server socket, echoed: OK bytes
 * freeport                   OK a port that was free a moment ago
 * </pre>
 */
public final class ProbeMain {
    private static final List<Object> KEEP = new ArrayList<>();

    private ProbeMain() {
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
                        server = new ServerSocket(Integer.parseInt(c[2]), 1000, InetAddress.getByName(c[1]));
                        System.out.println("OK " + server.getLocalPort());
                    }
                    case "accept" -> {
                        server.setSoTimeout(c.length > 1 ? Integer.parseInt(c[1]) : 0);
                        s = server.accept();
                        System.out.println("OK " + s.getPort());
                    }
                    case "bind" -> {
                        // a socket bound to PORT, connected later by "connect HOST PORT 0"
                        s = new Socket();
                        s.bind(new InetSocketAddress(Integer.parseInt(c[1])));
                        System.out.println("OK " + s.getLocalPort());
                    }
                    case "connect" -> {
                        final long t0 = System.nanoTime();
                        if (c.length > 3 && c[3].equals("0") && s != null && s.isBound() && !s.isConnected()) {
                            s.connect(new InetSocketAddress(InetAddress.getByName(c[1]), Integer.parseInt(c[2])));
                            System.out.println("OK " + s.getLocalPort() + " " + (System.nanoTime() - t0) / 1_000_000);
                            continue;
                        }
                        s = new Socket();
                        if (c.length > 3 && Integer.parseInt(c[3]) != 0) {
                            s.bind(new InetSocketAddress(Integer.parseInt(c[3])));
                        }
                        s.connect(new InetSocketAddress(InetAddress.getByName(c[1]), Integer.parseInt(c[2])),
                            c.length > 4 ? Integer.parseInt(c[4]) : 0);
                        System.out.println("OK " + s.getLocalPort() + " " + (System.nanoTime() - t0) / 1_000_000);
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
                    case "timeout" -> {
                        s.setSoTimeout(Integer.parseInt(c[1]));
                        System.out.println("OK " + s.getSoTimeout());
                    }
                    case "close" -> {
                        s.close();
                        System.out.println("OK");
                    }
                    case "report" -> System.out.println("OK " + SocketLayer.STATS.report().replace('\n', ' '));
                    case "forge" -> {
                        final int port = Integer.parseInt(c[1]);
                        final ByteStream st = ByteStreams.connect(SocketLayer.endpoint(), SocketLayer.serviceFor(port),
                            SocketLayer.connectionContext(), 5, TimeUnit.SECONDS);
                        KEEP.add(st);
                        final int clientPort = Integer.parseInt(c[2]);
                        String claim = "";
                        if (c.length > 4) {
                            // the strongest forgery: the victim's pid, and its own descriptors of that
                            // client socket and of a ring of its own (what it holds, as /proc shows anyone)
                            final long victim = Long.parseLong(c[4]);
                            final java.util.Set<Long> connected = KernelCheck.tcpSocketInodes(clientPort, port, false);
                            // not connected yet: its newest socket (the one bound to the port, a guess)
                            final int socketFd = fdOf(victim, "socket:[", connected.isEmpty() ? null : connected);
                            final int ring = fdOf(victim, ".region", null);
                            final int ringFd = ring >= 0 ? ring : fdOf(victim, "/", null);   // a plain process: any file
                            st.write(Handshake.hello(clientPort, port, null, InetAddress.getByName("127.0.0.1"),
                                socketFd, ringFd).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(48, victim));
                            claim = " CLAIMED pid=" + victim + " socketFd=" + socketFd + " ringFd=" + ringFd + " socket="
                                + (socketFd < 0 ? "none" : java.nio.file.Files.readSymbolicLink(
                                    java.nio.file.Paths.get("/proc", Long.toString(victim), "fd", Integer.toString(socketFd))));
                        } else {
                            st.write(hello(clientPort, port));
                        }
                        final ByteBuffer ack = ByteBuffer.allocate(Handshake.ACK_LENGTH);
                        while (ack.hasRemaining()) {
                            if (st.read(ack) < 0) {
                                throw new AssertionError("no ack");
                            }
                        }
                        if (c.length > 3) {
                            final byte[] b = new byte[Integer.parseInt(c[3])];
                            for (int i = 0; i < b.length; i++) {
                                b[i] = (byte) 0x55;   // not the write pattern: a reader that gets these says so
                            }
                            st.write(ByteBuffer.wrap(b));
                        }
                        System.out.println("OK" + claim);
                    }
                    case "fakeListen" -> {
                        // registers the service of a port this process does not listen on, and acks every
                        // hello claiming to be process CLAIMED_PID (0: this one), as a hostile process would
                        final int port = Integer.parseInt(c[1]);
                        final long claimed = Long.parseLong(c[2]);
                        final org.softclan.vmmc.stream.StreamListener l = ByteStreams.listen(SocketLayer.endpoint(),
                            SocketLayer.serviceFor(port), SocketLayer.connectionContext());
                        KEEP.add(l);
                        final Thread t = new Thread(() -> {
                            while (true) {
                                try {
                                    final ByteStream st = l.accept(1, TimeUnit.SECONDS);
                                    if (st == null) {
                                        continue;
                                    }
                                    KEEP.add(st);
                                    final ByteBuffer h = ByteBuffer.allocate(Handshake.HELLO_LENGTH);
                                    while (h.hasRemaining() && st.read(h) >= 0) {
                                        Thread.onSpinWait();
                                    }
                                    final int helloPort = Handshake.readHello(h.flip()).clientPort();
                                    final ByteBuffer ack;
                                    if (claimed != 0) {
                                        // the claimed process's own descriptors of the port's listening socket
                                        // and of a ring of its own, as anyone finds them in /proc
                                        ack = Handshake.ack(helloPort,
                                            fdOf(claimed, "socket:[", KernelCheck.tcpSocketInodes(port, 0, true)),
                                            fdOf(claimed, ".region", null));
                                        ack.order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(8, claimed);
                                    } else {
                                        ack = Handshake.ack(helloPort, -1, -1);
                                    }
                                    st.write(ack);
                                    System.out.println("ACKED");
                                } catch (final Exception e) {
                                    System.out.println("FAKE " + e);
                                    return;
                                }
                            }
                        });
                        t.setDaemon(true);
                        System.out.println("OK");   // before any line of the thread: the reply comes first
                        t.start();
                    }
                    case "nohello" -> {
                        final int port = Integer.parseInt(c[1]);
                        KEEP.add(ByteStreams.connect(SocketLayer.endpoint(), SocketLayer.serviceFor(port),
                            SocketLayer.connectionContext(), 5, TimeUnit.SECONDS));
                        System.out.println("OK");
                    }
                    case "slowhello" -> {
                        final int port = Integer.parseInt(c[1]);
                        final long ms = Long.parseLong(c[2]);
                        final ByteStream st = ByteStreams.connect(SocketLayer.endpoint(), SocketLayer.serviceFor(port),
                            SocketLayer.connectionContext(), 5, TimeUnit.SECONDS);
                        KEEP.add(st);
                        final ByteBuffer hello = hello(12345, port);
                        final Thread t = new Thread(() -> {
                            try {
                                for (int i = 0; i < hello.remaining(); i++) {
                                    st.write(ByteBuffer.wrap(new byte[] {hello.get(i)}));
                                    System.out.println("SENT " + (i + 1));
                                    Thread.sleep(ms);   // the hostile pace itself, not a wait for anything
                                }
                            } catch (final Exception e) {
                                System.out.println("SLOWHELLO " + e);
                            }
                        });
                        t.setDaemon(true);
                        System.out.println("OK");   // before the thread's first SENT line: the reply comes first
                        t.start();
                    }
                    case "many" -> {
                        final InetAddress host = InetAddress.getByName(c[1]);
                        final int port = Integer.parseInt(c[2]);
                        final int n = Integer.parseInt(c[3]);
                        final CountDownLatch go = new CountDownLatch(1);
                        final AtomicInteger good = new AtomicInteger();
                        final Map<String, Integer> errors = new ConcurrentHashMap<>();
                        final Thread[] ts = new Thread[n];
                        for (int i = 0; i < n; i++) {
                            final long id = i;
                            ts[i] = new Thread(() -> {
                                try {
                                    go.await();
                                    try (Socket x = new Socket(host, port)) {
                                        x.setSoTimeout(20_000);
                                        final byte[] b = ByteBuffer.allocate(8).putLong(id * 7919).array();
                                        x.getOutputStream().write(b);
                                        final byte[] back = new byte[8];
                                        int got = 0;
                                        while (got < 8) {
                                            final int r = x.getInputStream().read(back, got, 8 - got);
                                            if (r < 0) {
                                                throw new java.io.EOFException("EOF after " + got);
                                            }
                                            got += r;
                                        }
                                        if (!Arrays.equals(b, back)) {
                                            throw new AssertionError("echo of another connection");
                                        }
                                        good.incrementAndGet();
                                    }
                                } catch (final Exception | AssertionError e) {
                                    errors.merge(e.getClass().getSimpleName() + ":" + e.getMessage(), 1, Integer::sum);
                                }
                            });
                            ts[i].start();
                        }
                        go.countDown();
                        for (final Thread t : ts) {
                            t.join();
                        }
                        System.out.println("OK " + good.get() + " " + (n - good.get()) + " " + errors);
                    }
                    case "echoall" -> {
                        final int n = Integer.parseInt(c[1]);
                        server.setSoTimeout(60_000);
                        for (int i = 0; i < n; i++) {
                            final Socket x = server.accept();
                            final Thread t = new Thread(() -> echo(x));
                            t.setDaemon(true);
                            t.start();
                        }
                        System.out.println("OK " + n);
                    }
                    case "selfecho" -> {
                        final ServerSocket ss = server;
                        final Thread t = new Thread(() -> {
                            try {
                                echo(ss.accept());
                            } catch (final Exception e) {
                                System.out.println("SELFACCEPT " + e);
                            }
                        });
                        t.setDaemon(true);
                        t.start();
                        try (Socket x = new Socket(InetAddress.getByName(c[1]), server.getLocalPort())) {
                            x.setSoTimeout(10_000);
                            x.getOutputStream().write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
                            final byte[] back = new byte[8];
                            int got = 0;
                            while (got < 8) {
                                final int r = x.getInputStream().read(back, got, 8 - got);
                                if (r < 0) {
                                    throw new java.io.EOFException("EOF after " + got);
                                }
                                got += r;
                            }
                            System.out.println("OK " + Arrays.toString(back));
                        }
                    }
                    case "freeport" -> {
                        try (ServerSocket f = new ServerSocket(0)) {
                            System.out.println("OK " + f.getLocalPort());
                        }
                    }
                    default -> System.out.println("ERR unknown command " + Arrays.toString(c));
                }
            } catch (final Exception | AssertionError e) {
                System.out.println("ERR " + e.getClass().getName() + " " + e.getMessage());
            }
        }
    }

    /**
     * A descriptor of process {@code pid} whose link holds {@code mark} and names one of {@code inodes}, or
     * without inodes its newest socket (the highest inode: a socket just made) or its highest-numbered
     * other such descriptor, as a forger finds it in
     * {@code /proc}; -1 if none.
     */
    private static int fdOf(final long pid, final String mark, final java.util.Set<Long> inodes) throws Exception {
        int found = -1;
        long newest = -1;
        try (java.nio.file.DirectoryStream<java.nio.file.Path> fds =
                 java.nio.file.Files.newDirectoryStream(java.nio.file.Paths.get("/proc", Long.toString(pid), "fd"))) {
            for (final java.nio.file.Path fd : fds) {
                final String target;
                try {
                    target = java.nio.file.Files.readSymbolicLink(fd).toString();
                } catch (final java.io.IOException e) {
                    continue;
                }
                final int n = Integer.parseInt(fd.getFileName().toString());
                if (!target.contains(mark)) {
                    continue;
                }
                if (inodes != null) {
                    if (inodes.stream().anyMatch(i -> target.equals("socket:[" + i + "]"))) {
                        return n;
                    }
                } else if (target.startsWith("socket:[")) {
                    final long inode = Long.parseLong(target.substring(8, target.length() - 1));
                    if (inode > newest) {   // the newest socket: the highest inode, not the highest descriptor
                        newest = inode;
                        found = n;
                    }
                } else if (n > found) {
                    found = n;
                }
            }
        }
        return found;
    }

    /** A hello to 127.0.0.1:serverPort from clientPort (bound to the wildcard). */
    private static ByteBuffer hello(final int clientPort, final int serverPort) throws Exception {
        return Handshake.hello(clientPort, serverPort, null, InetAddress.getByName("127.0.0.1"), -1, -1);
    }

    private static void echo(final Socket x) {
        try (x) {
            x.setSoTimeout(30_000);
            final InputStream i = x.getInputStream();
            final OutputStream o = x.getOutputStream();
            final byte[] b = new byte[8192];
            int n;
            while ((n = i.read(b)) > 0) {
                o.write(b, 0, n);
            }
        } catch (final Exception e) {
            // counted by the client
        }
    }
}
