package org.softclan.dsm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * The fabric's name service: region names map to files {@code <root>/<name>.region}, whose headers
 * hold the owner's identity, the generation and the access key. Exports and removals hold the fabric
 * lock (a file lock on {@code <root>/.names.lock}, plus a lock within this JVM shared by every path
 * to the directory); imports only read. A name whose owner may be alive (its liveness lock is held,
 * see {@link OwnerId#isAlive()}) is never taken over.
 *
 * <p>Re-exporting a name writes a complete new file and renames it over the old one. The old file is
 * marked revoked first and is never truncated, so processes that still map it keep valid memory and
 * learn of the change on their next transfer.
 *
 * <p><b>Generations, in bounded space.</b> A generation tells an old incarnation of a name from a new
 * one: an importer (or a layer that keys state by name and generation, as the Tripwire unit does) may
 * keep a mapping of a removed or replaced file for as long as it likes, and nothing records who still
 * maps a file, so a name's new generation must exceed <em>every</em> generation the name ever had. One
 * number per fabric is enough for that: the <em>generation floor</em>, the first 8 bytes
 * (little-endian) of {@code .names.lock}, read and written only with the fabric lock held. An export
 * gives the name {@code max(floor, generation of the name's current file, if any) + 1}. Every file
 * that stops being the name's current file either is replaced by an export (whose generation is
 * larger, so by induction the current file's generation bounds every earlier one), or is unlinked by
 * a removal or by the reclaimer, which first raise the floor to its generation. So at any time
 * {@code max(floor, current file's generation)} is at least every generation the name ever had, and
 * the next one is larger. Generations are therefore increasing per name but not consecutive (a name
 * exported after another name was removed may start above 1), and the bookkeeping is one long,
 * whatever the number of names ever used (older versions kept one file per name in
 * {@code .generations/}, for ever; the reclaimer folds those into the floor and removes them). The
 * one case this cannot cover is a file deleted from outside (by {@code rm}), whose generation the
 * fabric never sees.
 *
 * <p><b>Reserved names.</b> Names starting with {@code evq-}, {@code sx-} or {@code cx-}, or ending
 * in {@code .listen}, belong to the project's layers (event queues, connection receive rings and
 * their deposits, listeners' rendezvous regions); see {@link Endpoint#exportInternal}.
 */
final class NameService {
    static final String SUFFIX = ".region";
    /** Name prefixes reserved for the project's layers: event queues, server and client receive rings. */
    static final List<String> RESERVED_PREFIXES = List.of("evq-", "sx-", "cx-");
    /** Name suffixes reserved for the project's layers: listeners' rendezvous regions. */
    static final List<String> RESERVED_SUFFIXES = List.of(".listen");
    private static final String LOCK_FILE = ".names.lock";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final ConcurrentHashMap<Object, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    private static final int ZERO_CHUNK = 1 << 20;

    private final Path root;
    private final FabricFiles files;
    private final Object identity;

    private final Reclaimer reclaimer;

    NameService(final Path root, final FabricFiles files, final Object identity) {
        this.root = root;
        this.files = files;
        this.identity = identity;
        this.reclaimer = new Reclaimer(this, root, identity);
    }

    /** @return whether {@code name} is reserved for the project's layers (see the class comment) */
    static boolean isReserved(final String name) {
        for (final String p : RESERVED_PREFIXES) {
            if (name.startsWith(p)) {
                return true;
            }
        }
        for (final String x : RESERVED_SUFFIXES) {
            if (name.endsWith(x)) {
                return true;
            }
        }
        return false;
    }

    /** Reclaims what dead owners left: everything (budget {@link Integer#MAX_VALUE}) or a bounded part. */
    Reclaimed reclaim(final int budget) {
        return locked(lock -> reclaimer.sweep(lock, budget));
    }

    Path root() {
        return root;
    }

    Path fileOf(final String name) {
        return root.resolve(name + SUFFIX);
    }

    /** {@return whether {@code name} is a valid region name} (see {@link #validateName}) */
    static boolean isValidName(final String name) {
        return name != null && NAME.matcher(name).matches() && !name.endsWith(SUFFIX);
    }

    static void validateName(final String name) {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("invalid region name '" + name + "': use 1 to 100 of"
                + " A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
    }

    // ------------------------------------------------------------------------------------ export

    InboundMapping export(final Endpoint endpoint, final String name, final long size, final long key,
                          final long sidecar, final boolean internal) {
        validateName(name);
        if (size <= 0 || size > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("region '" + name + "': size " + size
                + " bytes is out of range (must be from 1 to 2^62 bytes)");
        }
        if (sidecar < 0 || sidecar > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException("region '" + name + "': sidecar size " + sidecar + " is out of range");
        }
        final Path path = fileOf(name);
        return locked(lock -> {
            reclaimer.sweep(lock, Reclaimer.BOUNDED_BUDGET);
            long generation = Math.max(readFloor(lock), legacyGeneration(name));
            if (Files.exists(path)) {
                final RegionHeader old = headerOf(path);
                if (old.state() != RegionLayout.STATE_REVOKED && old.owner().isAlive()) {
                    throw new RegionExistsException("region '" + name + "' is already exported by "
                        + old.owner() + " (generation " + old.generation() + ", " + old.dataSize()
                        + " bytes) in fabric " + root + "; close it there first or pick another name");
                }
                generation = Math.max(generation, realGeneration(old.generation()));
                revokeFile(path);
            }
            generation++;
            final long total = RegionLayout.fileLength(size, sidecar);
            ProcessLimits.beforeRegion("cannot export region '" + name + "' in fabric " + root);
            final long usable = root.toFile().getUsableSpace();
            if (usable < total) {
                throw new DsmException("region '" + name + "': " + total + " bytes needed but only " + usable
                    + " bytes free in " + root);
            }
            final OwnerId owner = endpoint.owner();
            final Path tmp = root.resolve("." + name + "." + generation + "." + owner.pid() + ".tmp");
            MappedRegion mapped = null;
            final FileChannel ch = files.createNew(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                allocate(ch, total);
                mapped = MappedRegion.map(path, ch, total);   // owns ch from here
                RegionHeader.write(mapped.address, size, sidecar, generation, key, owner,
                    internal ? RegionLayout.FLAG_INTERNAL : 0);
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (final IOException | RuntimeException | Error e) {
                // Error too: Chronicle reports a failed mapping as an AssertionError; leave no file
                try {
                    if (mapped != null) {
                        mapped.unmap();
                    } else {
                        ch.close();
                    }
                } finally {
                    Files.deleteIfExists(tmp);
                }
                throw e;
            }
            Files.deleteIfExists(root.resolve(Reclaimer.LEGACY_GENERATIONS).resolve(name));   // now in the file
            return new InboundMapping(endpoint, name, generation, size, sidecar, key, mapped, fileKey(path));
        });
    }

    /**
     * Writes zeros over the whole file so its memory is really allocated now: a sparse file on a full
     * tmpfs would otherwise fail later, inside a store, with SIGBUS.
     */
    private static void allocate(final FileChannel ch, final long total) throws IOException {
        final ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(ZERO_CHUNK, total));
        long pos = 0;
        while (pos < total) {
            zeros.clear();
            zeros.limit((int) Math.min(zeros.capacity(), total - pos));
            pos += ch.write(zeros, pos);
        }
    }

    static void revokeFile(final Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            final ByteBuffer state = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            state.putInt(0, RegionLayout.STATE_REVOKED);
            ch.write(state, RegionLayout.STATE_OFFSET);
        }
    }

    // ------------------------------------------------------------------------------------ import

    /** An import of {@code NAME@HOST}: through the fabric's importer of other hosts' regions. */
    private OutboundMapping importRemote(final Endpoint endpoint, final String name, final int at, final long key) {
        final String region = name.substring(0, at);
        final String host = name.substring(at + 1);
        validateName(region);
        if (host.isEmpty() || !isValidName(host)) {
            throw new IllegalArgumentException("'" + name + "': a region of another host is named NAME@HOST, HOST a"
                + " host name of 1 to 100 of A-Z a-z 0-9 . _ - starting with a letter or digit");
        }
        final RemoteImporter importer = endpoint.fabric().remoteImporter();
        if (importer == null) {
            throw new NoSuchRegionException("region '" + name + "' is on host '" + host + "', and no NIC agent in this"
                + " JVM serves fabric " + root + " (launch one: NicAgent.launch with this fabric and host '" + host
                + "' as a peer)");
        }
        final RemoteLink link = importer.importRemote(host, region, key);
        if (link.size() < 0 || link.generation() < 0) {
            throw new RegionFormatException("host '" + host + "' reported region '" + region + "' with size "
                + link.size() + " and generation " + link.generation());
        }
        return new OutboundMapping(endpoint, name, link, MappedRegion.detached(name, RegionLayout.HEADER_LENGTH));
    }

    OutboundMapping importRegion(final Endpoint endpoint, final String name, final long key) {
        final int at = name.lastIndexOf('@');
        if (at >= 0) {
            return importRemote(endpoint, name, at, key);
        }
        validateName(name);
        final Path path = fileOf(name);
        FileChannel ch = null;
        try {
            ProcessLimits.beforeRegion("cannot import region '" + name + "' in fabric " + root);
            ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            final RegionHeader header = RegionHeader.read(path, ch);
            if (header.state() != RegionLayout.STATE_ACTIVE) {
                throw new NoSuchRegionException("region '" + name + "' in fabric " + root + " is "
                    + RegionLayout.stateName(header.state()) + " (generation " + header.generation()
                    + "); wait for its owner to export it");
            }
            if (!header.owner().isAlive()) {
                throw new NoSuchRegionException("region '" + name + "' in fabric " + root + " (generation "
                    + header.generation() + ") is orphaned: its owner " + header.owner()
                    + " is no longer running, so nothing would read what is written there");
            }
            if (header.accessKey() != key) {
                throw new RegionAccessException("wrong access key for region '" + name + "' (generation "
                    + header.generation() + ", owner " + header.owner() + "): the key presented does not"
                    + " match the key the owner exported it with");
            }
            final MappedRegion mapped = MappedRegion.map(path, ch,
                RegionLayout.fileLength(header.dataSize(), header.sidecarSize()));
            ch = null;   // the mapping owns it now
            final long now = mapped.fileSize();
            if (now < mapped.length) {
                // cut short between the header check and the mapping: refuse rather than fault later
                mapped.unmap();
                throw new RegionFormatException("region '" + name + "': file " + path + " was cut to " + now
                    + " bytes while it was being imported, but its header (generation " + header.generation()
                    + ") needs " + mapped.length + " bytes; the file was not imported");
            }
            return new OutboundMapping(endpoint, name, header.generation(), header.dataSize(), header.sidecarSize(),
                header.owner(), mapped, SameHostLink.INSTANCE);
        } catch (final NoSuchFileException e) {
            throw new NoSuchRegionException("no region '" + name + "' in fabric " + root + " (regions there: "
                + names() + ")");
        } catch (final IOException e) {
            throw new DsmException("region '" + name + "': cannot open " + path + ": " + e, e);
        } finally {
            closeQuietly(ch);
        }
    }

    private static void closeQuietly(final FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (final IOException e) {
                // nothing was mapped through it; nothing to undo
            }
        }
    }

    // ------------------------------------------------------------------------------------ remove

    /**
     * Revokes the region (its state word becomes {@code revoked}) and unlinks its name if the name still
     * refers to the file this mapping created. The state word is written through the file, not the
     * mapping, and only if the file still reaches it, so a file cut short from outside is never touched
     * past its end (which would kill this JVM with SIGBUS).
     */
    void remove(final InboundMapping mapping) {
        SharedMemory.fullFence();   // earlier stores before the revocation
        mapping.file.writeHeaderInt(RegionLayout.STATE_OFFSET, RegionLayout.STATE_REVOKED);
        final Path path = fileOf(mapping.regionName());
        locked(lock -> {
            raiseFloor(lock, mapping.generation());   // before the name's file goes: see the class comment
            // the name may meanwhile refer to another owner's file: unlink only the file we created
            final Object key = fileKey(path);
            if (key != null && key.equals(mapping.fileKey)) {
                Files.deleteIfExists(path);
            }
            return null;
        });
    }

    static Object fileKey(final Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (final NoSuchFileException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------------------------ lookup

    List<RegionInfo> list() {
        final List<RegionInfo> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(root, "*" + SUFFIX)) {
            for (final Path p : dir) {
                final String file = p.getFileName().toString();
                final String name = file.substring(0, file.length() - SUFFIX.length());
                try {
                    out.add(headerOf(p).toInfo(name, p));
                } catch (final RegionFormatException | IOException e) {
                    // not a region this version reads: not listed
                }
            }
        } catch (final NoSuchFileException e) {
            return out;
        } catch (final IOException e) {
            throw new DsmException("cannot list fabric " + root + ": " + e, e);
        }
        out.sort(Comparator.comparing(RegionInfo::name));
        return out;
    }

    Optional<RegionInfo> lookup(final String name) {
        validateName(name);
        final Path path = fileOf(name);
        try {
            return Optional.of(headerOf(path).toInfo(name, path));
        } catch (final NoSuchFileException e) {
            return Optional.empty();
        } catch (final IOException e) {
            throw new DsmException("region '" + name + "': cannot read " + path + ": " + e, e);
        }
    }

    /** For error messages: what the name refers to now. */
    String describeCurrent(final String name) {
        try {
            return lookup(name).map(i -> "the name now refers to generation " + i.generation() + " ("
                + i.state() + ")").orElse("the name is no longer exported");
        } catch (final RuntimeException e) {
            return "the name cannot be read now (" + e.getMessage() + ")";
        }
    }

    private String names() {
        final List<RegionInfo> all = list();
        if (all.isEmpty()) {
            return "none";
        }
        final StringBuilder sb = new StringBuilder();
        for (final RegionInfo i : all) {
            sb.append(sb.length() == 0 ? "" : ", ").append(i.name());
        }
        return sb.toString();
    }

    static RegionHeader headerOf(final Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return RegionHeader.read(path, ch);
        }
    }

    // ----------------------------------------------------------------------------- generations

    /** The generation an older version recorded for {@code name} in {@code .generations/}, or 0. */
    private long legacyGeneration(final String name) throws IOException {
        final Path p = root.resolve(Reclaimer.LEGACY_GENERATIONS).resolve(name);
        try {
            return realGeneration(Long.parseLong(Files.readString(p, StandardCharsets.US_ASCII).trim()));
        } catch (final NoSuchFileException | NumberFormatException e) {
            return 0;
        }
    }

    /**
     * The largest generation taken as real: exports count up by one from 1, so a larger one (or a
     * negative one) is garbage another process wrote into a header, the lock file or a legacy record.
     * Taken as the floor, it would make the next generation overflow to {@code Long.MIN_VALUE}, breaking
     * "every new generation exceeds all earlier ones" for every name of the fabric.
     */
    static final long MAX_GENERATION = 1L << 62;

    /** @return {@code g} if it can be a real generation, else 0 (ignored) */
    static long realGeneration(final long g) {
        return g < 0 || g > MAX_GENERATION ? 0 : g;
    }

    /** @return the generation floor kept in the lock file (0 if never written); lock held */
    static long readFloor(final FileChannel lock) throws IOException {
        final ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (done < 8) {
            final int n = lock.read(b, done);
            if (n < 0) {
                return 0;
            }
            done += n;
        }
        return realGeneration(b.getLong(0));
    }

    /** Raises the generation floor to at least {@code generation}; lock held. */
    static void raiseFloor(final FileChannel lock, final long generation) throws IOException {
        if (realGeneration(generation) <= readFloor(lock)) {   // garbage never raises it
            return;
        }
        final ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, generation);
        int done = 0;
        while (done < 8) {
            done += lock.write(b, done);
        }
    }

    // ------------------------------------------------------------------------------------ locking

    interface LockedAction<T> {
        T run(FileChannel lockFile) throws IOException;
    }

    /**
     * Runs {@code action} holding the fabric's lock. Works on an interrupted thread too (a shutdown
     * hook's, a closer's): file channels fail at once when the interrupt flag is set
     * ({@code FileLockInterruptionException}, and the channel closes), which left an interrupted close
     * unable to remove its regions. The flag is cleared for the call and set again after it; an interrupt
     * arriving while the lock is awaited makes it try again (no action ran yet).
     */
    private <T> T locked(final LockedAction<T> action) {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    return lockedOnce(action);
                } catch (final LockInterrupted e) {
                    interrupted = true;
                    Thread.interrupted();
                    if (attempt == 3) {
                        throw new DsmException("fabric " + root + ": interrupted three times while awaiting its lock",
                            e.getCause());
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** An interrupt while the fabric's lock was awaited: no action ran. */
    private static final class LockInterrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LockInterrupted(final IOException cause) {
            super(cause);
        }
    }

    private <T> T lockedOnce(final LockedAction<T> action) {
        // keyed by the directory's device and inode, not its path: one lock for every path that reaches
        // it, since Java file locks are per JVM (a second lock through another path would throw
        // OverlappingFileLockException) and POSIX ones per process (closing any descriptor drops them)
        final ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(identity, p -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel ch = files.openOrCreate(root.resolve(LOCK_FILE), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
            final FileLock lock;
            try {
                lock = ch.lock();
            } catch (final java.nio.channels.FileLockInterruptionException
                           | java.nio.channels.ClosedByInterruptException e) {
                throw new LockInterrupted(e);
            }
            try {
                return action.run(ch);
            } finally {
                lock.release();
            }
        } catch (final IOException e) {
            throw new DsmException("fabric " + root + ": " + e, e);
        } finally {
            jvmLock.unlock();
        }
    }
}
