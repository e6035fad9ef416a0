package org.softclan.net;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Arrays;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.softclan.dsm.InboundMapping;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;

/**
 * Round trips across two hosts, for a first look (not the benchmark rig): a tripwire-signalled write
 * through the NIC agents, raw Aeron UDP with the same threading (an INVOKER driver on its own duty thread,
 * the program's thread polling), and TCP; each side waits with the same back-off idle strategy (spin,
 * yield, then parks of 1 to 100 us). Run by {@link TwoHostPingMain}.
 */
final class LinkPing {
    private LinkPing() {
    }

    private static IdleStrategy idle() {
        return new BackoffIdleStrategy(100, 10, 1_000, 100_000);
    }

    /** Echoes every value written to word 0 of {@code local} into word 0 of {@code remote}, on a thread. */
    static void echo(final NicAgent agent, final boolean drive, final TripwireUnit unit, final InboundMapping local,
                     final RemoteRegion remote) {
        unit.arm(local, Tripwire.Options.word(0));
        final Thread t = new Thread(() -> {
            final IdleStrategy idle = idle();
            while (true) {
                final int n = (drive ? agent.doWork() : 0) + unit.events().poll((s, id, cookie, region, offset, length,
                    value) -> remote.putLongRelease(0, value), 64);
                idle.idle(n);
            }
        }, "echo");
        t.setDaemon(true);
        t.start();
    }

    /** {@return the percentiles of {@code n} round trips}: a write of i to the remote word, until i comes back */
    static String ping(final NicAgent agent, final boolean drive, final TripwireUnit unit, final InboundMapping local,
                       final RemoteRegion remote, final int n, final int warm) {
        unit.arm(local, Tripwire.Options.word(0));
        final long[] rtt = new long[n];
        final long[] got = new long[1];
        final IdleStrategy idle = idle();
        for (int i = 1; i <= n + warm; i++) {
            final long t0 = System.nanoTime();
            remote.putLongRelease(0, i);
            got[0] = 0;
            while (got[0] != i) {
                idle.idle((drive ? agent.doWork() : 0)
                    + unit.events().poll((s, id, cookie, region, offset, length, value) -> got[0] = value, 64));
            }
            idle.reset();
            if (i > warm) {
                rtt[i - warm - 1] = System.nanoTime() - t0;
            }
        }
        return summary(rtt);
    }

    /** A raw Aeron UDP peer: its own INVOKER driver on a duty thread, as the NIC agent has. */
    static final class AeronPeer {
        final Aeron aeron;
        final Publication pub;
        final Subscription sub;
        /** The driver and client invokers, when the program's thread drives them (no duty thread). */
        private final AgentInvoker inlineDriver;
        private final AgentInvoker inlineClient;

        /**
         * @param inline whether the program's polling thread drives the driver and the client itself (one
         *               thread per host), instead of a duty thread of their own
         */
        AeronPeer(final Path dir, final String listen, final String peer, final boolean inline) {
            final MediaDriver d = MediaDriver.launch(new MediaDriver.Context().aeronDirectoryName(dir.toString())
                .dirDeleteOnStart(true).dirDeleteOnShutdown(true).threadingMode(ThreadingMode.INVOKER)
                .publicationTermBufferLength(NicAgent.TERM_LENGTH));
            final AgentInvoker driver = d.sharedAgentInvoker();
            this.aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir.toString())
                .driverAgentInvoker(driver).useConductorAgentInvoker(true));
            final AgentInvoker client = aeron.conductorAgentInvoker();
            this.sub = aeron.addSubscription("aeron:udp?endpoint=" + listen, 77);
            this.pub = aeron.addPublication("aeron:udp?endpoint=" + peer, 77);
            this.inlineDriver = inline ? driver : null;
            this.inlineClient = inline ? client : null;
            if (!inline) {
                final Thread t = new Thread(() -> {
                    final IdleStrategy idle = idle();
                    while (true) {
                        idle.idle(driver.invoke() + client.invoke());
                    }
                }, "aeron-duty");
                t.setDaemon(true);
                t.start();
            }
        }

        /** {@return work done by the driver and client, if this thread drives them} */
        int invoke() {
            return inlineDriver == null ? 0 : inlineDriver.invoke() + inlineClient.invoke();
        }

        void send(final UnsafeBuffer b) {
            while (pub.offer(b, 0, 8) < 0) {
                invoke();
                Thread.onSpinWait();
            }
            invoke();   // the driver sends it now
        }
    }

    static void aeronEcho(final AeronPeer p) {
        final Thread t = new Thread(() -> {
            final UnsafeBuffer out = new UnsafeBuffer(new byte[8]);
            final IdleStrategy idle = idle();
            while (true) {
                idle.idle(p.invoke() + p.sub.poll((b, o, l, h) -> {
                    out.putLong(0, b.getLong(o));
                    p.send(out);
                }, 16));
            }
        }, "aeron-echo");
        t.setDaemon(true);
        t.start();
    }

    static String aeronPing(final AeronPeer p, final int n, final int warm) {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[8]);
        final long[] got = new long[1];
        final long[] rtt = new long[n];
        final IdleStrategy idle = idle();
        while (!p.pub.isConnected()) {
            p.invoke();
            Thread.onSpinWait();
        }
        for (int i = 1; i <= n + warm; i++) {
            final long t0 = System.nanoTime();
            out.putLong(0, i);
            p.send(out);
            got[0] = 0;
            while (got[0] != i) {
                idle.idle(p.invoke() + p.sub.poll((b, o, l, h) -> got[0] = b.getLong(o), 16));
            }
            idle.reset();
            if (i > warm) {
                rtt[i - warm - 1] = System.nanoTime() - t0;
            }
        }
        return summary(rtt);
    }

    static void tcpEcho(final int port) throws IOException {
        final ServerSocket ss = new ServerSocket();
        ss.bind(new InetSocketAddress(port));
        final Thread t = new Thread(() -> {
            try (Socket s = ss.accept()) {
                s.setTcpNoDelay(true);
                final DataInputStream in = new DataInputStream(s.getInputStream());
                final DataOutputStream out = new DataOutputStream(s.getOutputStream());
                while (true) {
                    out.writeLong(in.readLong());
                    out.flush();
                }
            } catch (final IOException e) {
                // the pinger went away
            }
        }, "tcp-echo");
        t.setDaemon(true);
        t.start();
    }

    static String tcpPing(final String host, final int port, final int n, final int warm) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setTcpNoDelay(true);
            final DataInputStream in = new DataInputStream(s.getInputStream());
            final DataOutputStream out = new DataOutputStream(s.getOutputStream());
            final long[] rtt = new long[n];
            for (int i = 1; i <= n + warm; i++) {
                final long t0 = System.nanoTime();
                out.writeLong(i);
                out.flush();
                if (in.readLong() != i) {
                    throw new IOException("echo out of order");
                }
                if (i > warm) {
                    rtt[i - warm - 1] = System.nanoTime() - t0;
                }
            }
            return summary(rtt);
        }
    }

    private static String summary(final long[] rtt) {
        Arrays.sort(rtt);
        return String.format("p50=%.1f p90=%.1f p99=%.1f max=%.1f", rtt[rtt.length / 2] / 1e3,
            rtt[(int) (rtt.length * 0.9)] / 1e3, rtt[(int) (rtt.length * 0.99)] / 1e3, rtt[rtt.length - 1] / 1e3);
    }
}
