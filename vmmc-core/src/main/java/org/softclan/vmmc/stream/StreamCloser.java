package org.softclan.vmmc.stream;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.softclan.vmmc.Connection;

/**
 * The close protocol of a {@link ByteStream}, and the lifetime of the memory that received pages and
 * posted buffers show (the receive ring and the deposit region), which may be read on any thread.
 *
 * <p><b>Protocol</b>: {@link #close()} sets the closed flag once (under the close lock), then, holding
 * the write lock ({@link StreamWriter#closeOutput()}), ends the output and releases the sender's
 * memory, then, holding the read lock ({@link StreamReader#closeReading}), marks the memory as
 * releasing, waits up to {@value Connection#CLOSE_WAIT_MS} ms for accessors inside it to leave and
 * releases it if none is left; otherwise the last accessor to leave releases it. Releasing closes the
 * deposit region (under the post lock) and then the connection, once. So the locks are taken in the
 * order close, then write, then read (then post), never two of the first three at once.
 *
 * <p><b>Holds</b>: the stream holds its receive region ({@link org.softclan.dsm.Mapping#retain()}) and
 * registers its close with the endpoint ({@code closeFirst}): closing the endpoint closes the stream
 * before its connection, and whatever the endpoint closes under a page or buffer accessor still inside
 * stays mapped until the release here.
 *
 * <p><b>Memory order</b>: an accessor's increment of the user count is a full barrier, as is close's
 * volatile store of the closed flag: either the accessor sees the flag, or close sees the count.
 * {@link #releasing} is volatile; the release itself runs once (CAS).
 */
final class StreamCloser {
    private final StreamEnd end;
    private final StreamWriter writer;
    private final StreamReader reader;
    private final PostTable posts;
    private final Object closeLock = new Object();
    /** Threads inside a {@link ReceivedPage} or {@link PostedBuffer} accessor (they read the ring or the deposit region). */
    private final AtomicLong memoryUsers = new AtomicLong();
    /** Set once the deposit region and the connection were closed (by close or the last memory user out). */
    private final AtomicBoolean memoryReleased = new AtomicBoolean();
    /** Set by {@link #close()} once nothing but page and buffer accessors may still use the memory. */
    private volatile boolean releasing;
    /** The stream's counters in its endpoint's statistics: removed when it closes. */
    private final StreamGauges gauges;
    /** What the endpoint closes first: this stream (one object, so it can be forgotten again). */
    private final AutoCloseable dependent = this::close;

    /**
     * @param end    the stream's shared state
     * @param writer the stream's writer
     * @param reader the stream's reader
     * @param posts  the stream's post table
     */
    StreamCloser(final StreamEnd end, final StreamWriter writer, final StreamReader reader, final PostTable posts) {
        this.end = end;
        this.writer = writer;
        this.reader = reader;
        this.posts = posts;
        this.gauges = new StreamGauges(end, writer, reader, posts);
        if (!end.rx.retain()) {
            gauges.close();
            posts.closeDeposit();
            throw new org.softclan.dsm.ClosedException(end + ": its connection closed while the stream was made");
        }
        try {
            end.endpoint.closeFirst(dependent);
        } catch (final RuntimeException endpointClosed) {
            end.rx.release();
            gauges.close();
            posts.closeDeposit();
            throw endpointClosed;
        }
    }

    /** As {@link ByteStream#close()}. */
    void close() {
        synchronized (closeLock) {
            if (end.closed) {
                return;
            }
            end.closed = true;
        }
        try {
            writer.closeOutput();
        } finally {
            try {
                reader.closeReading(this);
            } finally {
                gauges.close();
                end.endpoint.forgetDependent(dependent);
            }
        }
    }

    /**
     * Close's last step, called holding the read lock: no reader is inside now, and none enters;
     * accessors of received pages and posted buffers may still be reading the ring or the deposit
     * region: unmap once they left.
     */
    void releaseWhenIdle() {
        releasing = true;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Connection.CLOSE_WAIT_MS);
        while (memoryUsers.get() != 0 && deadline - System.nanoTime() > 0) {
            LockSupport.parkNanos(50_000);
        }
        releaseMemoryIfIdle();   // else the last accessor to leave does it
    }

    /**
     * Counts a thread into the memory received pages and posted buffers show (the ring, the deposit
     * region), then checks the closed flag (the add is a full barrier, as is close's volatile store:
     * either this thread sees the flag or close sees the count).
     *
     * @param user the page or buffer accessed, for the message
     * @throws IllegalStateException if the stream is closed (its memory is gone or going)
     */
    void enterMemory(final Object user) {
        memoryUsers.incrementAndGet();
        if (end.closed) {
            leaveMemory();
            throw new IllegalStateException(user + ": " + end + " is closed");
        }
    }

    /** Counts the thread out again; the last one out of a closed stream unmaps its memory. */
    void leaveMemory() {
        if (memoryUsers.decrementAndGet() == 0 && releasing) {
            releaseMemoryIfIdle();
        }
    }

    /** Closes the deposit region and the connection once close is done with them and no accessor is inside. */
    private void releaseMemoryIfIdle() {
        if (!releasing || memoryUsers.get() != 0 || !memoryReleased.compareAndSet(false, true)) {
            return;
        }
        posts.closeDeposit();
        end.connection.close();
        end.rx.release();   // held since the stream was made: unmapped now if the connection's close was the last
    }

    @Override
    public String toString() {
        return "closer of " + end;
    }
}
