package org.softclan.bench.rpc;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;

import org.softclan.bench.peers.PeerProcess;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.rpc.Codecs;
import org.softclan.vmmc.rpc.RpcMethod;
import org.softclan.vmmc.rpc.RpcServer;

/**
 * The serving JVM of {@code vmmc bench rpc}. Commands on standard input, one answer line each ({@code OK ...}
 * or {@code error ...}):
 *
 * <pre>
 * rpc SERVICE WORKERS STRATEGY   an RpcServer on SERVICE whose method 1 echoes a long ({@link #ECHO}): WORKERS
 *                                handler threads (0: the polling thread), the poller waiting with STRATEGY
 * tcp                            a TCP server on 127.0.0.1 (any port; answers OK PORT), a thread per
 *                                connection: each request ({@link #TCP_FRAME} bytes: a long id, a long
 *                                argument) answered with the same 16 bytes, the answers flushed whenever no
 *                                further request has arrived (pipelined requests get batched answers)
 * exit
 * </pre>
 */
public final class RpcBenchPeer {
    /** The null call: a long in, the same long out. */
    static final RpcMethod<Long, Long> ECHO = RpcMethod.of(1, "echo", Codecs.LONG, Codecs.LONG);
    /** Bytes of a TCP request or response: a call id and the argument (or result). */
    static final int TCP_FRAME = 16;

    private RpcBenchPeer() {
    }

    /**
     * @param args the fabric's directory
     * @throws IOException if standard input fails
     */
    public static void main(final String[] args) throws IOException {
        final RpcServer[] server = {null};
        try (Fabric fabric = Fabric.open(Path.of(args[0])); Endpoint ep = fabric.openEndpoint("rpc-bench-server")) {
            PeerProcess.serveCommands(c -> switch (c[0]) {
                case "rpc" -> {
                    server[0] = RpcServer.create(ep, c[1], new RpcServer.Context().workers(Integer.parseInt(c[2]))
                        .waitStrategy(WaitStrategy.named(c[3]))).handle(ECHO, x -> x).start();
                    yield "";
                }
                case "tcp" -> Integer.toString(tcpServe());
                default -> throw new IllegalArgumentException("the commands are rpc, tcp and exit");
            });
            if (server[0] != null) {
                server[0].close();
            }
        }
    }

    private static int tcpServe() throws IOException {
        final ServerSocket ss = new ServerSocket();
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        final Thread acceptor = new Thread(() -> {
            while (true) {
                final Socket s;
                try {
                    s = ss.accept();
                } catch (final IOException e) {
                    return;
                }
                final Thread t = new Thread(() -> echo(s), "tcp-echo");
                t.setDaemon(true);
                t.start();
            }
        }, "tcp-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return ss.getLocalPort();
    }

    private static void echo(final Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            final BufferedInputStream raw = new BufferedInputStream(s.getInputStream(), 1 << 16);
            final DataInputStream in = new DataInputStream(raw);
            final DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
            while (true) {
                final long id = in.readLong();
                final long argument = in.readLong();
                out.writeLong(id);
                out.writeLong(argument);
                if (raw.available() < TCP_FRAME) {
                    out.flush();   // nothing more to answer now: send the batch
                }
            }
        } catch (final EOFException e) {
            // the client closed
        } catch (final IOException e) {
            System.err.println("tcp echo: " + e);
        }
    }
}
