package org.softclan.sockets;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * One-way stream throughput over {@code java.net} sockets, as a program that knows nothing of the layer:
 * {@code server} accepts one connection, reads until its end in 64-KiB reads, and prints
 * {@code OK bytes=B MBps=R} (the rate from the first byte to the end); {@code PORT} is printed first.
 * {@code client PORT MILLIS CHUNK} writes CHUNK-byte writes for MILLIS ms, then closes. Run with and
 * without the agent (or with it and {@code -Dsoftclan.sockets.enabled=false}: a connection that falls
 * back) to compare the rates. {@code nioserver} and {@code nioclient PORT MILLIS CHUNK}: the same through
 * blocking NIO channels.
 */
public final class StreamThroughputMain {
    private StreamThroughputMain() {
    }

    public static void main(final String[] args) throws Exception {
        if (args[0].equals("nioserver")) {
            nioServer();
        } else if (args[0].equals("nioclient")) {
            nioClient(Integer.parseInt(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3]));
        } else if (args[0].equals("server")) {
            try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                System.out.println("PORT " + ss.getLocalPort());
                System.out.flush();
                try (Socket s = ss.accept()) {
                    final InputStream in = s.getInputStream();
                    final byte[] b = new byte[64 * 1024];
                    long bytes = 0;
                    long first = 0;
                    for (int n; (n = in.read(b)) >= 0; ) {
                        if (first == 0) {
                            first = System.nanoTime();
                        }
                        bytes += n;
                    }
                    final double secs = (System.nanoTime() - first) / 1e9;
                    System.out.printf("OK bytes=%d MBps=%.1f%n", bytes, bytes / secs / 1e6);
                }
            }
        } else {
            final int port = Integer.parseInt(args[1]);
            final long millis = Long.parseLong(args[2]);
            final byte[] chunk = new byte[Integer.parseInt(args[3])];
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                final OutputStream out = s.getOutputStream();
                final long end = System.nanoTime() + millis * 1_000_000;
                while (System.nanoTime() < end) {
                    for (int i = 0; i < 64; i++) {
                        out.write(chunk);
                    }
                }
            }
        }
    }

    /** As {@code server}, through a blocking {@link java.nio.channels.ServerSocketChannel}. */
    private static void nioServer() throws Exception {
        try (java.nio.channels.ServerSocketChannel ss = java.nio.channels.ServerSocketChannel.open()) {
            ss.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            System.out.println("PORT " + ((java.net.InetSocketAddress) ss.getLocalAddress()).getPort());
            System.out.flush();
            try (java.nio.channels.SocketChannel s = ss.accept()) {
                final java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(64 * 1024);
                long bytes = 0;
                long first = 0;
                for (int n; (n = s.read(b.clear())) >= 0; ) {
                    if (first == 0) {
                        first = System.nanoTime();
                    }
                    bytes += n;
                }
                final double secs = (System.nanoTime() - first) / 1e9;
                System.out.printf("OK bytes=%d MBps=%.1f%n", bytes, bytes / secs / 1e6);
            }
        }
    }

    /** As {@code client}, through a blocking {@link java.nio.channels.SocketChannel}. */
    private static void nioClient(final int port, final long millis, final int chunk) throws Exception {
        final java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(chunk);
        try (java.nio.channels.SocketChannel s = java.nio.channels.SocketChannel.open(
                 new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            final long end = System.nanoTime() + millis * 1_000_000;
            while (System.nanoTime() < end) {
                for (int i = 0; i < 64; i++) {
                    b.clear();
                    while (b.hasRemaining()) {
                        s.write(b);
                    }
                }
            }
        }
    }
}
