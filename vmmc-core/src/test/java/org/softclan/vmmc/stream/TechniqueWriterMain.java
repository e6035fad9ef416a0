package org.softclan.vmmc.stream;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Vmmc;

/**
 * A byte-stream writer run in its own JVM by {@link StreamTechniqueCrossProcessTest}, one stream per
 * command, each with one send technique and the buffer discipline that technique's semantics allow.
 *
 * <pre>
 *   args: fabricDir service
 *   stdin: "run TECHNIQUE BYTES SEED MAXWRITE": connects to `service`, prints "connected", waits for a
 *          line "go", sends BYTES bytes of {@link StreamWriterMain#data}(SEED) in sends of 1..MAXWRITE
 *          bytes, prints "wrote N crc C ms T sends S notReady R dups D deposits Q hits H misses M engine E",
 *          closes the stream, prints "closed".
 *          A negative MAXWRITE means sends of exactly -MAXWRITE bytes (where the data block allows).
 *   "raw BYTES SEED SIZE": the same bytes as connection messages of SIZE bytes (no stream), for
 *          comparison; prints "wrote N crc C ms T" and closes the connection.
 *   "open TIMEOUTMS": connects a stream whose writes wait at most TIMEOUTMS ms, prints "connected";
 *          then "write TECHNIQUE BYTES SEED" writes BYTES bytes of {@link StreamWriterMain#data}(SEED) in
 *          one write and prints "ok", or "error SimpleClassName message"; "close" closes it and prints
 *          "closed".
 *   "quit": exits.
 * </pre>
 *
 * Buffer discipline: PIO and COPY_DMA send from one heap array and overwrite it as soon as the send
 * returned; PAGE_EXCHANGE sends one page and writes into it as soon as the send returned (a page in
 * flight is duplicated); DIRECT_DMA (two buffers from allocateSendBuffer) and V2P_DMA (two direct
 * buffers of the caller's) refill a buffer only once its ticket is ready, and count the sends whose
 * ticket was not ready when send returned.
 */
public final class TechniqueWriterMain {
    private TechniqueWriterMain() {
    }

    public static void main(final String[] args) throws Exception {
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("writer")) {
            System.out.println("ready");
            ByteStream session = null;
            String line;
            while ((line = in.readLine()) != null) {
                final String[] w = line.trim().split(" ");
                if (w[0].equals("quit")) {
                    break;
                }
                if (w[0].equals("raw")) {
                    raw(ep, args[1], Long.parseLong(w[1]), Long.parseLong(w[2]), Integer.parseInt(w[3]));
                } else if (w[0].equals("open")) {
                    session = ByteStreams.connect(ep, args[1], new ConnectionContext(),
                        new ByteStreamContext().writeTimeout(Long.parseLong(w[1]), TimeUnit.MILLISECONDS), 30,
                        TimeUnit.SECONDS);
                    System.out.println("connected");
                } else if (w[0].equals("write")) {
                    final byte[] b = Arrays.copyOf(StreamWriterMain.data(Long.parseLong(w[3])), Integer.parseInt(w[2]));
                    try {
                        session.write(ByteBuffer.wrap(b), SendTechnique.parse(w[1]));
                        System.out.println("ok");
                    } catch (final java.io.IOException | RuntimeException e) {
                        System.out.println("error " + e.getClass().getSimpleName() + " " + e.getMessage());
                    }
                } else if (w[0].equals("close")) {
                    session.close();
                    System.out.println("closed");
                } else if (w[0].equals("run")) {
                    run(ep, args[1], SendTechnique.parse(w[1]), Long.parseLong(w[2]), Long.parseLong(w[3]),
                        Integer.parseInt(w[4]), in);
                }
            }
        }
    }

    private static void raw(final Endpoint ep, final String service, final long bytes, final long seed, final int size)
        throws Exception {
        final byte[] block = StreamWriterMain.data(seed);
        final CRC32C crc = new CRC32C();
        try (Connection c = Vmmc.connect(ep, service, new ConnectionContext(), 30, TimeUnit.SECONDS)) {
            System.out.println("connected");
            final long start = System.nanoTime();
            long p = 0;
            while (p < bytes) {
                final int at = (int) (p % StreamWriterMain.BLOCK);
                final int n = (int) Math.min(Math.min(size, StreamWriterMain.BLOCK - at), bytes - p);
                c.send(block, at, n, 30, TimeUnit.SECONDS);
                crc.update(block, at, n);
                p += n;
            }
            System.out.println("wrote " + p + " crc " + crc.getValue() + " ms "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
        System.out.println("closed");
    }

    private static void run(final Endpoint ep, final String service, final SendTechnique t, final long bytes,
                            final long seed, final int maxWrite, final BufferedReader in) throws Exception {
        final byte[] block = StreamWriterMain.data(seed);
        final Random sizes = new Random(seed + 1);
        final ByteStream stream = ByteStreams.connect(ep, service, new ConnectionContext(),
            new ByteStreamContext().sendTechnique(t), 30, TimeUnit.SECONDS);
        System.out.println("connected");
        final String go = in.readLine();
        if (!"go".equals(go)) {
            throw new IllegalStateException("expected go, got " + go);
        }
        final CRC32C crc = new CRC32C();
        final int most = Math.abs(maxWrite);
        final byte[] scratch = new byte[most];
        final ByteBuffer[] bufs = new ByteBuffer[2];
        final SendTicket[] tickets = new SendTicket[2];
        if (t == SendTechnique.DIRECT_DMA) {
            bufs[0] = stream.allocateSendBuffer(most);
            bufs[1] = stream.allocateSendBuffer(most);
        } else if (t == SendTechnique.V2P_DMA) {
            bufs[0] = ByteBuffer.allocateDirect(most);
            bufs[1] = ByteBuffer.allocateDirect(most);
        }
        final Page page = t == SendTechnique.PAGE_EXCHANGE ? stream.newPage(most) : null;
        long notReady = 0;
        long sends = 0;
        final long start = System.nanoTime();
        long p = 0;
        while (p < bytes) {
            final int at = (int) (p % StreamWriterMain.BLOCK);
            final int size = maxWrite < 0 ? -maxWrite : 1 + sizes.nextInt(maxWrite);
            final int n = (int) Math.min(Math.min(size, StreamWriterMain.BLOCK - at), bytes - p);
            switch (t) {
                case PIO, COPY_DMA -> {
                    System.arraycopy(block, at, scratch, 0, n);
                    final SendTicket ticket = stream.send(ByteBuffer.wrap(scratch, 0, n));
                    if (!ticket.isReady()) {
                        throw new AssertionError(t + ": a classical send returned not ready");
                    }
                    Arrays.fill(scratch, 0, n, (byte) 0x5A);   // reuse at once: the sent bytes must not change
                }
                case DIRECT_DMA, V2P_DMA -> {
                    final int k = (int) (sends & 1);
                    if (tickets[k] != null) {
                        tickets[k].awaitReady(30, TimeUnit.SECONDS);   // the rule: reuse only once ready
                    }
                    bufs[k].clear();
                    bufs[k].put(block, at, n).flip();
                    tickets[k] = stream.send(bufs[k]);
                    if (!tickets[k].isReady()) {
                        notReady++;
                    }
                }
                case PAGE_EXCHANGE -> {
                    page.put(0, block, at, n);
                    if (!stream.send(page, 0, n).isReady()) {
                        throw new AssertionError("a page send returned not ready");
                    }
                    page.putLong(0, 0x5A5A5A5A5A5A5A5AL);   // write at once: duplicates the page if in flight
                }
            }
            crc.update(block, at, n);
            p += n;
            sends++;
        }
        for (final SendTicket ticket : tickets) {
            if (ticket != null) {
                ticket.awaitReady(30, TimeUnit.SECONDS);
            }
        }
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        final ByteStreamStats stats = stream.stats();
        final RegistrationCache cache = stats.registrationCache();
        System.out.println("wrote " + p + " crc " + crc.getValue() + " ms " + ms + " sends " + sends + " notReady "
            + notReady + " dups " + stats.pageDuplications() + " deposits " + stats.depositsSent() + " hits "
            + cache.hits() + " misses " + cache.misses() + " engine " + ep.dma().mode());
        if (page != null) {
            page.close();
        }
        stream.close();
        System.out.println("closed");
    }
}
