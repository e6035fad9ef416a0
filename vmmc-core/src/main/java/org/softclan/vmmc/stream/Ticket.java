package org.softclan.vmmc.stream;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.DmaTransfer;

/** A {@link SendTicket}: ready at once, or once the DMA transfer that read the caller's buffer last ended. */
final class Ticket implements SendTicket {
    private final StreamWriter writer;
    private final SendTechnique technique;
    private final long bytes;
    private final DmaTransfer last;

    Ticket(final StreamWriter writer, final SendTechnique technique, final long bytes, final DmaTransfer last) {
        this.writer = writer;
        this.technique = technique;
        this.bytes = bytes;
        this.last = last;
    }

    @Override
    public SendTechnique technique() {
        return technique;
    }

    @Override
    public long bytes() {
        return bytes;
    }

    @Override
    public boolean isReady() {
        return last == null || last.isDone();
    }

    @Override
    public void awaitReady(final long timeout, final TimeUnit unit) throws IOException {
        if (last != null) {
            writer.awaitTransfer(last, unit.toNanos(timeout));
        }
    }

    @Override
    public String toString() {
        return technique + " send of " + bytes + " bytes, " + (isReady() ? "ready" : "in flight");
    }
}
