package org.softclan.sockets;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * A real program nobody here wrote, on the NIO side: Netty's NIO transport (its
 * {@link MultiThreadIoEventLoopGroup} with {@link NioIoHandler}, {@link NioServerSocketChannel} and
 * {@link NioSocketChannel}: {@code SelectorProvider.provider()}'s channels and selectors; never the
 * epoll or io_uring native transports), unchanged, as an echo server and its client.
 *
 * <p>{@code server}: echoes every byte on every connection, on {@code 127.0.0.1} and a port the system
 * picks; prints {@code PORT <port>}, runs until its standard input closes or gives the line
 * {@code quit}, then closes its channels, shuts its event loops down and exits 0.
 *
 * <p>{@code client HOST PORT N SIZE}: one connection; sends {@code N} messages of {@code SIZE} bytes with
 * {@link #message deterministic content}, each only once the echo of the previous one came back whole,
 * and checks every echoed byte. Prints {@code OK crc=<CRC32 of all echoed bytes, 8 hex digits>
 * messages=N bytes=<N*SIZE> p50us=<median round trip in microseconds>} and exits 0; on any failure
 * {@code FAIL <what>} and exit 1. The digest does not depend on the transport ({@link #expectedCrc}).
 * Run by {@link NioProgramsTest}.
 */
public final class NettyEchoMain {
    private NettyEchoMain() {
    }

    /**
     * The {@code i}-th message of a run: {@code size} bytes of a linear congruential sequence seeded by {@code i}.
     *
     * @param i    the message's number
     * @param size its length
     * @return its bytes
     */
    static byte[] message(final int i, final int size) {
        final byte[] b = new byte[size];
        long x = 0x9E3779B97F4A7C15L * (i + 1);
        for (int j = 0; j < size; j++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            b[j] = (byte) (x >>> 56);
        }
        return b;
    }

    /**
     * The digest a correct client run prints.
     *
     * @param n    the number of messages
     * @param size their length
     * @return the CRC32 of messages {@code 0} to {@code n-1}, concatenated
     */
    static long expectedCrc(final int n, final int size) {
        final CRC32 crc = new CRC32();
        for (int i = 0; i < n; i++) {
            crc.update(message(i, size));
        }
        return crc.getValue();
    }

    /**
     * Runs the server or the client.
     *
     * @param args {@code server}, or {@code client HOST PORT N SIZE}
     */
    public static void main(final String[] args) {
        try {
            if (args.length == 1 && "server".equals(args[0])) {
                server();
                System.exit(0);
            } else if (args.length == 5 && "client".equals(args[0])) {
                System.out.println(client(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4])));
                System.out.flush();
                System.exit(0);
            } else {
                throw new IllegalArgumentException("usage: server | client HOST PORT N SIZE");
            }
        } catch (final Exception | AssertionError e) {
            System.out.println("FAIL " + e);
            e.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }
    }

    /** Echoes what it reads; flushes once per batch of reads. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(final ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause) {
            System.out.println("ERROR " + cause);
            System.out.flush();
            ctx.close();
        }
    }

    private static void server() throws Exception {
        final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            final Channel listener = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(final SocketChannel ch) {
                        ch.pipeline().addLast(new Echo());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
            System.out.println("PORT " + ((InetSocketAddress) listener.localAddress()).getPort());
            System.out.flush();
            JettyHttpMain.waitForQuit();
            listener.close().sync();
        } finally {
            workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
            boss.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
        System.out.println("STOPPED");
        System.out.flush();
    }

    /** Sends message after message, each once the previous one's echo came back whole; checks the echoes. */
    private static final class Pinger extends ChannelInboundHandlerAdapter {
        final CompletableFuture<String> done = new CompletableFuture<>();
        private final int count;
        private final int size;
        private final CRC32 crc = new CRC32();
        private final long[] rttNanos;
        private final byte[] chunk;
        private byte[] expected;
        private int index;
        private int received;
        private long sentAt;

        Pinger(final int count, final int size) {
            this.count = count;
            this.size = size;
            this.rttNanos = new long[count];
            this.chunk = new byte[size];
        }

        @Override
        public void channelActive(final ChannelHandlerContext ctx) {
            if (count == 0) {
                finish();
            } else {
                send(ctx);
            }
        }

        private void send(final ChannelHandlerContext ctx) {
            expected = message(index, size);
            received = 0;
            sentAt = System.nanoTime();
            ctx.writeAndFlush(Unpooled.wrappedBuffer(expected)).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    done.completeExceptionally(f.cause());
                }
            });
        }

        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg) {
            final ByteBuf buf = (ByteBuf) msg;
            try {
                while (buf.isReadable() && !done.isDone()) {
                    final int n = buf.readableBytes();
                    if (index >= count || received + n > size) {
                        done.completeExceptionally(new AssertionError("message " + index + ": " + (received + n)
                            + " bytes echoed, more than the " + size + " sent"));
                        return;
                    }
                    buf.readBytes(chunk, 0, n);
                    final int mismatch = Arrays.mismatch(chunk, 0, n, expected, received, received + n);
                    if (mismatch >= 0) {
                        done.completeExceptionally(new AssertionError("message " + index + ": echoed byte "
                            + (received + mismatch) + " differs from the one sent"));
                        return;
                    }
                    crc.update(chunk, 0, n);
                    received += n;
                    if (received == size) {
                        rttNanos[index] = System.nanoTime() - sentAt;
                        index++;
                        if (index == count) {
                            finish();
                        } else {
                            send(ctx);
                        }
                    }
                }
            } finally {
                buf.release();
            }
        }

        private void finish() {
            final long[] sorted = rttNanos.clone();
            Arrays.sort(sorted);
            final long p50us = count == 0 ? 0 : sorted[(count - 1) / 2] / 1_000;
            done.complete(String.format("OK crc=%08x messages=%d bytes=%d p50us=%d", crc.getValue(), count,
                (long) count * size, p50us));
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx) {
            done.completeExceptionally(new AssertionError("the connection closed after " + index + " of " + count
                + " messages"));
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }

    private static String client(final String host, final int port, final int count, final int size) throws Exception {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            final Pinger pinger = new Pinger(count, size);
            final Channel ch = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 20_000)
                .handler(pinger)
                .connect(host, port).sync().channel();
            final String result = pinger.done.get(60, TimeUnit.SECONDS);
            ch.close().sync();
            return result;
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
