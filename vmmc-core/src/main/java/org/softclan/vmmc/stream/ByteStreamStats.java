package org.softclan.vmmc.stream;

/**
 * The counters of one {@link ByteStream} end ({@link ByteStream#stats()}): a read-only view, not a
 * snapshot. Every getter reads the live counter, so it returns the value at the moment of the call, and
 * two getters called one after the other may see different moments. Any thread may call them, without a
 * lock and while the stream is in use or after it closed (the counters then keep their last values).
 */
public final class ByteStreamStats {
    private final StreamWriter writer;
    private final PostTable posts;
    private final PagePool pages;

    ByteStreamStats(final StreamWriter writer, final PostTable posts, final PagePool pages) {
        this.writer = writer;
        this.posts = posts;
        this.pages = pages;
    }

    /**
     * {@return the nanoseconds writes have spent so far waiting for room in the peer's ring or for a post
     * (back-pressure)}: a volatile read of a sum the writers add to under the stream's write lock.
     */
    public long writeBlockedNanos() {
        return writer.writeBlockedNanos();
    }

    /** {@return the number of sends this end deposited straight into buffers the peer posted (atomic read)} */
    public long depositsSent() {
        return writer.depositsSent();
    }

    /**
     * {@return the number of posted buffers of this end (its own or those {@link ByteStream#read} posts)
     * filled by the sender's deposit (atomic read)}
     */
    public long deliveredDirect() {
        return posts.deliveredDirect();
    }

    /**
     * {@return the number of posted buffers of this end filled from the ring by a copy on delivery
     * ({@link ReceiveTechnique#REDIRECTION}; atomic read)}
     */
    public long deliveredCopied() {
        return posts.deliveredCopied();
    }

    /**
     * {@return how often page writes ({@link SendTechnique#PAGE_EXCHANGE}) found their page in flight and
     * duplicated it (atomic read)}
     */
    public long pageDuplications() {
        return pages.duplications();
    }

    /**
     * {@return the registration cache of {@link SendTechnique#V2P_DMA}, with its own counters of hits,
     * misses and evictions (created on first use, under the stream's write lock: this call waits for a
     * write in progress)}
     */
    public RegistrationCache registrationCache() {
        return writer.registrationCache();
    }

    @Override
    public String toString() {
        return "writeBlockedNanos=" + writeBlockedNanos() + " depositsSent=" + depositsSent() + " deliveredDirect="
            + deliveredDirect() + " deliveredCopied=" + deliveredCopied() + " pageDuplications=" + pageDuplications();
    }
}
