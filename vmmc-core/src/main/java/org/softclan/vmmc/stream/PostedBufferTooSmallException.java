package org.softclan.vmmc.stream;

import java.io.IOException;

/**
 * A send to a peer that receives {@link ReceiveTechnique#PRE_POSTED} was larger than the buffer the
 * peer posted next. Nothing was written and the buffer stays posted (the next send that fits fills it);
 * the stream stays usable.
 */
public final class PostedBufferTooSmallException extends IOException {
    private static final long serialVersionUID = 1L;
    /** Bytes the refused send carried. */
    private final long transferBytes;
    /** Capacity of the buffer the peer had posted, in bytes. */
    private final long postedBytes;

    PostedBufferTooSmallException(final String message, final long transferBytes, final long postedBytes) {
        super(message);
        this.transferBytes = transferBytes;
        this.postedBytes = postedBytes;
    }

    /** {@return the number of bytes the refused send carried} */
    public long transferBytes() {
        return transferBytes;
    }

    /** {@return the capacity of the buffer the peer had posted, in bytes} */
    public long postedBytes() {
        return postedBytes;
    }
}
