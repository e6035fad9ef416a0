package org.softclan.bench.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * What the one-way ends of one session share across its measurements: a fabric and an endpoint in it,
 * a scratch directory (Unix sockets, a media driver's files) and clients that are costly to start
 * (a media driver, an Aeron client), made on first use and closed with the rig. The measuring JVM
 * {@linkplain #create() creates} the fabric and the scratch directory and removes them on close; the
 * child JVM {@linkplain #attach(Path) attaches} to the fabric by the path {@link #FABRIC} carries.
 *
 * <p>Ownership: the rig owns everything it holds; {@link #close()} closes the shared clients in the
 * reverse order of their making, then the endpoint and the fabric.
 */
public final class Rig implements AutoCloseable {
    /** The parameter that carries the fabric's directory to the child JVM. */
    public static final String FABRIC = "fabric";

    private final Fabric fabric;
    private final Endpoint endpoint;
    private final Path scratch;
    private final Map<String, AutoCloseable> shared = new LinkedHashMap<>();
    private int serial;

    private Rig(final Fabric fabric, final String endpointName, final Path scratch) {
        this.fabric = fabric;
        this.scratch = scratch;
        try {
            this.endpoint = fabric.openEndpoint(endpointName);
        } catch (final RuntimeException e) {
            fabric.close();
            throw e;
        }
    }

    /**
     * The measuring side's rig: a temporary fabric with endpoint {@code tp-receiver}, and a scratch
     * directory in {@code /dev/shm} where there is one (else the temporary directory).
     *
     * @return the rig
     * @throws IOException if the scratch directory cannot be made
     */
    public static Rig create() throws IOException {
        final Path scratch = shmDirectory("softclan-rig-");
        try {
            return new Rig(Fabric.createTemporary(), "tp-receiver", scratch);
        } catch (final RuntimeException e) {
            deleteTree(scratch);
            throw e;
        }
    }

    /**
     * @param prefix how the directory's name starts
     * @return a new temporary directory in {@code /dev/shm} where there is one (else the temporary directory)
     * @throws IOException if it cannot be made
     */
    public static Path shmDirectory(final String prefix) throws IOException {
        final Path shm = Paths.get("/dev/shm");
        return Files.createTempDirectory(Files.isDirectory(shm) ? shm : Paths.get(System.getProperty("java.io.tmpdir")),
            prefix);
    }

    /**
     * The child's rig: the measuring side's fabric, with an endpoint named after this process.
     *
     * @param fabricDir the directory {@link #FABRIC} names
     * @return the rig (no scratch directory of its own)
     */
    public static Rig attach(final Path fabricDir) {
        return new Rig(Fabric.openExisting(fabricDir), "tp-sender-" + ProcessHandle.current().pid(), null);
    }

    /** @return the endpoint in the fabric */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** @return the fabric's directory */
    public Path fabricRoot() {
        return fabric.root();
    }

    /** @return the scratch directory, or null in the child */
    public Path scratch() {
        return scratch;
    }

    /** @return a number not handed out before by this rig, for names of regions, services and sockets */
    public int nextId() {
        return ++serial;
    }

    /**
     * @param key  what the resource is
     * @param make makes it the first time
     * @param <T>  its type
     * @return the resource made for {@code key}, made now if there is none yet
     */
    public <T extends AutoCloseable> T shared(final String key, final Supplier<T> make) {
        @SuppressWarnings("unchecked")
        final T t = (T) shared.computeIfAbsent(key, k -> make.get());
        return t;
    }

    /** Closes the shared resources, the endpoint and the fabric, and removes the scratch directory. */
    @Override
    public void close() {
        final List<AutoCloseable> all = new ArrayList<>(shared.values());
        shared.clear();
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (final Exception e) {
                System.err.println("closing " + all.get(i) + ": " + e);
            }
        }
        endpoint.close();
        fabric.close();
        deleteTree(scratch);
    }

    /**
     * @param size bytes
     * @return a little-endian direct buffer of {@code size} bytes starting on a page boundary
     */
    public static ByteBuffer pageAligned(final int size) {
        final int rounded = (size + 4095) & ~4095;
        final ByteBuffer b = ByteBuffer.allocateDirect(rounded + 4096).alignedSlice(4096);
        b.limit(size);
        return b.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Removes a directory and everything in it, as far as it can; never throws.
     *
     * @param dir the directory, or null
     */
    public static void deleteTree(final Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException | UncheckedIOException e) {
            // best effort
        }
    }
}
