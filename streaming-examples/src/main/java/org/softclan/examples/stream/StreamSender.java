package org.softclan.examples.stream;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.ByteStreams;
import org.softclan.vmmc.stream.SendTechnique;
import org.softclan.vmmc.stream.SendTicket;

/**
 * The sending half of the streaming demo: writes a {@link StreamSource}'s payload to a {@link ByteStream}
 * framed as {@link StreamFormat} says, with a chosen {@link SendTechnique}, and the CRC32C of the bytes
 * it handed to the stream in the trailer.
 *
 * <p>Techniques with classical semantics (PIO, CopyDMA, page exchange) fill one buffer, {@link
 * ByteStream#write write} it (the buffer is free on return) and refill it. The zero-copy techniques
 * (DirectDMA, V2PDMA) pipeline {@value #PIPELINE_DEPTH} buffers: buffer {@code i} is filled while the
 * sends of the others are in flight, and a buffer is refilled only once the {@link SendTicket} of its
 * last send is ready. DirectDMA's buffers come from {@link ByteStream#allocateSendBuffer} (registered
 * memory); V2PDMA's are ordinary direct buffers, reused so that their registrations are cached. Every
 * send names its technique ({@link ByteStream#write(ByteBuffer, SendTechnique)},
 * {@link ByteStream#send(ByteBuffer, SendTechnique)}), so the stream's default
 * ({@link org.softclan.vmmc.stream.ByteStreamContext#sendTechnique}) does not matter.
 *
 * <p>Run as a program ({@link #main}) it connects to a {@link StreamReceiver} by service name.
 */
public final class StreamSender {
    /** Name of the endpoint the program opens. */
    public static final String ENDPOINT = "stream-sender";
    /** Default size of the buffers the payload is sent from. */
    public static final int DEFAULT_CHUNK = 64 * 1024;
    /** Default seed of generated data. */
    public static final long DEFAULT_SEED = 0x5EEDL;
    /** Buffers in flight at once with a zero-copy technique. */
    public static final int PIPELINE_DEPTH = 3;
    /** Longest wait for one send to become ready. */
    public static final long READY_TIMEOUT_SECONDS = 60;

    private static final int CONTROL_BUFFER = 64;
    private static final String USAGE = "usage: StreamSender --fabric DIR [--service NAME] (--size BYTES | --file PATH)"
        + " [--technique pio|copy-dma|direct-dma|v2p-dma|page-exchange] [--chunk BYTES] [--seed N]"
        + " [--connect-seconds S]\n"
        + "  Streams BYTES of generated data (sizes take k, m, g suffixes: 64k, 1g, 512MiB) or a file to the"
        + " StreamReceiver listening on NAME (default " + StreamReceiver.DEFAULT_SERVICE + "), then prints a line"
        + " starting with 'sent:'.";

    private final ByteStream stream;
    private final SendTechnique technique;
    private final int chunk;
    private volatile long sent;

    /**
     * @param stream    the stream to send on, whatever its default send technique; this sender ends its
     *                  output when done, the caller closes it
     * @param technique how to send: every send names it
     * @param chunk     the size of each buffer handed to the stream, at least 1
     */
    public StreamSender(final ByteStream stream, final SendTechnique technique, final int chunk) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk size " + chunk + " must be at least 1 byte");
        }
        this.stream = stream;
        this.technique = technique;
        this.chunk = chunk;
    }

    /**
     * What a send did.
     *
     * @param bytes        payload bytes sent
     * @param crc          their CRC32C, as put in the trailer
     * @param nanos        from before the header to the end of the output
     * @param technique    the send technique
     * @param chunk        the buffer size
     * @param blockedNanos time writes waited for room in the receiver's ring
     */
    public record Report(long bytes, long crc, long nanos, SendTechnique technique, int chunk, long blockedNanos) {
        /** @return payload gigabytes (10^9 bytes) per second */
        public double gigabytesPerSecond() {
            return nanos == 0 ? 0 : (double) bytes / nanos;
        }
    }

    /** @return payload bytes handed to the stream so far (for progress; readable from any thread) */
    public long bytesSent() {
        return sent;
    }

    /**
     * Sends the header, the whole payload of {@code source} and the trailer, then ends the stream's
     * output ({@link ByteStream#shutdownOutput()}).
     *
     * @param source the payload
     * @return what was sent
     * @throws IOException if the stream failed (the receiver went away, a send timed out) or the source
     *                     could not be read
     */
    public Report send(final StreamSource source) throws IOException {
        final ByteBuffer control = technique == SendTechnique.DIRECT_DMA ? stream.allocateSendBuffer(CONTROL_BUFFER)
            : ByteBuffer.allocateDirect(CONTROL_BUFFER);
        final long start = System.nanoTime();
        control.clear();
        StreamFormat.putHeader(source.header(), control);
        control.flip();
        stream.write(control, technique);

        final CRC32C crc = new CRC32C();
        if (technique.classicalSemantics()) {
            sendClassical(source, crc);
        } else {
            sendPipelined(source, crc);
        }

        control.clear();
        StreamFormat.putTrailer(source.length(), crc.getValue(), control);
        control.flip();
        stream.write(control, technique);
        stream.shutdownOutput();
        return new Report(source.length(), crc.getValue(), System.nanoTime() - start, technique, chunk,
            stream.stats().writeBlockedNanos());
    }

    /** One buffer: fill, checksum, write (free again on return). */
    private void sendClassical(final StreamSource source, final CRC32C crc) throws IOException {
        final ByteBuffer buf = ByteBuffer.allocateDirect(chunk);
        while (source.remaining() > 0) {
            fill(source, buf, crc);
            stream.write(buf, technique);
            sent += buf.limit();
        }
    }

    /** Several buffers in flight: a buffer is refilled only once its last send is ready. */
    private void sendPipelined(final StreamSource source, final CRC32C crc) throws IOException {
        final ByteBuffer[] buffers = new ByteBuffer[PIPELINE_DEPTH];
        final SendTicket[] tickets = new SendTicket[PIPELINE_DEPTH];
        for (int i = 0; i < PIPELINE_DEPTH; i++) {
            buffers[i] = technique == SendTechnique.DIRECT_DMA ? stream.allocateSendBuffer(chunk)
                : ByteBuffer.allocateDirect(chunk);
        }
        int slot = 0;
        while (source.remaining() > 0) {
            if (tickets[slot] != null) {
                tickets[slot].awaitReady(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                tickets[slot] = null;
            }
            final ByteBuffer buf = buffers[slot];
            fill(source, buf, crc);
            tickets[slot] = sendAll(buf);
            sent += buf.limit();
            slot = (slot + 1) % PIPELINE_DEPTH;
        }
        for (int i = 0; i < PIPELINE_DEPTH; i++) {
            if (tickets[i] != null) {
                tickets[i].awaitReady(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                tickets[i] = null;
            }
        }
    }

    /** Fills buf (position 0 to limit) with the next payload bytes and adds them to the checksum. */
    private void fill(final StreamSource source, final ByteBuffer buf, final CRC32C crc) throws IOException {
        buf.clear();
        buf.limit((int) Math.min(chunk, source.remaining()));
        source.next(buf);
        buf.flip();
        crc.update(buf);
        buf.rewind();
    }

    /** Sends all of buf's remaining bytes; returns the ticket of the send that carries the last of them. */
    private SendTicket sendAll(final ByteBuffer buf) throws IOException {
        SendTicket ticket = stream.send(buf, technique);
        while (buf.hasRemaining()) {
            // a partial send: the rest follows once it is ready (the bytes before it must not change)
            ticket.awaitReady(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            ticket = stream.send(buf, technique);
        }
        return ticket;
    }

    // ------------------------------------------------------------------------------------- program

    /**
     * Connects to a {@link StreamReceiver} and streams generated data or a file to it.
     *
     * @param args see {@code --help}
     */
    public static void main(final String[] args) {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        final PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, out, err));
    }

    /** @return the exit code: 0 if everything was sent, 1 on a failure, 2 on a usage error */
    static int run(final String[] args, final PrintWriter out, final PrintWriter err) {
        final Options o;
        try {
            final DemoArgs a = DemoArgs.parse(args, List.of("--fabric", "--service", "--size", "--file", "--technique",
                "--chunk", "--seed", "--connect-seconds"));
            if (a.help()) {
                out.println(USAGE);
                return 0;
            }
            final String sizeText = a.get("--size", null);
            final String fileText = a.get("--file", null);
            if ((sizeText == null) == (fileText == null)) {
                throw new DemoArgs.UsageException("give one of --size BYTES and --file PATH");
            }
            o = new Options(Path.of(a.required("--fabric")), a.get("--service", StreamReceiver.DEFAULT_SERVICE),
                sizeText == null ? -1 : DemoArgs.parseSize("--size", sizeText, 0),
                fileText == null ? null : Path.of(fileText),
                a.getLong("--seed", DEFAULT_SEED),
                DemoArgs.sendTechnique(a.get("--technique", SendTechnique.PIO.cliName())),
                (int) DemoArgs.parseSize("--chunk", a.get("--chunk", Integer.toString(DEFAULT_CHUNK)), 1,
                    Integer.MAX_VALUE - 8),
                a.getLong("--connect-seconds", 30));
        } catch (final DemoArgs.UsageException e) {
            err.println("StreamSender: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        return connectAndSend(o, out, err);
    }

    /**
     * What {@link #connectAndSend} does.
     *
     * @param fabric         the fabric's directory
     * @param service        the receiver's service name
     * @param size           bytes of generated data to send, or -1 to send {@code file}
     * @param file           the file to send, or null to send generated data
     * @param seed           the generator's seed
     * @param technique      the send technique
     * @param chunk          the size of each buffer handed to the stream
     * @param connectSeconds the longest wait for the receiver to accept
     */
    public record Options(Path fabric, String service, long size, Path file, long seed, SendTechnique technique,
                          int chunk, long connectSeconds) {
        /** Checks that exactly one of size and file is given. */
        public Options {
            if ((size < 0) == (file == null)) {
                throw new IllegalArgumentException("give either a size (at least 0) or a file, not both or neither");
            }
        }
    }

    /**
     * The sender program: opens the fabric, connects to the receiver, sends, and prints a line starting
     * with {@code connected:} and one starting with {@code sent:} to {@code out}, or one starting with
     * {@code StreamSender: failed} to {@code err}. On Ctrl-C or SIGTERM it closes the stream and the
     * fabric's endpoint before the JVM exits.
     *
     * @return the exit code: 0 if everything was sent, 1 if not
     */
    public static int connectAndSend(final Options o, final PrintWriter out, final PrintWriter err) {
        StreamSender sender = null;
        final DemoArgs.ShutdownGuard guard = new DemoArgs.ShutdownGuard("stream-sender-shutdown");
        try (StreamSource source = o.file() != null ? StreamSource.file(o.file()) : StreamSource.generated(o.size(), o.seed());
             Fabric f = Fabric.open(o.fabric());
             Endpoint endpoint = f.openEndpoint(ENDPOINT);
             ByteStream stream = ByteStreams.connect(endpoint, o.service(), new ConnectionContext(), o.connectSeconds(),
                 TimeUnit.SECONDS)) {
            guard.closeOnShutdown(stream);
            out.println("connected: to service '" + o.service() + "' in fabric " + f.root() + " (pid "
                + ProcessHandle.current().pid() + "); sending " + source.header().describe()
                + (o.file() != null ? " from " + o.file() : "") + " with send technique " + o.technique().cliName()
                + " in chunks of " + o.chunk() + " bytes");
            out.flush();
            sender = new StreamSender(stream, o.technique(), o.chunk());
            final Report r = sender.send(source);
            out.println(String.format(Locale.ROOT, "sent: %d bytes in %.3f s (%.2f GB/s), crc32c 0x%08x, technique"
                    + " %s, waited %d ms for room in the receiver's ring", r.bytes(), r.nanos() / 1e9,
                r.gigabytesPerSecond(), r.crc(), r.technique().cliName(),
                TimeUnit.NANOSECONDS.toMillis(r.blockedNanos())));
            out.flush();
            return 0;
        } catch (final IOException | DsmException | UnsupportedOperationException | IllegalArgumentException
                       | IllegalStateException e) {
            err.println("StreamSender: failed" + (sender != null ? " after " + sender.bytesSent() + " payload bytes"
                : "") + ": " + DemoArgs.describe(e));
            err.flush();
            return 1;
        } finally {
            guard.done();
        }
    }
}
