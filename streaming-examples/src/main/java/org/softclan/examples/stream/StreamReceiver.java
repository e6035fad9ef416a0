package org.softclan.examples.stream;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.ByteStreamContext;
import org.softclan.vmmc.stream.ByteStreams;
import org.softclan.vmmc.stream.ReceiveTechnique;
import org.softclan.vmmc.stream.StreamListener;
import org.softclan.vmmc.stream.StreamPeerGoneException;
import org.softclan.vmmc.stream.StreamTimeoutException;

/**
 * The receiving half of the streaming demo: reads one {@link StreamFormat} stream from a {@link ByteStream}
 * with a chosen {@link ReceiveTechnique}, and checks it: the payload's length against the header, its
 * CRC32C against the one the sender put in the trailer, nothing after the trailer, and for generated data
 * every byte against {@link StreamPattern}. A stream cut short (the sender stopped, died or closed early,
 * or fell silent for longer than the read timeout) is a failure, reported with how far it got. The result
 * is a {@link Report}, not an exception.
 *
 * <p>Reads go into one direct buffer of the chunk size (for {@link ReceiveTechnique#PRE_POSTED} and
 * {@link ReceiveTechnique#REDIRECTION}, the buffer each read posts); a read never asks for bytes beyond
 * the payload, so the header, payload and trailer arrive in reads of their own. The technique is the
 * stream's, fixed when it was made ({@link ByteStreamContext#receiveTechnique}): {@link #main} accepts
 * the sender's stream with the technique asked for.
 *
 * <p>Run as a program ({@link #main}) it listens on a service name for one {@link StreamSender}.
 */
public final class StreamReceiver {
    /** Name of the endpoint the program opens. */
    public static final String ENDPOINT = "stream-receiver";
    /** Default service name. */
    public static final String DEFAULT_SERVICE = "stream";
    /** Default size of the buffer reads go into. */
    public static final int DEFAULT_CHUNK = StreamSender.DEFAULT_CHUNK;
    /** Default longest silence of the sender, mid-stream, before the receiver gives up. */
    public static final long DEFAULT_IDLE_SECONDS = 60;

    private static final String USAGE = "usage: StreamReceiver --fabric DIR [--service NAME] [--out FILE]"
        + " [--receive-technique buffered|pre-posted|redirection] [--chunk BYTES] [--progress-ms MS]"
        + " [--idle-seconds S] [--accept-seconds S]\n"
        + "  Listens on NAME (default " + DEFAULT_SERVICE + ") for one StreamSender, receives and checks its stream,"
        + " and prints a line starting with 'result: INTACT' (exit code 0) or 'result: FAILED' (exit code 1)."
        + " --out writes the payload to FILE (only if it arrived intact). --progress-ms prints 'progress: RECEIVED"
        + " EXPECTED NANOS' lines. --accept-seconds 0 (the default) waits for a sender until Ctrl-C.";

    private final ByteStream stream;
    private final ReceiveTechnique technique;
    private final int chunk;
    private Observer observer = new Observer() {
    };
    private long progressNanos = TimeUnit.MILLISECONDS.toNanos(100);
    private volatile long received;

    /**
     * Told what a {@link StreamReceiver} is doing, on the receiving thread; it should return quickly.
     */
    public interface Observer {
        /**
         * The header arrived.
         *
         * @param header what the sender announced
         */
        default void onHeader(final StreamFormat.Header header) {
        }

        /**
         * Called at most once per progress interval while the payload arrives, and once when it is complete.
         *
         * @param received payload bytes received so far
         * @param expected payload bytes announced
         * @param nanos    since the header arrived
         */
        default void onProgress(final long received, final long expected, final long nanos) {
        }
    }

    /**
     * @param stream    the stream to read, made with {@code technique} as its receive technique
     *                  ({@link ByteStreamContext#receiveTechnique}); the caller closes it
     * @param technique how the stream receives (named in the report if it is not supported)
     * @param chunk     the size of the buffer reads go into, at least {@value StreamFormat#HEADER_LENGTH}
     */
    public StreamReceiver(final ByteStream stream, final ReceiveTechnique technique, final int chunk) {
        if (chunk < StreamFormat.HEADER_LENGTH) {
            throw new IllegalArgumentException("chunk size " + chunk + " must be at least "
                + StreamFormat.HEADER_LENGTH + " bytes");
        }
        this.stream = stream;
        this.technique = technique;
        this.chunk = chunk;
    }

    /**
     * @param interval the shortest time between two progress calls
     * @param unit     its unit
     * @param o        what to tell
     * @return this
     */
    public StreamReceiver observer(final long interval, final TimeUnit unit, final Observer o) {
        this.progressNanos = unit.toNanos(interval);
        this.observer = o;
        return this;
    }

    /** @return payload bytes received so far (readable from any thread) */
    public long bytesReceived() {
        return received;
    }

    /**
     * What a receive found.
     *
     * @param header        what the sender announced, or null if no valid header arrived
     * @param received      payload bytes received
     * @param crc           their CRC32C
     * @param senderCrc     the CRC32C in the sender's trailer, or null if no trailer arrived
     * @param firstMismatch for generated data, the stream position of the first byte that is not as
     *                      generated; -1 if none was found (or the payload is a file)
     * @param nanos         from the end of the header to the end of the stream (or the failure)
     * @param failures      what was wrong, empty if the payload arrived intact
     */
    public record Report(StreamFormat.Header header, long received, long crc, Long senderCrc, long firstMismatch,
                         long nanos, List<String> failures) {
        /** @return whether the whole payload arrived, with the length, checksum (and content) the sender sent */
        public boolean intact() {
            return failures.isEmpty();
        }

        /** @return payload gigabytes (10^9 bytes) per second */
        public double gigabytesPerSecond() {
            return nanos == 0 ? 0 : (double) received / nanos;
        }

        /** @return the verdict as one line, starting with {@code INTACT:} or {@code FAILED:} */
        public String describe() {
            if (intact()) {
                return String.format(Locale.ROOT, "INTACT: %s in %.3f s (%.2f GB/s); crc32c 0x%08x matches the"
                        + " sender's%s", header.describe(), nanos / 1e9, gigabytesPerSecond(), crc,
                    header.kind() == StreamFormat.Kind.GENERATED ? "; every byte as generated" : "");
            }
            return "FAILED: " + String.join("; ", failures)
                + (header != null ? "; received " + received + " of " + header.length() + " payload bytes" : "");
        }
    }

    /**
     * Receives and checks one stream, to its end.
     *
     * @param sink where to write the payload as it arrives, or null
     * @return what was found
     * @throws IOException only if writing to {@code sink} failed; stream failures are in the report
     */
    public Report receive(final WritableByteChannel sink) throws IOException {
        final List<String> failures = new ArrayList<>();
        final CRC32C crc = new CRC32C();
        long mismatch = -1;
        int mismatchValue = 0;
        StreamFormat.Header header = null;
        Long senderCrc = null;
        long start = System.nanoTime();
        long got = 0;
        try {
            final ByteBuffer buf = ByteBuffer.allocateDirect(chunk);
            buf.limit(StreamFormat.HEADER_LENGTH);
            final int headerBytes = readFully(buf);
            if (headerBytes < StreamFormat.HEADER_LENGTH) {
                failures.add("the stream ended after " + headerBytes + " bytes, inside the "
                    + StreamFormat.HEADER_LENGTH + "-byte header");
                return new Report(null, 0, crc.getValue(), null, -1, 0, failures);
            }
            buf.flip();
            header = StreamFormat.header(buf);
            start = System.nanoTime();
            observer.onHeader(header);
            final long length = header.length();
            final boolean generated = header.kind() == StreamFormat.Kind.GENERATED;
            long nextProgress = start + progressNanos;
            while (got < length) {
                buf.clear();
                buf.limit((int) Math.min(chunk, length - got));
                final int n = stream.read(buf);
                if (n < 0) {
                    failures.add("the sender ended the stream early, after " + got + " of " + length
                        + " payload bytes (short stream)");
                    break;
                }
                buf.flip();
                if (generated && mismatch < 0) {
                    mismatch = StreamPattern.mismatch(header.seed(), buf, got);
                    if (mismatch >= 0) {
                        mismatchValue = buf.get(buf.position() + (int) (mismatch - got)) & 0xFF;
                    }
                }
                crc.update(buf);
                if (sink != null) {
                    buf.rewind();
                    while (buf.hasRemaining()) {
                        sink.write(buf);
                    }
                }
                got += n;
                received = got;
                final long now = System.nanoTime();
                if (now >= nextProgress) {
                    observer.onProgress(got, length, now - start);
                    nextProgress = now + progressNanos;
                }
            }
            if (got == length) {
                observer.onProgress(got, length, System.nanoTime() - start);
                buf.clear();
                buf.limit(StreamFormat.TRAILER_LENGTH);
                final int trailerBytes = readFully(buf);
                if (trailerBytes < StreamFormat.TRAILER_LENGTH) {
                    failures.add("the stream ended " + trailerBytes + " bytes into the trailer, after the whole"
                        + " payload: no checksum from the sender");
                } else {
                    buf.flip();
                    final long[] trailer = StreamFormat.trailer(buf);
                    senderCrc = trailer[1];
                    if (trailer[0] != length) {
                        failures.add("the sender's trailer says it sent " + trailer[0] + " payload bytes, but its"
                            + " header announced " + length);
                    }
                    buf.clear();
                    buf.limit(1);
                    final int extra = stream.read(buf);
                    if (extra >= 0) {
                        failures.add("bytes follow the trailer: the stream does not end where the sender's"
                            + " header says");
                    }
                }
            }
        } catch (final StreamPeerGoneException e) {
            failures.add("the stream was cut short: the sender closed without ending it, or died ("
                + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + ")");
        } catch (final StreamTimeoutException e) {
            failures.add("the sender sent nothing for longer than the read timeout (" + e.getMessage() + ")");
        } catch (final IllegalArgumentException e) {
            failures.add(e.getMessage());
        } catch (final UnsupportedOperationException e) {
            failures.add("receive technique " + technique.cliName() + " is not supported here: " + e.getMessage());
        }
        final long nanos = System.nanoTime() - start;
        final long ours = crc.getValue();
        if (senderCrc != null && senderCrc != ours) {
            failures.add(String.format(Locale.ROOT, "crc32c differs: 0x%08x received, 0x%08x sent", ours, senderCrc));
        }
        if (mismatch >= 0) {
            failures.add(String.format(Locale.ROOT, "the payload differs from the generated data, first at byte %d"
                    + " (received 0x%02x, generated 0x%02x)", mismatch, mismatchValue,
                StreamPattern.byteAt(header.seed(), mismatch) & 0xFF));
        }
        return new Report(header, got, ours, senderCrc, mismatch, nanos, failures);
    }

    /** Reads until buf is full or the stream ends; returns the bytes read. */
    private int readFully(final ByteBuffer buf) throws IOException {
        final int start = buf.position();
        while (buf.hasRemaining()) {
            if (stream.read(buf) < 0) {
                break;
            }
        }
        return buf.position() - start;
    }

    // ------------------------------------------------------------------------------------- program

    /**
     * Listens for one {@link StreamSender}, receives its stream and prints the verdict.
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

    /** @return the exit code: 0 if the stream arrived intact, 1 if not (or on a failure), 2 on a usage error */
    static int run(final String[] args, final PrintWriter out, final PrintWriter err) {
        final Options o;
        try {
            final DemoArgs a = DemoArgs.parse(args, List.of("--fabric", "--service", "--out", "--receive-technique",
                "--chunk", "--progress-ms", "--idle-seconds", "--accept-seconds"));
            if (a.help()) {
                out.println(USAGE);
                return 0;
            }
            final String file = a.get("--out", null);
            final long progressMs = a.getLong("--progress-ms", 0);
            final long idleSeconds = a.getLong("--idle-seconds", DEFAULT_IDLE_SECONDS);
            final long acceptSeconds = a.getLong("--accept-seconds", 0);
            if (progressMs < 0 || idleSeconds < 0 || acceptSeconds < 0) {
                throw new DemoArgs.UsageException("--progress-ms, --idle-seconds and --accept-seconds must not be"
                    + " negative");
            }
            o = new Options(Path.of(a.required("--fabric")), a.get("--service", DEFAULT_SERVICE),
                file == null ? null : Path.of(file),
                DemoArgs.receiveTechnique(a.get("--receive-technique", ReceiveTechnique.BUFFERED.cliName())),
                (int) DemoArgs.parseSize("--chunk", a.get("--chunk", Integer.toString(DEFAULT_CHUNK)),
                    StreamFormat.HEADER_LENGTH, Integer.MAX_VALUE - 8),
                progressMs, idleSeconds, acceptSeconds);
        } catch (final DemoArgs.UsageException e) {
            err.println("StreamReceiver: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        return listenAndReceive(o, out, err);
    }

    /**
     * What {@link #listenAndReceive} does.
     *
     * @param fabric        the fabric's directory (created if missing)
     * @param service       the service name to listen on
     * @param out           where to write the payload if it arrives intact, or null
     * @param technique     the receive technique
     * @param chunk         the size of the buffer reads go into
     * @param progressMs    interval of the {@code progress:} lines, 0 for none
     * @param idleSeconds   the longest silence of the sender mid-stream, 0 for no limit
     * @param acceptSeconds the longest wait for a sender, 0 for no limit (until Ctrl-C)
     */
    public record Options(Path fabric, String service, Path out, ReceiveTechnique technique, int chunk,
                          long progressMs, long idleSeconds, long acceptSeconds) {
    }

    /**
     * The receiver program: opens the fabric, listens, prints a line starting with {@code ready:}, accepts
     * one sender, receives and checks its stream, and prints {@code receiving:}, optional {@code progress:
     * RECEIVED EXPECTED NANOS} and one {@code result: INTACT: ...} or {@code result: FAILED: ...} line to
     * {@code out}. On Ctrl-C or SIGTERM it closes the stream and the fabric's endpoint before the JVM exits.
     *
     * @return the exit code: 0 if the stream arrived intact, 1 if not
     */
    public static int listenAndReceive(final Options o, final PrintWriter out, final PrintWriter err) {
        final Path fabric = o.fabric();
        final String service = o.service();
        final Path outFile = o.out() == null ? null : o.out().toAbsolutePath();
        final ReceiveTechnique technique = o.technique();
        final int chunk = o.chunk();
        final long progressMs = o.progressMs();
        final long idleSeconds = o.idleSeconds();
        final long acceptSeconds = o.acceptSeconds();
        final DemoArgs.ShutdownGuard guard = new DemoArgs.ShutdownGuard("stream-receiver-shutdown");
        Path part = null;
        try (Fabric f = Fabric.open(fabric);
             Endpoint endpoint = f.openEndpoint(ENDPOINT)) {
            final ByteStream stream;
            try (StreamListener listener = ByteStreams.listen(endpoint, service, new ConnectionContext())) {
                guard.closeOnShutdown(listener);
                out.println("ready: stream receiver on service '" + service + "' in fabric " + f.root() + " (pid "
                    + ProcessHandle.current().pid() + ", receive technique " + technique.cliName() + ", chunks of "
                    + chunk + " bytes); waiting for a sender");
                out.flush();
                final ByteStreamContext settings = new ByteStreamContext().receiveTechnique(technique);
                if (idleSeconds > 0) {
                    settings.readTimeout(idleSeconds, TimeUnit.SECONDS);
                }
                stream = accept(listener, acceptSeconds, settings);
            }
            if (stream == null) {
                err.println("StreamReceiver: no sender connected within " + acceptSeconds + " s");
                return 1;
            }
            guard.closeOnShutdown(stream);
            try (stream) {
                final StreamReceiver receiver = new StreamReceiver(stream, technique, chunk);
                receiver.observer(progressMs, TimeUnit.MILLISECONDS, new Observer() {
                    @Override
                    public void onHeader(final StreamFormat.Header header) {
                        out.println("receiving: " + header.describe() + (outFile != null ? " into " + outFile : ""));
                        out.flush();
                    }

                    @Override
                    public void onProgress(final long got, final long expected, final long nanos) {
                        if (progressMs > 0) {
                            out.println("progress: " + got + " " + expected + " " + nanos);
                            out.flush();
                        }
                    }
                });
                final Report report;
                if (outFile != null) {
                    part = outFile.resolveSibling(outFile.getFileName() + ".part");
                    try (FileChannel sink = FileChannel.open(part, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                        report = receiver.receive(sink);
                    }
                } else {
                    report = receiver.receive(null);
                }
                if (report.intact() && part != null) {
                    Files.move(part, outFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    part = null;
                }
                out.println("result: " + report.describe() + (outFile == null ? ""
                    : report.intact() ? "; written to " + outFile : "; " + outFile + " not written"));
                out.flush();
                return report.intact() ? 0 : 1;
            }
        } catch (final IOException | DsmException | IllegalArgumentException | IllegalStateException e) {
            out.println("result: FAILED: " + DemoArgs.describe(e));
            out.flush();
            return 1;
        } finally {
            if (part != null) {
                try {
                    Files.deleteIfExists(part);
                } catch (final IOException e) {
                    err.println("StreamReceiver: could not remove " + part + ": " + e.getMessage());
                }
            }
            guard.done();
        }
    }

    /**
     * Waits for one sender, in 1 s slices (so that Ctrl-C, which closes the listener, is seen), and makes
     * its stream with {@code settings}; null if none.
     */
    private static ByteStream accept(final StreamListener listener, final long seconds,
                                     final ByteStreamContext settings) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            final ByteStream s = listener.accept(1, TimeUnit.SECONDS, settings);
            if (s != null || (seconds > 0 && System.nanoTime() - deadline >= 0)) {
                return s;
            }
        }
    }
}
