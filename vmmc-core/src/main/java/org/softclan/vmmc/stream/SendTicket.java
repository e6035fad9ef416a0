package org.softclan.vmmc.stream;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The state of one send ({@link ByteStream#send}): whether the caller's buffer may be reused
 * (the analogue of the design-space study's DMA-ready test).
 */
public interface SendTicket {
    /** {@return the technique that moved (or is moving) the bytes} */
    SendTechnique technique();

    /** {@return the number of bytes this send carries} */
    long bytes();

    /** {@return whether the source buffer may be reused (always true once a classical send returned)} */
    boolean isReady();

    /**
     * Waits until the source buffer may be reused: returns at once for a ticket that is ready, else
     * waits for the DMA transfer that reads the buffer last, in slices of
     * {@value org.softclan.vmmc.Connection#LIVENESS_SLICE_MS} ms.
     *
     * @param timeout the longest wait, in {@code unit}s; 0 (or less) waits forever
     * @param unit    the unit of {@code timeout}
     * @throws StreamTimeoutException        if it was not ready within the timeout
     * @throws java.io.InterruptedIOException if the thread was interrupted while waiting (its interrupt
     *                                       status is set again)
     * @throws IOException                   if the transfer failed (the peer is gone, the stream closed)
     */
    void awaitReady(long timeout, TimeUnit unit) throws IOException;
}
