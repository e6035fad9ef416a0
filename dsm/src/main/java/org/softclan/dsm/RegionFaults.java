package org.softclan.dsm;

/**
 * Faults on regions whose files were cut short from outside, for code above the NIC that meets them
 * itself: the JVM reports such a fault as an {@link InternalError} that names no memory, and may hold it
 * back until a later safepoint poll of the faulting thread (see {@link Mapping}, "A file cut from
 * outside"). The NIC's own access methods translate their faults already.
 */
public final class RegionFaults {
    private RegionFaults() {
    }

    /**
     * Traces a fault the JVM reported as an {@link InternalError} (a failed access to mapped memory,
     * delivered wherever the thread next polled, so it names no memory) to the regions this JVM maps
     * whose files were cut short: one {@code fstat} per open mapping.
     *
     * <pre>{@code
     * } catch (InternalError e) {
     *     RegionTruncatedException t = RegionFaults.explain(e);
     *     throw t != null ? t : e;
     * }
     * }</pre>
     *
     * @param fault the error the JVM threw
     * @return an exception naming the first cut region found (others are added as suppressed), with
     *         {@code fault} as its cause; or {@code null} if no open mapping's file is short, so the
     *         fault is not a cut region's (rethrow it)
     */
    public static RegionTruncatedException explain(final InternalError fault) {
        return FaultTraces.explain(null, fault, "an access that faulted outside the NIC's access methods");
    }

    /**
     * Makes the JVM deliver a fault it recorded for this thread but has not thrown yet (it would otherwise
     * come out at a later safepoint poll, anywhere in the caller's code), and returns it. Slow (it starts a
     * short-lived thread; see {@code FaultTraces}): only for a path that has already found a fault.
     *
     * @return the fault, or {@code null} if none was pending
     */
    public static InternalError takeHeldBack() {
        return FaultTraces.drainPendingFault();
    }
}
