package org.softclan.bench.peers;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.BufferClaim;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@code aeron-ipc}: Aeron's shared-memory transport ({@code aeron:ipc}) between two JVMs.
 *
 * <p>Round trip: the client JVM launches the media driver, in a fresh temporary directory under
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
 * <p>One way: the measuring JVM launches a media driver once per session, in the {@link Rig}'s scratch
 * directory, in {@link ThreadingMode#INVOKER} mode: its duty cycle runs on a background thread that sleeps 100 µs
 * between cycles while no measurement runs, and on the receiving thread itself during a measurement
 * (whenever a poll finds nothing, and every 8th read), so that the measurement has two busy threads, the
 * sender and the receiver, as every other transport has ({@link DriverDuty}). Channel
 * {@code aeron:ipc?term-length=<ring>}, one stream per measurement; the sender offers to an exclusive
 * publication (tryClaim up to the MTU's payload, else offer, which fragments) and ends the stream with a
 * 1-byte message; the receiver polls a subscription through a fragment assembler with a
 * {@link BusySpinIdleStrategy}, copying each message into the caller's buffer.
 *
 * <p>On JDK 17 Aeron needs no JVM flags beyond those the harness passes anyway.
 */
final class AeronIpcTransport extends PeerTransport {
    static final String CHANNEL = "aeron:ipc";
    static final int PING_STREAM = 1001;
    static final int PONG_STREAM = 1002;
    static final int TERM_LENGTH = 8 << 20;
    private static final long CONNECT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    AeronIpcTransport() {
        super("aeron-ipc", "Aeron 1.51 aeron:ipc, embedded media driver (SHARED, busy spin), busy-spin polling", false,
            true);
    }

    @Override
    protected Link link(final int size, final boolean client) {
        return new AeronLink(size, client);
    }

    /** @return a media driver's settings common to both uses: its directory, removed on start and shutdown */
    static MediaDriver.Context driverContext(final String dir) {
        return new MediaDriver.Context().aeronDirectoryName(dir).dirDeleteOnStart(true).dirDeleteOnShutdown(true);
    }

    @Override
    public Receiver receiver(final Config c, final Rig rig, final Map<String, String> toSender) {
        final DriverDuty driver = rig.shared("aeron-ipc driver", () -> new DriverDuty(rig.scratch()
            .resolve("aeron-ipc").toString()));
        final int stream = 1000 + rig.nextId();
        final String channel = "aeron:ipc?term-length=" + Math.max(64 * 1024, c.ringBytes());
        toSender.put("aeron", driver.dir);
        toSender.put("channel", channel);
        toSender.put("stream", Integer.toString(stream));
        return new OneWayReceiver(driver.aeron.addSubscription(channel, stream), driver, c.size());
    }

    @Override
    public Sender sender(final Config c, final Rig rig, final Map<String, String> fromReceiver, final int slots)
        throws IOException {
        final String dir = fromReceiver.get("aeron");
        final Aeron aeron = rig.shared("aeron " + dir, () -> Aeron.connect(new Aeron.Context().aeronDirectoryName(dir)));
        return new OneWaySender(aeron, fromReceiver.get("channel"), Integer.parseInt(fromReceiver.get("stream")), c,
            slots);
    }

    /**
     * One side of a round trip: the client launches the media driver and publishes on
     * {@value #PING_STREAM}, the echo side connects to it and publishes on {@value #PONG_STREAM}; each
     * subscribes to the other's stream. A message is copied out of the log buffer into the message buffer
     * (through a {@link FragmentAssembler}, so that payloads larger than the MTU are reassembled); a send
     * offers with retry on back pressure.
     */
    static final class AeronLink extends Link {
        private final boolean client;
        private final UnsafeBuffer copy;
        private final FragmentAssembler assembler;
        private int length = -1;
        private Path dir;
        private MediaDriver driver;
        private Aeron aeron;
        private ExclusivePublication pub;
        private Subscription sub;

        AeronLink(final int size, final boolean client) {
            super("aeron", size, true);
            this.client = client;
            this.copy = new UnsafeBuffer(message);
            this.assembler = new FragmentAssembler((final DirectBuffer buffer, final int offset, final int len,
                                                    final io.aeron.logbuffer.Header header) -> {
                if (len != size) {
                    throw new IllegalStateException("aeron message of " + len + " bytes, expected " + size);
                }
                copy.putBytes(0, buffer, offset, len);
                this.length = len;
            });
        }

        @Override
        public Map<String, String> prepare() throws IOException {
            dir = Rig.shmDirectory("softclan-aeron-");
            final String aeronDir = dir.resolve("aeron").toString();
            driver = MediaDriver.launch(driverContext(aeronDir)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(new BusySpinIdleStrategy())
                .termBufferSparseFile(false)
                .ipcTermBufferLength(TERM_LENGTH));
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
        public Map<String, String> open(final Map<String, String> clientParams) {
            aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(clientParams.get("dir")));
            sub = aeron.addSubscription(CHANNEL, PING_STREAM);
            pub = aeron.addExclusivePublication(CHANNEL, PONG_STREAM);
            return Map.of();
        }

        /** Offers until accepted; fails if the publication is closed, the peer went away or back pressure stays. */
        @Override
        protected void send(final long seq) throws EOFException {
            if (!client && !pub.isConnected()) {
                throw new EOFException("the client is gone");
            }
            long deadline = 0;
            long r;
            while ((r = pub.offer(copy, 0, size)) < 0) {
                if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED || r == Publication.NOT_CONNECTED) {
                    throw new IllegalStateException("aeron: offer failed: " + Publication.errorString(r));
                }
                Thread.onSpinWait();
                final long now = System.nanoTime();
                if (deadline == 0) {
                    deadline = now + SEND_TIMEOUT_NANOS;
                } else if (now - deadline > 0) {
                    throw new IllegalStateException("aeron: back pressure did not clear in time ("
                        + Publication.errorString(r) + ")");
                }
            }
        }

        @Override
        protected boolean receive(final long timeoutNanos) {
            final long deadline = System.nanoTime() + timeoutNanos;
            length = -1;
            int spins = 0;
            while (sub.poll(assembler, 1) == 0 || length < 0) {
                Thread.onSpinWait();
                if ((++spins & 0xFFF) == 0 && System.nanoTime() - deadline > 0) {
                    return false;
                }
            }
            return true;
        }

        @Override
        protected boolean peerGone(final Exception e) {
            return e instanceof EOFException;
        }

        @Override
        public Path scratch() {
            return dir;
        }

        @Override
        public void disconnect() {
            CloseHelper.closeAll(pub, sub);
            pub = null;
            sub = null;
        }

        @Override
        public void close() throws IOException {
            disconnect();
            CloseHelper.closeAll(aeron, driver);
            aeron = null;
            driver = null;
            if (dir != null) {
                Files.deleteIfExists(dir);
                dir = null;
            }
        }
    }

    /**
     * The one-way media driver of a session ({@link ThreadingMode#INVOKER}) and a client of it. Its duty
     * cycle runs on a background thread that sleeps 100 µs between cycles while no measurement runs, and
     * on the receiving thread, which {@link #take() takes} the invoker for the length of a measurement.
     */
    static final class DriverDuty implements AutoCloseable {
        final String dir;
        final Aeron aeron;
        private final MediaDriver driver;
        private final AgentInvoker invoker;
        private final ReentrantLock lock = new ReentrantLock();
        private final Thread thread;
        private volatile boolean running = true;

        DriverDuty(final String dir) {
            this.dir = dir;
            this.driver = MediaDriver.launch(driverContext(dir).threadingMode(ThreadingMode.INVOKER));
            this.invoker = driver.sharedAgentInvoker();
            this.thread = new Thread(this::loop, "aeron-driver-duty");
            thread.setDaemon(true);
            thread.start();
            this.aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir));
        }

        private void loop() {
            while (running) {
                lock.lock();
                try {
                    if (running) {
                        invoker.invoke();
                    }
                } finally {
                    lock.unlock();
                }
                LockSupport.parkNanos(100_000);
            }
        }

        /** @return the invoker, for the calling thread alone until {@link #give()} */
        AgentInvoker take() {
            lock.lock();
            return invoker;
        }

        void give() {
            lock.unlock();
        }

        @Override
        public void close() {
            aeron.close();
            running = false;
            try {
                thread.join(5_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            driver.close();
        }
    }

    /** Reads a one-way stream from a subscription, running the driver's duty cycle while it waits. */
    static final class OneWayReceiver implements Receiver {
        private final Subscription subscription;
        private final FragmentAssembler assembler;
        private final DriverDuty duty;
        private final BusySpinIdleStrategy idleStrategy = new BusySpinIdleStrategy();
        private final int size;
        private ByteBuffer target;
        private ByteBuffer overflow = ByteBuffer.allocateDirect(0);
        private boolean eof;
        private Liveness peer;
        private AgentInvoker invoker;
        private int reads;
        /** Fragments one message takes (the MTU's payload is the MTU less a 32-byte frame header). */
        private int fragmentsPerMessage = 1;

        OneWayReceiver(final Subscription subscription, final DriverDuty duty, final int size) {
            this.subscription = subscription;
            this.duty = duty;
            this.size = size;
            this.assembler = new FragmentAssembler((buffer, offset, length, header) -> {
                if (length == 1) {
                    eof = true;
                    return;
                }
                final ByteBuffer t = target;
                if (!overflow.hasRemaining() && t.remaining() >= length) {
                    buffer.getBytes(offset, t, t.position(), length);
                    t.position(t.position() + length);
                } else {
                    keep(buffer, offset, length);
                }
            });
        }

        private void keep(final DirectBuffer buffer, final int offset, final int length) {
            if (overflow.capacity() - overflow.limit() < length) {
                final ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(2 * overflow.capacity(),
                    overflow.remaining() + length));
                bigger.put(overflow);
                bigger.flip();
                overflow = bigger;
            }
            final int at = overflow.limit();
            overflow.limit(at + length);
            buffer.getBytes(offset, overflow, at, length);
        }

        @Override
        public void start(final Liveness peer) throws IOException {
            this.peer = peer;
            invoker = duty.take();
            int idle = 0;
            while (subscription.imageCount() == 0) {
                if (invoker.invoke() == 0) {
                    Thread.onSpinWait();
                }
                if (++idle == 1 << 12) {
                    idle = 0;
                    peer.check();
                }
            }
            final int payload = subscription.imageAtIndex(0).mtuLength() - 32;
            fragmentsPerMessage = (size + payload - 1) / payload;
        }

        /** A message is never split across reads: the buffer holds at least one. */
        @Override
        public int readSize(final Config c) {
            return Math.max(c.effectiveReadSize(), c.size());
        }

        @Override
        public int read(final ByteBuffer dst) throws IOException {
            if ((++reads & 7) == 0) {
                invoker.invoke();
            }
            final int start = dst.position();
            if (overflow.hasRemaining()) {
                final int n = Math.min(overflow.remaining(), dst.remaining());
                final ByteBuffer part = overflow.duplicate();
                part.limit(part.position() + n);
                dst.put(part);
                overflow.position(overflow.position() + n);
                if (!overflow.hasRemaining()) {
                    overflow.clear().limit(0);
                }
                return n;
            }
            if (eof) {
                return -1;
            }
            target = dst;
            // as many fragments as make the messages dst has room for: none need keeping for later
            final int limit = Math.max(1, dst.remaining() / size) * fragmentsPerMessage;
            int idle = 0;
            while (dst.position() == start && !overflow.hasRemaining() && !eof) {
                final int fragments = subscription.poll(assembler, limit);
                if (fragments == 0) {
                    invoker.invoke();
                    if (++idle == 1 << 16) {
                        idle = 0;
                        peer.check();
                    }
                }
                idleStrategy.idle(fragments);
            }
            target = null;
            if (dst.position() == start) {
                return overflow.hasRemaining() ? read(dst) : -1;
            }
            return dst.position() - start;
        }

        @Override
        public void stopReading() {
            if (invoker != null) {
                invoker = null;
                duty.give();
            }
        }

        @Override
        public void close() {
            stopReading();
            subscription.close();
        }
    }

    /** Offers a one-way stream to an exclusive publication: tryClaim up to the MTU's payload, else offer. */
    static final class OneWaySender extends SlotSender {
        private final ExclusivePublication publication;
        private final UnsafeBuffer[] views;
        private final BufferClaim claim = new BufferClaim();
        private final int maxPayload;

        OneWaySender(final Aeron aeron, final String channel, final int streamId, final Config c, final int slots)
            throws IOException {
            super(slots, c.size());
            this.publication = aeron.addExclusivePublication(channel, streamId);
            final long deadline = System.nanoTime() + CONNECT_TIMEOUT_NANOS;
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
            this.views = new UnsafeBuffer[slots];
            for (int s = 0; s < slots; s++) {
                views[s] = new UnsafeBuffer(buffers[s], 0, c.size());
            }
        }

        @Override
        public void send(final int slot, final int size) throws IOException {
            long r;
            if (size <= maxPayload) {
                while ((r = publication.tryClaim(size, claim)) <= 0) {
                    backOff(r);
                }
                claim.buffer().putBytes(claim.offset(), views[slot], 0, size);
                claim.commit();
            } else {
                while ((r = publication.offer(views[slot], 0, size)) <= 0) {
                    backOff(r);
                }
            }
        }

        private static void backOff(final long result) throws IOException {
            if (result == Publication.NOT_CONNECTED || result == Publication.CLOSED
                || result == Publication.MAX_POSITION_EXCEEDED) {
                throw new IOException("Aeron publication failed: " + Publication.errorString(result));
            }
            Thread.onSpinWait();
        }

        @Override
        public void finish() throws IOException {
            final UnsafeBuffer end = new UnsafeBuffer(new byte[1]);
            long r;
            while ((r = publication.offer(end, 0, 1)) <= 0) {
                backOff(r);
            }
        }

        @Override
        public void close() {
            publication.close();
        }
    }
}
