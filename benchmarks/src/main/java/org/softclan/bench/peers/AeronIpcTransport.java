package org.softclan.bench.peers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@code aeron-ipc}: Aeron's shared-memory transport ({@code aeron:ipc}) between two JVMs.
 *
 * <p>The client JVM launches the one media driver, in a fresh temporary directory under
 * {@code /dev/shm} ({@code dirDeleteOnStart}, {@code dirDeleteOnShutdown}), set up for low latency as
 * Aeron's own samples do, scaled to a small machine: {@link ThreadingMode#SHARED} (one driver thread)
 * with a {@link BusySpinIdleStrategy}, non-sparse term files; IPC terms of {@value #TERM_LENGTH} bytes
 * (the default is 64 MiB; a ping-pong needs little, and the largest payload fits a term eighth). The
 * echo JVM connects an Aeron client to the same directory; it launches no driver.
 *
 * <p>Requests go on stream {@value #PING_STREAM}, responses on {@value #PONG_STREAM}, each side
 * publishing with an {@link ExclusivePublication}. Both sides poll their subscription in a busy loop
 * (one fragment at a time, through a {@link FragmentAssembler} so that payloads larger than the MTU are
 * reassembled) and offer with retry on back pressure. Each handler copies the message out of the log
 * buffer; the echo side checks it and offers its copy back.
 *
 * <p>On JDK 17 Aeron needs no JVM flags beyond those the harness passes anyway.
 */
final class AeronIpcTransport implements PeerTransport {
    static final String CHANNEL = "aeron:ipc";
    static final int PING_STREAM = 1001;
    static final int PONG_STREAM = 1002;
    static final int TERM_LENGTH = 8 << 20;
    private static final long CONNECT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long IDLE_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    @Override
    public String name() {
        return "aeron-ipc";
    }

    @Override
    public String description() {
        return "Aeron 1.51 aeron:ipc, embedded media driver (SHARED, busy spin), busy-spin polling";
    }

    @Override
    public boolean slow() {
        return false;
    }

    @Override
    public Client client(final int size) {
        return new AeronClient(size);
    }

    @Override
    public Echo echo(final int size) {
        return new AeronEcho(size);
    }

    /** Copies one message out of the log buffer into {@code copy}. */
    static final class Copy {
        final UnsafeBuffer copy;
        final FragmentAssembler assembler;
        int length = -1;

        Copy(final ByteBuffer into) {
            this.copy = new UnsafeBuffer(into);
            final FragmentHandler handler = (final DirectBuffer buffer, final int offset, final int len,
                                             final io.aeron.logbuffer.Header header) -> {
                if (len != copy.capacity()) {
                    throw new IllegalStateException("aeron message of " + len + " bytes, expected " + copy.capacity());
                }
                copy.putBytes(0, buffer, offset, len);
                this.length = len;
            };
            this.assembler = new FragmentAssembler(handler);
        }
    }

    /** Offers until accepted; fails if the publication is closed or the peer went away. */
    static void offer(final Publication pub, final UnsafeBuffer buffer, final int size, final long deadline) {
        long r;
        while ((r = pub.offer(buffer, 0, size)) < 0) {
            if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED || r == Publication.NOT_CONNECTED) {
                throw new IllegalStateException("aeron: offer failed: " + Publication.errorString(r));
            }
            Thread.onSpinWait();
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("aeron: back pressure did not clear in time ("
                    + Publication.errorString(r) + ")");
            }
        }
    }

    static final class AeronClient implements Client {
        private final int size;
        private final ByteBuffer requestBytes;
        private final UnsafeBuffer request;
        private final ByteBuffer responseBytes;
        private final Copy response;
        private Path dir;
        private MediaDriver driver;
        private Aeron aeron;
        private ExclusivePublication pub;
        private Subscription sub;

        AeronClient(final int size) {
            this.size = size;
            this.requestBytes = Payload.filledDirect(size);
            this.request = new UnsafeBuffer(requestBytes);
            this.responseBytes = Payload.filledDirect(size);
            this.response = new Copy(responseBytes);
        }

        @Override
        public Map<String, String> prepare() throws IOException {
            final Path shm = Paths.get("/dev/shm");
            dir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Paths.get(System.getProperty("java.io.tmpdir")),
                "softclan-aeron-");
            final String aeronDir = dir.resolve("aeron").toString();
            driver = MediaDriver.launch(new MediaDriver.Context()
                .aeronDirectoryName(aeronDir)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(new BusySpinIdleStrategy())
                .termBufferSparseFile(false)
                .ipcTermBufferLength(TERM_LENGTH)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true));
            aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir));
            pub = aeron.addExclusivePublication(CHANNEL, PING_STREAM);
            sub = aeron.addSubscription(CHANNEL, PONG_STREAM);
            return Map.of("dir", aeronDir);
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            final long deadline = System.nanoTime() + CONNECT_TIMEOUT_NANOS;
            while (!pub.isConnected() || !sub.isConnected()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("aeron: the echo side did not connect within 30 s (publication "
                        + (pub.isConnected() ? "" : "not ") + "connected, subscription "
                        + (sub.isConnected() ? "" : "not ") + "connected)");
                }
                Thread.onSpinWait();
            }
        }

        @Override
        public void roundTrip(final long seq, final long timeoutNanos) {
            final long deadline = System.nanoTime() + timeoutNanos;
            Payload.stamp(requestBytes, size, seq);
            offer(pub, request, size, deadline);
            response.length = -1;
            int spins = 0;
            while (sub.poll(response.assembler, 1) == 0 || response.length < 0) {
                Thread.onSpinWait();
                if ((++spins & 0xFFF) == 0 && System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("aeron: round trip " + seq + " got no answer within "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
                }
            }
            Payload.expect(responseBytes, size, seq);
        }

        @Override
        public Path scratch() {
            return dir;
        }

        @Override
        public void disconnect() {
            if (pub != null) {
                pub.close();
                pub = null;
            }
            if (sub != null) {
                sub.close();
                sub = null;
            }
        }

        @Override
        public void close() throws IOException {
            disconnect();
            if (aeron != null) {
                aeron.close();
                aeron = null;
            }
            if (driver != null) {
                driver.close();
                driver = null;
            }
            if (dir != null) {
                Files.deleteIfExists(dir);
                dir = null;
            }
        }
    }

    static final class AeronEcho implements Echo {
        private final int size;
        private final ByteBuffer bytes;
        private final Copy request;
        private Aeron aeron;
        private ExclusivePublication pub;
        private Subscription sub;

        AeronEcho(final int size) {
            this.size = size;
            this.bytes = Payload.filledDirect(size);
            this.request = new Copy(bytes);
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(clientParams.get("dir")));
            sub = aeron.addSubscription(CHANNEL, PING_STREAM);
            pub = aeron.addExclusivePublication(CHANNEL, PONG_STREAM);
            return Map.of();
        }

        @Override
        public long run(final BooleanSupplier stop) {
            final Payload.Sequence sequence = new Payload.Sequence();
            long idleSince = System.nanoTime();
            int spins = 0;
            while (true) {
                request.length = -1;
                if (sub.poll(request.assembler, 1) > 0 && request.length >= 0) {
                    sequence.next(Payload.check(bytes, size));
                    if (!pub.isConnected()) {
                        break;   // the client is gone
                    }
                    offer(pub, request.copy, size, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
                    spins = 0;
                    continue;
                }
                Thread.onSpinWait();
                if ((++spins & 0xFFF) == 0) {
                    final long now = System.nanoTime();
                    if (now - idleSince > IDLE_SLICE_NANOS) {
                        idleSince = now;
                        if (stop.getAsBoolean()) {
                            break;
                        }
                    }
                }
            }
            return sequence.count();
        }

        @Override
        public void close() {
            if (pub != null) {
                pub.close();
            }
            if (sub != null) {
                sub.close();
            }
            if (aeron != null) {
                aeron.close();
            }
        }
    }
}
