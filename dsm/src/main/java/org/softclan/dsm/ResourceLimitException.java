package org.softclan.dsm;

/**
 * A region could not be exported or imported because this process is close to a kernel limit: its
 * memory mappings ({@code vm.max_map_count}) or its open file descriptors ({@code RLIMIT_NOFILE}).
 * Thrown while headroom remains for the JVM itself (which dies, with an hs_err file, when it cannot map
 * a thread stack or heap), and before anything was created: no file is left behind.
 */
public final class ResourceLimitException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports an export or import refused because this process is close to a kernel limit.
     *
     * @param message the region, the resource, how many are in use and the limit, and what to do
     */
    public ResourceLimitException(final String message) {
        super(message);
    }
}
