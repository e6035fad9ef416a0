package org.softclan.dsm;

/**
 * Where an engine runs its commands. Chosen per engine ({@link DmaEngine.Context#mode}); the default is
 * {@link #forProcessors} of the machine's CPUs, or the system property {@value #PROPERTY}
 * ({@code dedicated} or {@code invoker}).
 */
public enum DmaMode {
    /** On a thread of its own, which spins briefly for work and then blocks until handed some. */
    DEDICATED,
    /**
     * On the threads that need its commands run (an issuer's hand-off, a waiter, a PIO access waiting
     * for pending DMA), one at a time: no thread of its own, no core taken from sender and receiver.
     */
    INVOKER;

    /** The system property that sets the default mode: {@code dedicated} or {@code invoker}. */
    public static final String PROPERTY = "softclan.dma.mode";
    /** CPUs from which the default is {@link #DEDICATED}: a sender, a receiver and the engine, one each, and one to spare. */
    public static final int DEDICATED_MIN_CPUS = 4;

    /**
     * {@return the mode that fits a machine of {@code cpus} CPUs: {@link #DEDICATED} from
     * {@value #DEDICATED_MIN_CPUS}, else {@link #INVOKER}}
     *
     * @param cpus CPUs the JVM may use
     */
    public static DmaMode forProcessors(final int cpus) {
        return cpus >= DEDICATED_MIN_CPUS ? DEDICATED : INVOKER;
    }

    /**
     * {@return the default mode: the system property {@value #PROPERTY} if set, else
     * {@link #forProcessors} of {@link Runtime#availableProcessors()}}
     *
     * @throws IllegalArgumentException naming the property and the choices if it holds another value
     */
    public static DmaMode defaultMode() {
        final String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) {
            return forProcessors(Runtime.getRuntime().availableProcessors());
        }
        return parse(p.trim());
    }

    /**
     * {@return the mode of a name, any case}
     *
     * @param name {@code dedicated} or {@code invoker}
     * @throws IllegalArgumentException naming the choices if there is no such mode
     */
    public static DmaMode parse(final String name) {
        for (final DmaMode m : values()) {
            if (m.name().equalsIgnoreCase(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("no DMA engine mode '" + name + "' (" + PROPERTY
            + "); choose dedicated or invoker");
    }
}
