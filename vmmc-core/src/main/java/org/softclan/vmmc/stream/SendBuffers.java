package org.softclan.vmmc.stream;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import net.openhft.chronicle.core.Jvm;
import org.softclan.dsm.RegisteredMemory;

/**
 * The registered buffers of {@link SendTechnique#DIRECT_DMA} ({@link ByteStream#allocateSendBuffer}),
 * and the look-up of the buffer a send's bytes lie in. Deregistered when the stream closes.
 *
 * <p><b>Lock</b>: the list guards itself; allocating threads and the writer take it, the writer after
 * the write lock.
 */
final class SendBuffers {
    private final StreamEnd end;
    private final ArrayList<SendBuffer> buffers = new ArrayList<>();

    /** A registered direct buffer: its address and capacity, and its registration. */
    record SendBuffer(long address, int capacity, ByteBuffer buffer, RegisteredMemory memory) {
    }

    /**
     * @param end the stream's shared state
     */
    SendBuffers(final StreamEnd end) {
        this.end = end;
    }

    /** As {@link ByteStream#allocateSendBuffer(int)}. */
    ByteBuffer allocate(final int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("send buffer capacity " + capacity + " must be positive");
        }
        final ByteBuffer b = ByteBuffer.allocateDirect(capacity);
        final RegisteredMemory m = end.endpoint.register(b);
        synchronized (buffers) {
            buffers.add(new SendBuffer(Jvm.address(b), capacity, b, m));
        }
        return b;
    }

    /** {@return the registered buffer that holds all the remaining bytes of {@code src}, or {@code null}} */
    SendBuffer of(final ByteBuffer src) {
        if (!src.isDirect()) {
            return null;
        }
        final long at = Jvm.address(src) + src.position();
        synchronized (buffers) {
            for (final SendBuffer b : buffers) {
                if (at >= b.address && at + src.remaining() <= b.address + b.capacity) {
                    return b;
                }
            }
        }
        return null;
    }

    /** Forgets every buffer on close, adding their registrations to {@code toClose}. */
    void drainInto(final List<AutoCloseable> toClose) {
        synchronized (buffers) {
            for (final SendBuffer b : buffers) {
                toClose.add(b.memory);
            }
            buffers.clear();
        }
    }

    @Override
    public String toString() {
        return "send buffers of " + end;
    }
}
