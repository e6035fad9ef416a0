package org.softclan.dsm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Keeps this process clear of the kernel's per-process limits that every region costs against: one
 * memory mapping ({@code vm.max_map_count}, 65530 by default) and one open file descriptor
 * ({@code RLIMIT_NOFILE}) per exported or imported region. Past either limit the JVM itself fails
 * ("Native memory allocation (mmap) failed" kills it with an hs_err file), so a region is refused with
 * a {@link ResourceLimitException} while {@link #MAPPING_HEADROOM} mappings and
 * {@link #DESCRIPTOR_HEADROOM} descriptors are still free.
 *
 * <p>Counting the process's mappings reads {@code /proc/self/maps}, which is slow with many of them:
 * it is counted again only once half of the room found by the previous count has been used, so the
 * cost is a few counts per doubling, and one count per region only in the last few before the limit.
 * The limits can be lowered for tests with the system properties {@code softclan.dsm.maxMapCount} and
 * {@code softclan.dsm.maxOpenFiles}.
 */
final class ProcessLimits {
    /** Mappings left for the JVM's own needs (thread stacks, heap, code, libraries). */
    static final long MAPPING_HEADROOM = 2048;
    /** Descriptors left for the JVM and the application (jars, sockets, files). */
    static final long DESCRIPTOR_HEADROOM = 256;

    private static final long MAX_MAPS = Long.getLong("softclan.dsm.maxMapCount", readMaxMapCount());
    private static final long MAX_FILES = Long.getLong("softclan.dsm.maxOpenFiles", readMaxOpenFiles());

    private static long mapAllowance;
    private static long fileAllowance;

    private ProcessLimits() {
    }

    /**
     * Takes one mapping and one descriptor from the allowances, counting the process's use again when
     * an allowance is spent.
     *
     * @param what the region, for the message ("region 'x' (export)")
     * @throws ResourceLimitException if either is within its headroom of the limit
     */
    static synchronized void beforeRegion(final String what) {
        if (mapAllowance <= 0 && MAX_MAPS > 0) {
            final long used = count(Path.of("/proc/self/maps"), true);
            final long room = MAX_MAPS - MAPPING_HEADROOM - used;
            if (used >= 0 && room <= 0) {
                throw new ResourceLimitException(what + ": this process already has " + used
                    + " memory mappings and the kernel allows " + MAX_MAPS + " (vm.max_map_count); " + MAPPING_HEADROOM
                    + " are kept free for the JVM itself. Each region costs one mapping (a connection: two in"
                    + " each process). Close regions or connections, or raise the limit"
                    + " (sysctl -w vm.max_map_count=N)");
            }
            mapAllowance = used < 0 ? Long.MAX_VALUE : Math.max(1, room / 2);
        }
        if (fileAllowance <= 0 && MAX_FILES > 0) {
            final long used = count(Path.of("/proc/self/fd"), false);
            final long room = MAX_FILES - DESCRIPTOR_HEADROOM - used;
            if (used >= 0 && room <= 0) {
                throw new ResourceLimitException(what + ": this process already has " + used
                    + " open file descriptors and may have " + MAX_FILES + " (RLIMIT_NOFILE, ulimit -n); "
                    + DESCRIPTOR_HEADROOM + " are kept free for the JVM and the application. Each region"
                    + " holds one descriptor while mapped. Close regions or connections, or raise the limit");
            }
            fileAllowance = used < 0 ? Long.MAX_VALUE : Math.max(1, room / 2);
        }
        mapAllowance--;
        fileAllowance--;
    }

    /** @return lines of a file, or entries of a directory; -1 if it cannot be read (not Linux) */
    private static long count(final Path path, final boolean lines) {
        try (Stream<?> s = lines ? Files.lines(path) : Files.list(path)) {
            return s.count();
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long readMaxMapCount() {
        try {
            // read line by line: a /proc file reports size 0, which whole-file reads can take at its word
            try (Stream<String> s = Files.lines(Path.of("/proc/sys/vm/max_map_count"))) {
                return s.findFirst().map(String::trim).map(Long::parseLong).orElse(-1L);
            }
        } catch (final IOException | RuntimeException e) {
            return -1;   // unknown: not checked
        }
    }

    private static long readMaxOpenFiles() {
        try (Stream<String> s = Files.lines(Path.of("/proc/self/limits"))) {
            return s.filter(l -> l.startsWith("Max open files")).findFirst()
                .map(l -> l.substring("Max open files".length()).trim().split("\\s+")[0])
                .map(v -> "unlimited".equals(v) ? -1L : Long.parseLong(v)).orElse(-1L);
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
    }
}
