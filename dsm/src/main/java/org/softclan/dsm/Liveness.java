package org.softclan.dsm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An endpoint's liveness signal: a lock the kernel holds for it and drops when its process dies.
 *
 * <p><b>Protocol.</b> An endpoint, when it opens, picks a random non-zero 64-bit id, creates
 * {@code <fabric>/.live/<id in hex>.live} and takes an exclusive lock on its first byte, which it holds
 * until it closes (then it deletes the file and releases the lock). Regions it exports record the id in
 * their header ({@link RegionLayout#OWNER_LIVENESS_OFFSET}). Another process asks whether the owner is
 * alive by trying a <em>shared</em> lock on that byte: refused means someone holds it (alive); granted
 * means nobody does (the owner closed or died, since the kernel releases a process's locks when it
 * exits, however it exits); a missing file means the same. The answer does not depend on pids, PID
 * namespaces or clocks: record locks live on the file, which every process sharing the fabric's
 * directory sees. Probes take shared locks so that two probes at once never see each other as the
 * owner. A probe that finds the lock free deletes the dead owner's file (nothing else will ever use
 * its id).
 *
 * <p><b>Within one JVM.</b> Java file locks belong to the JVM (a second lock on an overlapping range
 * through another channel throws {@link OverlappingFileLockException}), and POSIX record locks
 * belong to the process: closing <em>any</em> descriptor of the file in the owner's process releases
 * the owner's lock. So a probe never opens a liveness file whose id this JVM holds: ids held here are
 * answered from an in-memory set, and only others are probed. Probes within this JVM are serialised.
 *
 * <p><b>Cost.</b> A probe is an open, an {@code fcntl} and a close (a few microseconds): for slow
 * paths (exports, imports, liveness checks in wait slices), never per access. An id held by this JVM
 * costs a set look-up.
 *
 * <p><b>Limits.</b> Deleting a live owner's liveness file from outside makes it look dead (as deleting
 * its region file would make the region vanish); the fabric's directory must only be writable by
 * processes trusted that far. An I/O error while probing answers "alive" (it may be).
 */
final class Liveness implements AutoCloseable {
    static final String DIR = ".live";
    private static final String SUFFIX = ".live";
    private static final String NEW_SUFFIX = ".new";
    /** Fresh files tried before giving up (each lost to a probe's deletion or an id already taken). */
    private static final int MAX_ATTEMPTS = 1_000;
    private static final Set<Long> HELD_HERE = ConcurrentHashMap.newKeySet();
    private static final Object PROBE_LOCK = new Object();
    private static final SecureRandom RANDOM = new SecureRandom();

    final long id;
    final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private Liveness(final long id, final Path file, final FileChannel channel, final FileLock lock) {
        this.id = id;
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * @param root a fabric's directory
     * @param id   a liveness id
     * @return the file whose lock says whether the holder of {@code id} is alive
     */
    static Path fileOf(final Path root, final long id) {
        return root.resolve(DIR).resolve(Long.toHexString(id) + SUFFIX);
    }

    /**
     * Creates and locks a fresh liveness file in the fabric at {@code root}. The file is created as
     * {@code <id>.new}, locked, and only then renamed to {@code <id>.live}: a {@code .live} file is
     * never seen unlocked while its holder lives, so a probe (or {@link Fabric#clean()}) that finds one
     * unlocked may delete it. A probe that deletes the {@code .new} file before it was locked (even before
     * its mode was set) makes the creation or the rename fail, and the endpoint tries another id.
     *
     * @throws DsmException if the file cannot be created or locked
     */
    static Liveness acquire(final Path root, final FabricFiles files) {
        try {
            final Path dir = root.resolve(DIR);
            files.createDirectory(dir);
            for (int attempt = 1; ; attempt++) {
                if (attempt > MAX_ATTEMPTS) {
                    // every fresh file vanished before it was locked: something deletes files in .live
                    throw new DsmException("fabric " + root + ": no liveness file could be created in " + dir
                        + " in " + MAX_ATTEMPTS + " attempts: each fresh file was deleted before it was locked");
                }
                final long id = RANDOM.nextLong();
                if (id == 0 || !HELD_HERE.add(id)) {
                    continue;
                }
                boolean held = false;
                try {
                    final Path file = fileOf(root, id);
                    if (Files.exists(file)) {
                        continue;   // an id in use (or a dead holder's, not yet reclaimed): pick another
                    }
                    final Path fresh = dir.resolve(Long.toHexString(id) + NEW_SUFFIX);
                    final FileChannel ch;
                    try {
                        ch = files.createNew(fresh, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    } catch (final FileAlreadyExistsException e) {
                        continue;
                    } catch (final NoSuchFileException e) {
                        if (!Files.isDirectory(dir)) {
                            throw e;   // the directory itself was removed from outside: not a race to retry
                        }
                        // created, then deleted by a probe (another process's reclaimer) before this one set
                        // its mode or locked it: that probe took it for an abandoned .new file; another id
                        continue;
                    }
                    try {
                        final FileLock lock = ch.tryLock(0, 1, false);
                        if (lock == null) {
                            ch.close();   // a probe holds it for a moment and will delete it: another id
                            continue;
                        }
                        Files.move(fresh, file, StandardCopyOption.ATOMIC_MOVE);
                        held = true;
                        return new Liveness(id, file, ch, lock);
                    } catch (final NoSuchFileException e) {
                        ch.close();   // a probe deleted it before it was locked: another id
                    } catch (final IOException | RuntimeException e) {
                        ch.close();
                        Files.deleteIfExists(fresh);
                        throw e;
                    }
                } finally {
                    if (!held) {
                        HELD_HERE.remove(id);
                    }
                }
            }
        } catch (final IOException e) {
            throw new DsmException("fabric " + root + ": cannot create a liveness file in " + root.resolve(DIR)
                + ": " + e, e);
        }
    }

    /**
     * For {@link Fabric#clean()}: deletes a file of the {@code .live} directory if it is a liveness
     * file ({@code <id>.live}, or {@code <id>.new} being created) whose lock nobody holds. Never opens a
     * file whose id this JVM holds or is creating (closing any descriptor of it would drop this
     * process's lock).
     *
     * @return whether it was deleted
     */
    static boolean reclaimIfDead(final Path file) {
        final String n = file.getFileName().toString();
        final String hex = n.endsWith(SUFFIX) ? n.substring(0, n.length() - SUFFIX.length())
            : n.endsWith(NEW_SUFFIX) ? n.substring(0, n.length() - NEW_SUFFIX.length()) : null;
        if (hex == null || hex.isEmpty() || hex.length() > 16) {
            return false;
        }
        final long id;
        try {
            id = Long.parseUnsignedLong(hex, 16);
        } catch (final NumberFormatException e) {
            return false;
        }
        return id != 0 && !isHeld(id, file);
    }

    /**
     * Whether the holder of a liveness id is alive; see the class comment for how it is decided.
     *
     * @param id   the id recorded in a region's header
     * @param file {@link #fileOf(Path, long)} of the region's fabric
     * @return true if some process holds the lock (or this JVM holds the id, or the probe failed and it
     *         may be alive); false if nobody holds it or the file is gone
     */
    static boolean isHeld(final long id, final Path file) {
        if (HELD_HERE.contains(id)) {
            return true;
        }
        synchronized (PROBE_LOCK) {
            final FileChannel ch;
            try {
                ch = FileChannel.open(file, StandardOpenOption.READ);
            } catch (final NoSuchFileException e) {
                return false;
            } catch (final IOException e) {
                return true;
            }
            try (ch) {
                final FileLock probe = ch.tryLock(0, 1, true);
                if (probe == null) {
                    return true;
                }
                try {
                    Files.deleteIfExists(file);   // its holder is gone: reclaim what it left
                } finally {
                    probe.release();
                }
                return false;
            } catch (final OverlappingFileLockException | IOException e) {
                return true;
            }
        }
    }

    /** Deletes the file and releases the lock: the holder is no longer alive. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Files.deleteIfExists(file);
        } catch (final IOException e) {
            // a file left behind is reclaimed by the first probe that finds its lock free
        }
        try {
            lock.release();
            channel.close();
        } catch (final IOException e) {
            // the lock goes with the descriptor, or with the process
        } finally {
            HELD_HERE.remove(id);
        }
    }
}
