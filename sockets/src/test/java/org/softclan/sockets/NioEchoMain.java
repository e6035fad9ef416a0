package org.softclan.sockets;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Iterator;
import java.util.zip.CRC32;

/**
 * An NIO echo written as a program that knows nothing of the layer: {@code server} or
 * {@code server-acceptor} (a blocking accept on a thread of its own, so the selector holds only
 * connections) (a selector loop
 * over non-blocking channels: accept, read, echo back, with {@code OP_WRITE} when a write is short; prints
 * {@code PORT p}; runs until its standard input closes) and {@code client HOST PORT COUNT SIZE} (a
 * non-blocking connect and a selector; sends COUNT messages of SIZE bytes, each after the whole echo of
 * the one before; prints {@code OK crc=C p50us=T channel=CLASS}).
 */
public final class NioEchoMain {
    private NioEchoMain() {
    }

    public static void main(final String[] args) throws Exception {
        if (args[0].equals("server")) {
            server(false);
        } else if (args[0].equals("server-acceptor")) {
            server(true);
        } else {
            client(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        }
    }

    private static void server(final boolean acceptor) throws Exception {
        final ServerSocketChannel ss = ServerSocketChannel.open();
        ss.bind(new InetSocketAddress("127.0.0.1", 0));
        final Selector sel = Selector.open();
        final java.util.concurrent.ConcurrentLinkedQueue<SocketChannel> accepted = new java.util.concurrent.ConcurrentLinkedQueue<>();
        if (acceptor) {
            // a blocking accept on a thread of its own, as Jetty's acceptors: the selector holds only connections
            final Thread t = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(ss.accept());
                        sel.wakeup();
                    }
                } catch (final Exception e) {
                    // closed
                }
            });
            t.setDaemon(true);
            t.start();
        } else {
            ss.configureBlocking(false);
            ss.register(sel, SelectionKey.OP_ACCEPT);
        }
        final Thread stdin = new Thread(() -> {
            try {
                new BufferedReader(new InputStreamReader(System.in)).readLine();
            } catch (final Exception ignored) {
                // closed
            }
            System.exit(0);
        });
        stdin.setDaemon(true);
        stdin.start();
        System.out.println("PORT " + ((InetSocketAddress) ss.getLocalAddress()).getPort() + " " + sel.getClass().getSimpleName());
        System.out.flush();
        while (true) {
            sel.select();
            for (SocketChannel c; (c = accepted.poll()) != null; ) {
                c.configureBlocking(false);
                c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                c.register(sel, SelectionKey.OP_READ, ByteBuffer.allocate(64 * 1024));
            }
            final Iterator<SelectionKey> it = sel.selectedKeys().iterator();
            while (it.hasNext()) {
                final SelectionKey k = it.next();
                it.remove();
                if (!k.isValid()) {
                    continue;
                }
                if (k.isAcceptable()) {
                    final SocketChannel c = ss.accept();
                    if (c != null) {
                        c.configureBlocking(false);
                        c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                        c.register(sel, SelectionKey.OP_READ, ByteBuffer.allocate(64 * 1024));
                    }
                    continue;
                }
                final SocketChannel c = (SocketChannel) k.channel();
                final ByteBuffer b = (ByteBuffer) k.attachment();
                try {
                    if (k.isReadable()) {
                        final int n = c.read(b);
                        if (n < 0) {
                            c.close();
                            continue;
                        }
                    }
                    b.flip();
                    c.write(b);
                    b.compact();
                    k.interestOps(b.position() > 0 ? SelectionKey.OP_WRITE | SelectionKey.OP_READ : SelectionKey.OP_READ);
                } catch (final java.io.IOException e) {
                    c.close();
                }
            }
        }
    }

    private static void client(final String host, final int port, final int count, final int size) throws Exception {
        final SocketChannel c = SocketChannel.open();
        c.configureBlocking(false);
        final Selector sel = Selector.open();
        final SelectionKey key = c.register(sel, SelectionKey.OP_CONNECT);
        if (!c.connect(new InetSocketAddress(host, port))) {
            while (!c.finishConnect()) {
                sel.select();
                sel.selectedKeys().clear();
            }
        }
        final byte[] msg = new byte[size];
        final ByteBuffer out = ByteBuffer.allocateDirect(size);
        final ByteBuffer in = ByteBuffer.allocateDirect(size);
        final CRC32 crc = new CRC32();
        final long[] rtt = new long[count];
        int zeroSelects = 0;
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < size; j++) {
                msg[j] = (byte) (i * 31 + j);
            }
            out.clear();
            out.put(msg).flip();
            in.clear();
            final long t0 = System.nanoTime();
            c.write(out);
            key.interestOps(out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            while (in.hasRemaining()) {
                if (sel.select() == 0) {
                    zeroSelects++;
                }
                sel.selectedKeys().clear();
                if (out.hasRemaining()) {
                    c.write(out);
                    key.interestOps(out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                }
                if (c.read(in) < 0) {
                    System.out.println("FAIL end of stream after " + i + " messages");
                    System.exit(1);
                }
            }
            rtt[i] = System.nanoTime() - t0;
            in.flip();
            final byte[] got = new byte[size];
            in.get(got);
            if (!Arrays.equals(got, msg)) {
                System.out.println("FAIL message " + i + " came back different");
                System.exit(1);
            }
            crc.update(got);
        }
        Arrays.sort(rtt);
        c.close();
        System.out.println("OK crc=" + Long.toHexString(crc.getValue()) + " p50us=" + rtt[count / 2] / 1000.0
            + " zeroSelects=" + zeroSelects + " channel=" + c.getClass().getSimpleName());
    }
}
