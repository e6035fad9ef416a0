package org.softclan.vmmc.stream;

import java.io.InterruptedIOException;

/**
 * A blocking read found no byte, or a blocking write could not hand over all its bytes, within the
 * stream's timeout ({@link ByteStreamContext#readTimeout}, {@link ByteStreamContext#writeTimeout}). For a write,
 * {@link #bytesTransferred} tells how many bytes were sent before the timeout (the source buffer's
 * position is advanced by exactly that many). The stream stays usable.
 */
public final class StreamTimeoutException extends InterruptedIOException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a read or write that timed out.
     *
     * @param message     names the stream and the timeout
     * @param transferred bytes a write sent before timing out (0 for reads)
     */
    public StreamTimeoutException(final String message, final int transferred) {
        super(message);
        this.bytesTransferred = transferred;
    }
}
