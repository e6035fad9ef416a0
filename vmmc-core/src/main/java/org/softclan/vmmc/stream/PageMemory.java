package org.softclan.vmmc.stream;

import java.nio.ByteBuffer;

import net.openhft.chronicle.core.Jvm;
import org.softclan.dsm.DmaTransfer;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.RegisteredMemory;

/** The registered memory behind a {@link Page}: a direct buffer, its registration, the last DMA reading it. */
final class PageMemory {
    final ByteBuffer buffer;
    final RegisteredMemory memory;
    final long address;
    final int capacity;
    /** The last transfer that reads this memory, or {@code null}. */
    volatile DmaTransfer busy;

    PageMemory(final Endpoint endpoint, final int capacity) {
        this.buffer = ByteBuffer.allocateDirect(capacity).order(java.nio.ByteOrder.nativeOrder());
        this.memory = endpoint.register(buffer);
        this.address = Jvm.address(buffer);
        this.capacity = capacity;
    }

    boolean inFlight() {
        final DmaTransfer t = busy;
        return t != null && !t.isDone();
    }
}
