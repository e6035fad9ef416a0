package org.softclan.dsm;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where regions live on one host, and how they are named: a directory (by default under
 * {@code /dev/shm}) holding one file per region, the name service's bookkeeping, and one liveness file
 * per open endpoint ({@code .live/}), whose lock tells other processes, in any PID namespace, that the
 * endpoint is alive.
 *
 * <pre>{@code
 * try (Fabric fabric = Fabric.open(Path.of("/dev/shm/my-app"));
 *      Endpoint ep = fabric.openEndpoint("server")) {
 *     InboundMapping in = ep.export("inbox", 1 << 20);
 *     ...
 * }
 * }</pre>
 *
 * <p><b>Private by default.</b> Directories the fabric creates get mode {@code 0700} and files
 * {@code 0600}, whatever the umask (a region's file holds its data and its access key), or
 * {@code 0770}/{@code 0660} with {@link Context#shareWithGroup(boolean)}; a directory owned by another
 * user is refused unless {@link Context#allowOtherOwner(boolean)}.
 *
 * <p><b>One directory, one fabric.</b> A fabric is its directory's identity in the file system (device
 * and inode), not the path that reached it: fabrics opened in one JVM through two paths to one
 * directory (a symbolic link, {@code /run/shm} for {@code /dev/shm}) share their in-JVM lock and
 * {@link #sameDirectory(Fabric)} says so.
 *
 * <p><b>Nothing grows for ever.</b> What the fabric keeps is proportional to what is live: one file per
 * region, one liveness file per open endpoint, and one lock file holding the generation floor (see
 * {@link RegionInfo#generation()}). What dead processes left is reclaimed a bounded part at a time by
 * every export and {@link #open}, and all at once by {@link #clean()}.
 *
 * <p>Opening a fabric checks that the JVM has the {@code --add-opens}/{@code --add-exports} flags
 * Chronicle Bytes needs, and fails with a {@link DsmException} listing those missing before anything is
 * created.
 *
 * <p>Closing a fabric closes the endpoints opened through it (and so their mappings, DMA engines and
 * registered memory) and, for a temporary fabric, deletes its directory. Deleting only unlinks files:
 * other processes that still map a region keep valid memory.
 */
public final class Fabric implements AutoCloseable {
    /** The directory {@link #openDefault()} uses when {@code /dev/shm} exists. */
    public static final Path SHM = Paths.get("/dev/shm");

    private final Path root;
    private final boolean deleteOnClose;
    /** For a temporary fabric: the creating process's lock in it, so others can tell it is in use. */
    private Liveness temporaryHolder;
    private final FabricFiles files;
    /** The directory's device and inode (or real path): equal for every path that reaches it. */
    private final Object identity;
    private final NameService names;
    private final Set<Endpoint> endpoints = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** Fluent configuration of a fabric; defaults work out of the box. */
    public static final class Context {
        private Path root = defaultRoot();
        private boolean deleteOnClose;
        private boolean createIfMissing = true;
        private boolean shareWithGroup;
        private boolean allowOtherOwner;

        /**
         * A context with the defaults: the directory {@link Fabric#defaultRoot()}, created if missing and
         * kept on close, private to this user (directories {@code 0700}, files {@code 0600}); opening a
         * directory that belongs to another user fails.
         */
        public Context() {
        }

        /**
         * Sets the fabric's directory.
         *
         * @param root the fabric's directory, created if missing; default {@link #defaultRoot()}
         * @return this
         */
        public Context root(final Path root) {
            this.root = root;
            return this;
        }

        /**
         * Sets whether a missing directory is created.
         *
         * @param create create the directory if it does not exist; default true. With false, opening a
         *               missing fabric fails (useful for tools that only look or import)
         * @return this
         */
        public Context createIfMissing(final boolean create) {
            this.createIfMissing = create;
            return this;
        }

        /**
         * Sets whether closing the fabric deletes it.
         *
         * @param deleteOnClose remove the directory and every file in it on close; default false
         * @return this
         */
        public Context deleteOnClose(final boolean deleteOnClose) {
            this.deleteOnClose = deleteOnClose;
            return this;
        }

        /**
         * Whether the processes sharing the fabric belong to several users of one group. By default
         * (false) the fabric is private to its user: directories it creates get mode {@code 0700}
         * ({@code rwx------}) and files {@code 0600} ({@code rw-------}), set explicitly whatever the
         * umask, since a region's file holds its data and its access key in the clear. With true,
         * directories get {@code 0770} and files {@code 0660}; the fabric directory's group should then
         * be the sharing group (give it the set-group-id bit, {@code chmod g+s}, so files inherit it).
         * Directories and files that already exist keep their modes.
         *
         * @param share true to let the owning group read and write what this process creates
         * @return this
         */
        public Context shareWithGroup(final boolean share) {
            this.shareWithGroup = share;
            return this;
        }

        /**
         * Whether to open a fabric directory that belongs to another user. By default (false) opening
         * one fails with a {@link DsmException} naming the directory and its owner: whoever owns the
         * directory can read, replace or delete every region in it, so a directory created first by
         * someone else (for example a shared {@code /dev/shm/softclan}) must not be trusted by accident.
         *
         * @param allow true to accept a directory owned by another user (one you trust)
         * @return this
         */
        public Context allowOtherOwner(final boolean allow) {
            this.allowOtherOwner = allow;
            return this;
        }
    }

    private Fabric(final Context ctx) {
        if (ctx.root == null || ctx.root.toString().isEmpty()) {
            throw new DsmException("a fabric needs a directory, but the path given is empty (\"\"); an empty"
                + " path would make the current directory " + Paths.get("").toAbsolutePath() + " a fabric."
                + " Name the directory, e.g. " + defaultRoot());
        }
        JvmAccess.check();
        this.root = ctx.root.toAbsolutePath().normalize();
        this.deleteOnClose = ctx.deleteOnClose;
        this.files = new FabricFiles(root, ctx.shareWithGroup);
        if (!ctx.createIfMissing && !Files.isDirectory(root)) {
            throw new DsmException("no fabric at " + root + " (the directory does not exist)");
        }
        boolean created = false;
        try {
            if (!Files.isDirectory(root)) {
                final Path parent = root.getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                created = files.createDirectory(root);
            }
        } catch (final IOException e) {
            throw new DsmException("cannot create fabric directory " + root + ": " + e, e);
        }
        if (!Files.isDirectory(root) || !Files.isWritable(root)) {
            throw new DsmException("fabric directory " + root + " is not a writable directory");
        }
        if (!created && !ctx.allowOtherOwner) {
            FabricFiles.checkOwnedByThisUser(root);
        }
        this.identity = FabricFiles.identityOf(root);
        this.names = new NameService(root, files, identity);
        names.reclaim(Reclaimer.BOUNDED_BUDGET);   // what dead processes left, a bounded part per open
    }

    /**
     * The directory a fabric uses unless told otherwise.
     *
     * @return {@code /dev/shm/softclan} where {@code /dev/shm} exists, else {@code softclan} under the
     *         temporary directory
     */
    public static Path defaultRoot() {
        return baseDir().resolve("softclan");
    }

    private static Path baseDir() {
        return Files.isDirectory(SHM) && Files.isWritable(SHM) ? SHM : Paths.get(System.getProperty("java.io.tmpdir"));
    }

    /** {@return the fabric at {@link #defaultRoot()}} */
    public static Fabric openDefault() {
        return open(new Context());
    }

    /**
     * Opens the fabric in a directory, creating the directory if it is missing.
     *
     * @param root the fabric's directory, created if missing
     * @return the fabric there
     */
    public static Fabric open(final Path root) {
        return open(new Context().root(root));
    }

    /**
     * Opens the fabric in a directory that must already exist.
     *
     * @param root the directory of a fabric that must already exist
     * @return the fabric there
     * @throws DsmException if the directory does not exist
     */
    public static Fabric openExisting(final Path root) {
        return open(new Context().root(root).createIfMissing(false));
    }

    /**
     * Opens a fabric as configured.
     *
     * @param ctx the configuration
     * @return the fabric it describes
     * @throws DsmException if the path is empty, the directory is missing (with
     *                      {@code createIfMissing(false)}), cannot be created or written, belongs to another
     *                      user (without {@code allowOtherOwner(true)}), or the JVM lacks Chronicle's flags
     */
    public static Fabric open(final Context ctx) {
        return new Fabric(ctx);
    }

    /**
     * Creates a fabric in a fresh directory. The creating process holds a lock in it while it is open;
     * the temporary fabrics of processes that died without closing theirs (older than 30 s, no lock held
     * in them) are removed first, a bounded number per call.
     *
     * @return a fabric in a fresh directory under {@code /dev/shm} (or the temporary directory), removed
     *         when the fabric closes
     */
    public static Fabric createTemporary() {
        JvmAccess.check();   // before the directory is made
        sweepDeadTemporaries(baseDir(), TEMPORARY_GRACE_MILLIS);
        try {
            final Path dir = Files.createTempDirectory(baseDir(), TEMPORARY_PREFIX);   // rwx------
            try {
                Files.createFile(dir.resolve(TEMPORARY_MARKER));
                final Fabric f = open(new Context().root(dir).deleteOnClose(true));
                // the creating process holds a liveness lock in it while the fabric is open: a directory
                // whose creator died (kill -9, a crashed JVM) is found by the next createTemporary
                f.temporaryHolder = Liveness.acquire(dir, f.files);
                return f;
            } catch (final RuntimeException e) {
                deleteTree(dir);
                throw e;
            }
        } catch (final IOException e) {
            throw new DsmException("cannot create a temporary fabric under " + baseDir() + ": " + e, e);
        }
    }

    private static final String TEMPORARY_PREFIX = "softclan-";
    /** A file in every temporary fabric's directory: only such directories are ever swept. */
    static final String TEMPORARY_MARKER = ".temporary";
    /** A temporary fabric younger than this is never swept (its creator may not hold its lock yet). */
    private static final long TEMPORARY_GRACE_MILLIS = 30_000;
    /** Directories looked at per sweep: bounded work per {@link #createTemporary()}. */
    private static final int TEMPORARY_SWEEP_BUDGET = 32;

    /**
     * Removes temporary fabrics under {@code base} whose processes are all gone: a directory made by
     * {@link #createTemporary()} (its marker file is there), older than the grace period, in which no
     * liveness file is locked by a live process (the creator's, and every endpoint's). A test JVM that
     * crashed, or was killed, leaves such a directory, which nothing else would ever remove.
     */
    static void sweepDeadTemporaries(final Path base, final long graceMillis) {
        try (java.util.stream.Stream<Path> dirs = Files.list(base)) {
            dirs.filter(d -> d.getFileName().toString().startsWith(TEMPORARY_PREFIX)
                    && Files.isRegularFile(d.resolve(TEMPORARY_MARKER), java.nio.file.LinkOption.NOFOLLOW_LINKS))
                .limit(TEMPORARY_SWEEP_BUDGET)
                .filter(d -> abandoned(d, graceMillis))
                .forEach(d -> {
                    try {
                        deleteTree(d);
                    } catch (final DsmException e) {
                        // another process sweeping at the same time, or a file we may not remove: left
                    }
                });
        } catch (final IOException | RuntimeException e) {
            // nothing to sweep, or the base cannot be listed: creating the fabric goes on
        }
    }

    private static boolean abandoned(final Path dir, final long graceMillis) {
        try {
            if (System.currentTimeMillis() - Files.getLastModifiedTime(dir.resolve(TEMPORARY_MARKER)).toMillis()
                < graceMillis) {
                return false;
            }
            final Path live = dir.resolve(Liveness.DIR);
            if (!Files.isDirectory(live)) {
                return true;
            }
            try (java.util.stream.Stream<Path> files = Files.list(live)) {
                return files.noneMatch(f -> heldOrFresh(f, graceMillis));
            }
        } catch (final IOException | RuntimeException e) {
            return false;   // unsure: leave it
        }
    }

    /** @return whether a liveness file may belong to a live process (locked, or being created) */
    private static boolean heldOrFresh(final Path f, final long graceMillis) {
        final String name = f.getFileName().toString();
        final int dot = name.indexOf('.');
        try {
            if (name.endsWith(".live")) {
                return Liveness.isHeld(Long.parseUnsignedLong(name.substring(0, dot), 16), f);
            }
            // a .new file exists for an instant while an endpoint opens; an old one was left by a crash
            return System.currentTimeMillis() - Files.getLastModifiedTime(f).toMillis() < graceMillis;
        } catch (final IOException | RuntimeException e) {
            return true;
        }
    }

    /** {@return the fabric's directory} */
    public Path root() {
        return root;
    }

    /**
     * Whether the endpoint holding liveness id {@code livenessId} (an {@link Endpoint#owner()}'s
     * {@link OwnerId#livenessId()}) is alive: whether some process holds the lock on its liveness file in
     * this fabric. A few microseconds (an open, an {@code fcntl} and a close), for slow paths only.
     *
     * @param livenessId a liveness id another process recorded in shared memory (any value is safe)
     * @return false for 0, for an id nobody holds and for an id without a file; true if held, or if the
     *         probe failed with an I/O error (the holder may be alive)
     */
    public boolean isAlive(final long livenessId) {
        return livenessId != 0 && Liveness.isHeld(livenessId, Liveness.fileOf(root(), livenessId));
    }

    /**
     * Opens an endpoint: this process's attachment to the fabric. A process may open several.
     *
     * @param name the endpoint's name, recorded as the owner of regions it exports
     * @return the endpoint; close it (or the fabric) to release everything it holds
     */
    public Endpoint openEndpoint(final String name) {
        checkOpen();
        final Endpoint ep = new Endpoint(this, name);
        endpoints.add(ep);
        return ep;
    }

    /** {@return every region in the fabric, internal ones included, by name} */
    public List<RegionInfo> regions() {
        checkOpen();
        return names.list();
    }

    /**
     * Lists the fabric's regions, with or without the internal ones.
     *
     * @param includeInternal whether to list the regions the project's layers export for their own use
     *                        ({@link RegionInfo#internal()}: event queues, connection rings, listeners)
     * @return the fabric's regions, by name; with false, only those applications exported
     */
    public List<RegionInfo> regions(final boolean includeInternal) {
        final List<RegionInfo> all = regions();
        return includeInternal ? all : all.stream().filter(r -> !r.internal()).toList();
    }

    /**
     * Reclaims now everything dead endpoints left in this fabric: the region files of owners whose
     * liveness lock nobody holds (each revoked, so processes still mapping it learn on their next
     * transfer, and unlinked, never truncated), their liveness files, temporary files of exports that
     * never finished, and the per-name generation files older versions kept. A live owner's file is
     * never touched (an owner is live while its endpoint's liveness lock is held, in any process and
     * PID namespace). Holds the fabric lock while it works: one directory read, one header read and one
     * lock probe per file. Exports and {@link #open} do the same in bounded steps (at most 8 files
     * looked at per directory per call), so a fabric does not need this to stay bounded; it is for
     * tools ({@code vmmc clean}) and tests.
     *
     * @return what was removed
     * @throws ClosedException if this fabric is closed
     * @throws DsmException    naming the directory if it cannot be read or a file cannot be removed
     */
    public Reclaimed clean() {
        checkOpen();
        return names.reclaim(Integer.MAX_VALUE);
    }

    /**
     * {@return whether {@code name} is a valid region name}: 1 to 100 of {@code A-Z a-z 0-9 . _ -},
     * starting with a letter or digit (what {@link Endpoint#export} accepts)
     *
     * @param name a name from anywhere (a peer's message included)
     */
    public static boolean isValidRegionName(final String name) {
        return NameService.isValidName(name);
    }

    /**
     * {@return whether {@code name} is reserved for the project's own layers} (event queues, connection
     * rings, listeners' rendezvous regions), which a user's export may not take
     *
     * @param name a region name
     */
    public static boolean isReservedRegionName(final String name) {
        return NameService.isReserved(name);
    }

    /**
     * Looks a region up by name.
     *
     * @param name a region name
     * @return what the name service knows of it, if it exists
     */
    public Optional<RegionInfo> region(final String name) {
        checkOpen();
        return names.lookup(name);
    }

    /** The importers of regions of other hosts, by fabric identity: see {@link #attachRemoteImporter}. */
    private static final java.util.Map<Object, RemoteImporter> REMOTE = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Attaches the importer of regions of other hosts (a NIC agent) to this fabric's directory, for every
     * {@code Fabric} this JVM opens on it: from now on an import of {@code NAME@HOST} asks it. One per
     * directory and JVM.
     *
     * @param importer the importer
     * @return closing it detaches the importer (imports made meanwhile stay as they are)
     * @throws IllegalStateException if another importer is attached to this directory in this JVM
     */
    public AutoCloseable attachRemoteImporter(final RemoteImporter importer) {
        java.util.Objects.requireNonNull(importer, "importer");
        final Object id = identity;
        if (REMOTE.putIfAbsent(id, importer) != null) {
            throw new IllegalStateException("fabric " + root + " already has an importer of other hosts' regions"
                + " (a NIC agent) in this JVM");
        }
        return () -> REMOTE.remove(id, importer);
    }

    /**
     * {@return this host's name as other hosts know it}, from the importer of other hosts' regions attached
     * to this fabric's directory in this JVM ({@link #attachRemoteImporter}), or {@code null} if none is
     */
    public String hostName() {
        final RemoteImporter r = remoteImporter();
        return r == null ? null : r.localHost();
    }

    /**
     * {@return whether {@code host}'s agent is heard from} by the importer of other hosts' regions attached
     * to this fabric's directory in this JVM; {@code false} if none is attached
     *
     * @param host a host's name (any text)
     */
    public boolean isHostReachable(final String host) {
        final RemoteImporter r = remoteImporter();
        return r != null && r.isReachable(host);
    }

    /** {@return the importer attached to this fabric's directory, or null} */
    RemoteImporter remoteImporter() {
        return REMOTE.get(identity);
    }

    NameService names() {
        return names;
    }

    /** @return the directory's identity in the file system (device and inode, or its real path) */
    Object identity() {
        return identity;
    }

    /**
     * Whether {@code other} is this fabric: the same directory, however each was reached (a symbolic
     * link, another mount of the same file system), decided by the directory's device and inode.
     *
     * @param other another fabric, open or closed
     * @return true if both are the same directory
     */
    public boolean sameDirectory(final Fabric other) {
        return other != null && identity.equals(other.identity);
    }

    FabricFiles files() {
        return files;
    }

    void forget(final Endpoint endpoint) {
        endpoints.remove(endpoint);
    }

    private void checkOpen() {
        if (closed) {
            throw new ClosedException("fabric " + root + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (final Endpoint ep : new ArrayList<>(endpoints)) {
            ep.close();
        }
        if (temporaryHolder != null) {
            temporaryHolder.close();
        }
        if (deleteOnClose) {
            deleteTree(root);
        }
    }

    private static void deleteTree(final Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(final Path d, final IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (final IOException e) {
            throw new DsmException("cannot remove fabric directory " + dir + ": " + e, e);
        }
    }

    @Override
    public String toString() {
        return "fabric " + root;
    }
}
