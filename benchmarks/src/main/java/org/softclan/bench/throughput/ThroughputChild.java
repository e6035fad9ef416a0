package org.softclan.bench.throughput;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import net.openhft.chronicle.core.Jvm;
import org.agrona.concurrent.UnsafeBuffer;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.ByteStreams;
import org.softclan.vmmc.stream.SendTechnique;
import org.softclan.vmmc.stream.SendTicket;

/**
 * The sending JVM of {@link ThroughputBench}: started by the measuring JVM with the fabric's directory,
 * it runs the commands that JVM writes to its standard input, one line each, and answers on its
 * standard output:
 *
 * <ul>
 *   <li>{@code send key=value ...}: connects to the receiver named in the pairs ({@link Config}'s
 *       settings plus the rendezvous: region, service, port, path or Aeron directory), sends, ends the
 *       stream and answers {@code sent bytes=N messages=M crc=C}; then waits for {@code done} and
 *       closes its end ({@code closed}). On failure it answers {@code error <message>}.</li>
 *   <li>{@code clock}: answers {@code clock <System.nanoTime()>}.</li>
 *   <li>{@code exit}.</li>
 * </ul>
 *
 * It exits when its parent process does.
 */
public final class ThroughputChild {
    private static final long CONNECT_SECONDS = 30;

    private ThroughputChild() {
    }

    /**
     * @param args the fabric's directory
     */
    public static void main(final String[] args) throws Exception {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        System.setProperty(ThroughputBench.SLF4J_VERBOSITY, "ERROR");
        ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
        final PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
            StandardCharsets.UTF_8);
        // Libraries that print to System.out must not mix with the answers.
        System.setOut(System.err);
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        final Map<String, Aeron> aerons = new HashMap<>();
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("tp-sender-" + ProcessHandle.current().pid())) {
            out.println("ready");
            String line;
            while ((line = in.readLine()) != null && !"exit".equals(line)) {
                if ("clock".equals(line)) {
                    out.println("clock " + System.nanoTime());
                } else if (line.startsWith("send ")) {
                    send(ep, aerons, Config.parseTokens(line.substring(5)), in, out);
                } else {
                    out.println("error unknown command: " + line);
                }
            }
        } finally {
            for (final Aeron a : aerons.values()) {
                a.close();
            }
        }
    }

    private static void send(final Endpoint ep, final Map<String, Aeron> aerons, final Map<String, String> pairs,
                             final BufferedReader in, final PrintStream out) throws IOException {
        SenderEnd end = null;
        try {
            final Config c = Config.fromMap(pairs);
            final int slots = Integer.parseInt(pairs.get("slots"));
            end = open(ep, aerons, c, pairs, slots);
            final long[] result = drive(end, c, slots);
            out.println("sent bytes=" + result[0] + " messages=" + result[1] + " crc=" + result[2]);
        } catch (final Throwable e) {
            if (end != null) {
                end.close();
            }
            out.println("error " + oneLine(e));
            return;
        }
        final String done = in.readLine();
        end.close();
        out.println("closed");
        if (!"done".equals(done)) {
            out.println("error expected 'done', got " + done);
        }
    }

    static String oneLine(final Throwable e) {
        final StringBuilder b = new StringBuilder(e.toString());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            b.append(" <- ").append(c);
        }
        return b.toString().replace('\n', ' ').replace('\r', ' ');
    }

    /** Sends the messages; returns {bytes, messages, crc or -1}. */
    static long[] drive(final SenderEnd end, final Config c, final int slots) throws IOException {
        final int size = c.size();
        for (int s = 0; s < slots; s++) {
            MessageCheck.fill(end.buffer(s), size, s);
        }
        final CRC32C crc = c.checksum() ? new CRC32C() : null;
        final long limit = c.messageLimit();
        final long rate = c.rate();
        final double period = rate > 0 ? 1e9 / rate : 0;
        final long start = System.nanoTime();
        final long deadline = start + c.sendNanos();
        long m = 0;
        while (limit < 0 || m < limit) {
            if (limit < 0 && (m & 15) == 0 && System.nanoTime() - deadline >= 0) {
                break;
            }
            final int slot = (int) (m % slots);
            end.awaitFree(slot);
            final ByteBuffer b = end.buffer(slot);
            long intended = 0;
            if (rate > 0) {
                intended = start + (long) (m * period);
                while (System.nanoTime() - intended < 0) {
                    Thread.onSpinWait();
                }
            }
            MessageCheck.header(b, m, intended);
            if (crc != null) {
                final ByteBuffer view = b.duplicate();
                view.limit(size).position(0);
                crc.update(view);
            }
            end.send(slot, size);
            m++;
        }
        end.finish();
        return new long[] {m * size, m, crc == null ? -1 : crc.getValue()};
    }

    static SenderEnd open(final Endpoint ep, final Map<String, Aeron> aerons, final Config c,
                          final Map<String, String> pairs, final int slots) throws IOException {
        switch (c.transport().kind()) {
            case RAW:
                return new RawSender(ep, pairs.get("region"), c, slots);
            case STREAM:
                return new StreamSender(ep, pairs.get("service"), c, slots);
            case AERON_IPC: {
                final String dir = pairs.get("aeron");
                final Aeron aeron = aerons.computeIfAbsent(dir,
                    d -> Aeron.connect(new Aeron.Context().aeronDirectoryName(d)));
                return new AeronSender(aeron, pairs.get("channel"), Integer.parseInt(pairs.get("stream")), c, slots);
            }
            case TCP: {
                final SocketChannel ch = SocketChannel.open();
                ch.setOption(StandardSocketOptions.SO_SNDBUF, c.ringBytes());
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(pairs.get("port"))));
                return new SocketSender(ch, c, slots);
            }
            case UDS: {
                final SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                trySetSendBuffer(ch, c.ringBytes());
                ch.connect(UnixDomainSocketAddress.of(pairs.get("path")));
                return new SocketSender(ch, c, slots);
            }
            default:
                throw new IllegalArgumentException("unknown transport " + c.transport());
        }
    }

    private static void trySetSendBuffer(final SocketChannel ch, final int bytes) {
        try {
            ch.setOption(StandardSocketOptions.SO_SNDBUF, bytes);
        } catch (final IOException | UnsupportedOperationException e) {
            // the platform default then
        }
    }

    /** A direct buffer of {@code size} bytes starting on a page boundary, little-endian. */
    static ByteBuffer pageAligned(final int size) {
        final int rounded = (size + 4095) & ~4095;
        final ByteBuffer b = ByteBuffer.allocateDirect(rounded + 4096).alignedSlice(4096);
        b.limit(size);
        return b.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    // ======================================================================================== ends

    /** The sending end of one transport. */
    interface SenderEnd {
        /** @return slot {@code s}'s message buffer (position and limit are the end's business) */
        ByteBuffer buffer(int slot);

        /** Waits until slot {@code s}'s buffer may be written again (its previous send is ready). */
        void awaitFree(int slot) throws IOException;

        /** Sends the first {@code size} bytes of slot {@code s}'s buffer. */
        void send(int slot, int size) throws IOException;

        /** Ends the stream after everything sent (waits for transfers still in flight). */
        void finish() throws IOException;

        /** Releases the end; never throws. */
        void close();
    }

    /** Writes into a {@link RawRing} in a region the receiver exported. */
    static final class RawSender implements SenderEnd {
        private final OutboundMapping out;
        private final RawRing ring;
        private final ByteBuffer[] buffers;
        private final long[] addresses;

        RawSender(final Endpoint ep, final String region, final Config c, final int slots) {
            this.out = ep.importRegion(region);
            final long base = out.address(0, RawRing.regionBytes(c.ringBytes()));
            this.ring = new RawRing(base, c.ringBytes(), () -> {
                if (!out.ownerAlive()) {
                    throw new IOException("the receiver of region " + region + " is gone");
                }
            });
            this.buffers = new ByteBuffer[slots];
            this.addresses = new long[slots];
            for (int s = 0; s < slots; s++) {
                buffers[s] = pageAligned(c.size());
                addresses[s] = Jvm.address(buffers[s]);
            }
        }

        @Override
        public ByteBuffer buffer(final int slot) {
            return buffers[slot];
        }

        @Override
        public void awaitFree(final int slot) {
            // the copy into the ring is done when send returns
        }

        @Override
        public void send(final int slot, final int size) throws IOException {
            ring.write(addresses[slot], size);
        }

        @Override
        public void finish() {
            ring.finish();
        }

        @Override
        public void close() {
            out.close();
        }
    }

    /** Writes to a {@link ByteStream} with one send technique. */
    static final class StreamSender implements SenderEnd {
        private final ByteStream stream;
        private final ByteBuffer[] buffers;
        private final SendTicket[] tickets;
        private final boolean pipelined;

        StreamSender(final Endpoint ep, final String service, final Config c, final int slots) {
            final ConnectionContext ctx = new ConnectionContext().ringCapacity(c.ringBytes())
                .waitStrategy(c.busySpin() ? WaitStrategy.busySpin() : WaitStrategy.competitive());
            final SendTechnique technique = c.transport().technique();
            this.stream = ByteStreams.connect(ep, service, ctx, CONNECT_SECONDS, TimeUnit.SECONDS);
            try {
                if (technique != SendTechnique.PIO) {
                    stream.sendTechnique(technique);
                }
                this.pipelined = !technique.classicalSemantics();
                this.buffers = new ByteBuffer[slots];
                this.tickets = new SendTicket[slots];
                for (int s = 0; s < slots; s++) {
                    buffers[s] = technique == SendTechnique.DIRECT_DMA
                        ? stream.allocateSendBuffer(c.size()).order(ByteOrder.LITTLE_ENDIAN)
                        : pageAligned(c.size());
                }
            } catch (final RuntimeException e) {
                stream.close();
                throw e;
            }
        }

        @Override
        public ByteBuffer buffer(final int slot) {
            return buffers[slot];
        }

        @Override
        public void awaitFree(final int slot) throws IOException {
            final SendTicket t = tickets[slot];
            if (t != null) {
                t.awaitReady(CONNECT_SECONDS, TimeUnit.SECONDS);
                tickets[slot] = null;
            }
        }

        @Override
        public void send(final int slot, final int size) throws IOException {
            final ByteBuffer b = buffers[slot];
            b.limit(size).position(0);
            if (pipelined) {
                tickets[slot] = stream.send(b);
            } else {
                stream.write(b);
            }
        }

        @Override
        public void finish() throws IOException {
            for (int s = 0; s < tickets.length; s++) {
                awaitFree(s);
            }
            stream.shutdownOutput();
        }

        @Override
        public void close() {
            stream.close();
        }
    }

    /** Offers to an Aeron exclusive publication: tryClaim up to the MTU's payload, else a fragmented offer. */
    static final class AeronSender implements SenderEnd {
        private final ExclusivePublication publication;
        private final ByteBuffer[] buffers;
        private final UnsafeBuffer[] views;
        private final BufferClaim claim = new BufferClaim();
        private final int maxPayload;

        AeronSender(final Aeron aeron, final String channel, final int streamId, final Config c, final int slots)
            throws IOException {
            this.publication = aeron.addExclusivePublication(channel, streamId);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONNECT_SECONDS);
            while (!publication.isConnected()) {
                if (System.nanoTime() - deadline > 0) {
                    publication.close();
                    throw new IOException("no Aeron subscriber on " + channel + " stream " + streamId);
                }
                Thread.onSpinWait();
            }
            if (c.size() > publication.maxMessageLength()) {
                publication.close();
                throw new IOException("message size " + c.size() + " exceeds the publication's largest message of "
                    + publication.maxMessageLength() + " bytes (an eighth of the term length); raise --ring");
            }
            this.maxPayload = publication.maxPayloadLength();
            this.buffers = new ByteBuffer[slots];
            this.views = new UnsafeBuffer[slots];
            for (int s = 0; s < slots; s++) {
                buffers[s] = pageAligned(c.size());
                views[s] = new UnsafeBuffer(buffers[s], 0, c.size());
            }
        }

        @Override
        public ByteBuffer buffer(final int slot) {
            return buffers[slot];
        }

        @Override
        public void awaitFree(final int slot) {
            // offer and tryClaim copy the bytes before returning
        }

        @Override
        public void send(final int slot, final int size) throws IOException {
            if (size <= maxPayload) {
                long r;
                int spins = 0;
                while ((r = publication.tryClaim(size, claim)) <= 0) {
                    spins = backOff(r, spins);
                }
                claim.buffer().putBytes(claim.offset(), views[slot], 0, size);
                claim.commit();
            } else {
                long r;
                int spins = 0;
                while ((r = publication.offer(views[slot], 0, size)) <= 0) {
                    spins = backOff(r, spins);
                }
            }
        }

        private int backOff(final long result, final int spins) throws IOException {
            if (result == Publication.NOT_CONNECTED || result == Publication.CLOSED
                || result == Publication.MAX_POSITION_EXCEEDED) {
                throw new IOException("Aeron publication failed: " + Publication.errorString(result));
            }
            Thread.onSpinWait();
            return spins + 1;
        }

        @Override
        public void finish() throws IOException {
            final UnsafeBuffer end = new UnsafeBuffer(new byte[1]);
            long r;
            int spins = 0;
            while ((r = publication.offer(end, 0, 1)) <= 0) {
                spins = backOff(r, spins);
            }
        }

        @Override
        public void close() {
            publication.close();
        }
    }

    /** Writes to a blocking TCP or Unix domain socket channel. */
    static final class SocketSender implements SenderEnd {
        private final SocketChannel channel;
        private final ByteBuffer[] buffers;

        SocketSender(final SocketChannel channel, final Config c, final int slots) throws IOException {
            this.channel = channel;
            channel.configureBlocking(true);
            this.buffers = new ByteBuffer[slots];
            for (int s = 0; s < slots; s++) {
                buffers[s] = pageAligned(c.size());
            }
        }

        @Override
        public ByteBuffer buffer(final int slot) {
            return buffers[slot];
        }

        @Override
        public void awaitFree(final int slot) {
            // write copies into the kernel before returning
        }

        @Override
        public void send(final int slot, final int size) throws IOException {
            final ByteBuffer b = buffers[slot];
            b.limit(size).position(0);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        @Override
        public void finish() throws IOException {
            channel.shutdownOutput();
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (final IOException e) {
                // closing anyway
            }
        }
    }
}
