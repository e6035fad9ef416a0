package org.softclan.dsm.stat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.errors.DistinctErrorLog;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.ConcurrentCountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * An endpoint's counters and error log, in this process's memory, published to its statistics file
 * ({@link StatFileDescriptor}) every {@value StatPublisher#PERIOD_MS} ms by one thread of the JVM, where any
 * process can read them ({@link StatReader}, {@code vmmc stat}) with no cooperation from this one.
 *
 * <p><b>Counters</b> are Agrona's ({@link ConcurrentCountersManager}, {@link AtomicCounter}), each value on
 * its own 128 bytes: the hot paths update them in private memory with plain, release or atomic stores as
 * their writers need (one writer: {@code incrementRelease}; several: {@code increment}), never a lock or a
 * system call; the publisher copies them out. A reader sees each value as it was at the last publication
 * (at most about {@value StatPublisher#PERIOD_MS} ms old, the heartbeat says when), and a value may be torn
 * only if the kernel's copy splits an aligned 8-byte word, which it does not on the machines we run.
 *
 * <p><b>Errors</b> go to Agrona's {@link DistinctErrorLog}: one record per distinct error (type, message
 * and stack), with its count and the first and last time seen.
 *
 * <p><b>Why not a mapped file</b>: a peer of the fabric can cut any file in it; a store to a mapped page
 * cut from outside is a fault in whichever thread makes it (a SIGBUS in the interpreter). Written with
 * {@code pwrite}, a cut file costs at most a failed publication (it is written whole again next time),
 * never the owner.
 */
public final class EndpointStats implements AutoCloseable {
    /** Counters an endpoint can hold by default. */
    public static final int DEFAULT_COUNTERS = 1024;
    /** How long a freed counter's slot stays unused, in ms. */
    static final long FREE_TO_REUSE_MS = 10_000;
    /** Bytes of error log by default. */
    public static final int DEFAULT_ERROR_LOG_BYTES = 64 << 10;

    private final Path file;
    private final String endpoint;
    private final FileChannel channel;
    private final ByteBuffer header;
    private final ByteBuffer metaBytes;
    private final ByteBuffer valueBytes;
    private final ByteBuffer errorBytes;
    private final UnsafeBuffer valuesBuffer;
    private final ConcurrentCountersManager counters;
    private final DistinctErrorLog errors;
    private final int metadataLength;
    private final int valuesLength;
    /** Set when metadata or the error log changed since the last publication (they are written only then). */
    private final AtomicBoolean metaDirty = new AtomicBoolean(true);
    private final AtomicBoolean errorsDirty = new AtomicBoolean(true);
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The highest counter id allocated so far (guarded by this): the buffers are published up to it. */
    private int highestId = -1;
    private final java.util.concurrent.atomic.AtomicInteger unpublished = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.List<Runnable> beforePublish = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile String failure;

    private EndpointStats(final Path file, final String endpoint, final FileChannel channel, final int maxCounters,
                          final int errorLogBytes, final long pid, final long startMillis, final long livenessId) {
        this.file = file;
        this.endpoint = endpoint;
        this.channel = channel;
        this.valuesLength = maxCounters * CountersReader.COUNTER_LENGTH;
        this.metadataLength = maxCounters * CountersReader.METADATA_LENGTH;
        this.header = ByteBuffer.allocateDirect(StatFileDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        this.metaBytes = ByteBuffer.allocateDirect(metadataLength);
        this.valueBytes = ByteBuffer.allocateDirect(valuesLength);
        this.errorBytes = ByteBuffer.allocateDirect(errorLogBytes);
        this.valuesBuffer = new UnsafeBuffer(valueBytes);
        // a freed counter's slot is not reused for FREE_TO_REUSE_MS: a thread still finishing with the old object
        // (a handler, a caller, a gauge task) must not write into a new counter
        this.counters = new ConcurrentCountersManager(new UnsafeBuffer(metaBytes), valuesBuffer,
            StandardCharsets.UTF_8, System::currentTimeMillis, FREE_TO_REUSE_MS);
        this.errors = new DistinctErrorLog(new UnsafeBuffer(errorBytes), System::currentTimeMillis);
        StatFileDescriptor.writeHeader(header, pid, startMillis, livenessId, metadataLength, valuesLength,
            errorLogBytes, endpoint);
    }

    /**
     * Creates the statistics file of an endpoint and registers it with the JVM's publisher.
     *
     * @param dir         the fabric's statistics directory (created if missing, with {@code mode})
     * @param endpoint    the endpoint's name
     * @param pid         the owner's process id
     * @param startMillis the owner process's start time, ms since the epoch
     * @param livenessId  the endpoint's liveness id (names the file)
     * @param maxCounters counters it can hold
     * @param create      creates the file with the fabric's file mode (and opens it for writing)
     * @return the endpoint's statistics
     * @throws IOException if the file cannot be created
     */
    public static EndpointStats create(final Path dir, final String endpoint, final long pid, final long startMillis,
                                       final long livenessId, final int maxCounters, final FileCreator create)
        throws IOException {
        if (maxCounters < 1) {
            throw new IllegalArgumentException("an endpoint's statistics need room for at least one counter, not "
                + maxCounters);
        }
        final Path file = dir.resolve(Long.toHexString(livenessId) + StatFileDescriptor.SUFFIX);
        final FileChannel channel = create.create(file);
        try {
            final EndpointStats s = new EndpointStats(file, endpoint, channel, maxCounters, DEFAULT_ERROR_LOG_BYTES, pid,
                startMillis, livenessId);
            s.publish();
            if (s.failure != null) {
                throw new IOException(s.failure);
            }
            StatPublisher.register(s);
            return s;
        } catch (final IOException | RuntimeException | Error e) {
            try {
                channel.close();
                Files.deleteIfExists(file);
            } catch (final IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Statistics that are counted but not published (no file): for an endpoint whose file could not be made.
     *
     * @param endpoint the endpoint's name
     * @param why      why there is no file (the error log's first record)
     * @return the statistics; {@link #file()} is {@code null}
     */
    public static EndpointStats unpublished(final String endpoint, final Throwable why) {
        final EndpointStats s = new EndpointStats(null, endpoint, null, DEFAULT_COUNTERS, DEFAULT_ERROR_LOG_BYTES, 0, 0, 0);
        s.recordError(why);
        return s;
    }

    /** {@return the file's length this endpoint's buffers need} */
    private long fileLength() {
        return StatFileDescriptor.fileLength(metadataLength, valuesLength, errorBytes.capacity());
    }

    /** Creates a new file and opens it for writing. */
    @FunctionalInterface
    public interface FileCreator {
        /**
         * Creates the file (it must not exist) and opens it for writing.
         *
         * @param file the file
         * @return the channel
         * @throws IOException if it cannot be created
         */
        FileChannel create(Path file) throws IOException;
    }

    /** {@return the statistics file, or {@code null} if the endpoint has none ({@link #unpublished})} */
    public Path file() {
        return file;
    }

    /**
     * Allocates a counter, shown with this label and type by readers until {@link AtomicCounter#close()}.
     *
     * @param label  what it counts, with its unit and the object it belongs to (at most 380 bytes)
     * @param typeId what kind of counter it is ({@link StatTypes})
     * @return the counter, 0 at first; once the endpoint's {@link #DEFAULT_COUNTERS} are all in use, a counter
     *         that works but is not published (the first such is recorded in the error log)
     */
    public AtomicCounter counter(final String label, final int typeId) {
        final int id;
        try {
            id = counters.allocate(label, typeId);
        } catch (final IllegalStateException full) {
            if (unpublished.getAndIncrement() == 0) {
                recordError(new IllegalStateException("endpoint '" + endpoint + "': all " + counters.capacity()
                    + " counters are in use; later ones (first: '" + label + "') are not published", full));
            }
            return new AtomicCounter(new UnsafeBuffer(new byte[CountersReader.COUNTER_LENGTH]), 0);
        }
        synchronized (this) {
            highestId = Math.max(highestId, id);
        }
        metaDirty.set(true);
        return new Tracked(id);
    }

    /**
     * Records an error in the endpoint's log: a new record if no equal one (type, message, stack) is there,
     * else the existing one's count and last time. Never throws; allocation-free for a repeated error.
     *
     * @param error the error
     * @return whether it was recorded (false: the log is full)
     */
    public boolean recordError(final Throwable error) {
        final boolean r = errors.record(error);
        errorsDirty.set(true);
        return r;
    }

    /**
     * Runs {@code task} on the publisher's thread before each publication (to set gauges from the state they
     * describe), until the returned handle is closed. It must be quick; what it throws is recorded in the
     * error log and the publication goes on.
     *
     * @param task what to run
     * @return closing it removes the task
     */
    public AutoCloseable beforePublish(final Runnable task) {
        beforePublish.add(task);
        return () -> {
            synchronized (this) {   // after this, no publication runs the task (publish holds this lock)
                beforePublish.remove(task);
            }
        };
    }

    /** {@return whether {@link #close()} was called (the endpoint closed)} */
    public boolean isClosed() {
        return closed.get();
    }

    /** Records why a publication failed (the file is written whole next time). */
    void failed(final Throwable e) {
        failure = "statistics file " + file + ": " + e;
        metaDirty.set(true);
        errorsDirty.set(true);
    }

    /** {@return why the last publication failed, or {@code null}} */
    public String failure() {
        return failure;
    }

    /**
     * Writes the header, the heartbeat, the values and (if they changed) the metadata and error log to the
     * file. Called by the publisher; callable from any thread (for tests and a final flush).
     */
    synchronized void publish() {
        if (closed.get() || channel == null) {
            return;
        }
        for (final Runnable task : beforePublish) {
            try {
                task.run();
            } catch (final RuntimeException e) {
                recordError(e);
            } catch (final InternalError fault) {
                // a gauge read a region cut from outside: the counters are written all the same
                recordError(fault);
            }
        }
        try {
            if (channel.size() < fileLength()) {
                // new, or cut from outside: made whole (sparse) and written whole
                channel.write(ByteBuffer.allocate(1), fileLength() - 1);
                metaDirty.set(true);
                errorsDirty.set(true);
            }
            final boolean meta = metaDirty.getAndSet(false);
            final boolean errs = errorsDirty.getAndSet(false);
            // up to the highest counter id ever allocated: the rest of the buffers is zero, as the file is there
            final int used = highestId + 1;
            if (meta) {
                writeAll(metaBytes, used * CountersReader.METADATA_LENGTH, StatFileDescriptor.HEADER_LENGTH);
            }
            writeAll(valueBytes, used * CountersReader.COUNTER_LENGTH, StatFileDescriptor.valuesOffset(metadataLength));
            if (errs) {
                writeAll(errorBytes, errorBytes.capacity(), StatFileDescriptor.errorLogOffset(metadataLength, valuesLength));
            }
            header.putLong(StatFileDescriptor.HEARTBEAT_OFFSET, System.currentTimeMillis());
            writeAll(header, header.capacity(), 0);
            if (failure != null) {
                failure = null;
                metaDirty.set(true);   // the file may have been cut meanwhile: write it whole again
                errorsDirty.set(true);
            }
        } catch (final IOException | RuntimeException e) {
            failure = "statistics file " + file + ": " + e;
            metaDirty.set(true);
            errorsDirty.set(true);
        }
    }

    private void writeAll(final ByteBuffer from, final int length, final long position) throws IOException {
        final ByteBuffer b = from.duplicate().clear().limit(length);
        long at = position;
        while (b.hasRemaining()) {
            at += channel.write(b, at);
        }
    }

    /**
     * Stops publishing and removes the file: an endpoint
     * closed in order leaves nothing to look at (one killed leaves its file, with its last figures).
     * Idempotent.
     */
    @Override
    public void close() {
        StatPublisher.unregister(this);
        synchronized (this) {
            if (!closed.compareAndSet(false, true) || channel == null) {
                return;
            }
            try {
                channel.close();
            } catch (final IOException e) {
                // nothing more to write
            }
            try {
                Files.deleteIfExists(file);
            } catch (final IOException e) {
                // left behind: readers see it as an endpoint that is gone
            }
        }
    }

    @Override
    public String toString() {
        return "statistics of endpoint '" + endpoint + "' (" + file + ")";
    }

    /** A counter whose close marks the metadata changed, so readers stop showing it. */
    private final class Tracked extends AtomicCounter {
        Tracked(final int id) {
            super(valuesBuffer, id, counters);
        }

        @Override
        public void close() {
            super.close();
            metaDirty.set(true);
        }
    }

}
