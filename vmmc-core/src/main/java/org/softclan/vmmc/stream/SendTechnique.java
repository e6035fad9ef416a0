package org.softclan.vmmc.stream;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a sender's bytes travel from its memory into the receiver's ring: the send techniques of the
 * design-space study (PIO, CopyDMA, DirectDMA, V2PDMA, page exchange), each with the buffer-reuse
 * semantics that study gives it. Each constant says which buffers
 * {@link ByteStream#send(java.nio.ByteBuffer, SendTechnique)} takes with it and when the caller may
 * reuse them (the {@link SendTicket} is ready); the package documentation compares them.
 */
public enum SendTechnique {
    /** The caller's thread stores the bytes into the outbound mapping; the buffer is free on return (ready). */
    PIO("pio", true),
    /** Copied into registered staging memory, moved by the DMA engine; the buffer is free on return (ready). */
    COPY_DMA("copy-dma", true),
    /**
     * The caller fills registered buffers; the engine moves them; reuse only once the send is ready. A
     * send takes only (a view of) a buffer from {@link ByteStream#allocateSendBuffer}, and refuses any
     * other with {@link IllegalArgumentException}.
     */
    DIRECT_DMA("direct-dma", false),
    /**
     * The caller's buffer is registered on the fly (registration cache) and moved; reuse once ready. It
     * takes a direct buffer, or a writable heap buffer (its array is registered); a buffer that cannot be
     * registered (read-only heap) is copied as with {@link #COPY_DMA}.
     */
    V2P_DMA("v2p-dma", false),
    /**
     * Zero-copy with classical semantics: a {@link Page} written while in flight is duplicated first
     * ({@link ByteStream#send(Page, int, int)}). A plain buffer, whose writes nothing can intercept, is
     * moved as with {@link #V2P_DMA} and the send waits for the transfer before returning (ready on
     * return).
     */
    PAGE_EXCHANGE("page-exchange", true);

    private final String cliName;
    private final boolean classical;

    SendTechnique(final String cliName, final boolean classical) {
        this.cliName = cliName;
        this.classical = classical;
    }

    /** {@return the name used on command lines and in tables, e.g. {@code copy-dma}} */
    public String cliName() {
        return cliName;
    }

    /** {@return whether the caller may reuse its buffer as soon as a send returns (classical semantics)} */
    public boolean classicalSemantics() {
        return classical;
    }

    /**
     * Finds a technique by name.
     *
     * @param name a {@link #cliName()} or constant name, any case
     * @return the technique
     * @throws IllegalArgumentException naming the choices if there is none of that name
     */
    public static SendTechnique parse(final String name) {
        for (final SendTechnique t : values()) {
            if (t.cliName.equalsIgnoreCase(name) || t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no send technique '" + name + "'; choose one of "
            + Arrays.stream(values()).map(SendTechnique::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName.toLowerCase(Locale.ROOT);
    }
}
