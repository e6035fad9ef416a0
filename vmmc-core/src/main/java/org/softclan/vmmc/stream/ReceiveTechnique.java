package org.softclan.vmmc.stream;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How a receiver takes delivery: the receive techniques of the design-space study.
 */
public enum ReceiveTechnique {
    /** Classical: bytes land in the receive ring whenever they arrive and are copied out on read. */
    BUFFERED("buffered"),
    /** The receiver must post buffers of sufficient size first; the sender deposits straight into them. */
    PRE_POSTED("pre-posted"),
    /** Deposit straight into a buffer posted in time, else buffer in the ring and copy on delivery. */
    REDIRECTION("redirection");

    private final String cliName;

    ReceiveTechnique(final String cliName) {
        this.cliName = cliName;
    }

    /** {@return the name used on command lines and in tables, e.g. {@code pre-posted}} */
    public String cliName() {
        return cliName;
    }

    /**
     * Finds a technique by name.
     *
     * @param name a {@link #cliName()} or constant name, any case
     * @return the technique
     * @throws IllegalArgumentException naming the choices if there is none of that name
     */
    public static ReceiveTechnique parse(final String name) {
        for (final ReceiveTechnique t : values()) {
            if (t.cliName.equalsIgnoreCase(name) || t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no receive technique '" + name + "'; choose one of "
            + Arrays.stream(values()).map(ReceiveTechnique::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
