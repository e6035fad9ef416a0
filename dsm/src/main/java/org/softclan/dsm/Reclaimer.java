package org.softclan.dsm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Removes what dead processes left in a fabric, always with the fabric lock held (by
 * {@link NameService}), and never a file of a live owner:
 *
 * <ul>
 *   <li>{@code <name>.region} files whose owner is dead (its liveness lock is free): the generation
 *       floor is raised to the file's generation, the file's state word becomes {@code revoked} (so a
 *       process still mapping it learns on its next transfer), then it is unlinked (never truncated);</li>
 *   <li>{@code .<name>.<generation>.<pid>.tmp} files of exports that never finished: exports write
 *       them only while they hold the fabric lock, so one seen by a lock holder is abandoned;</li>
 *   <li>{@code .live/<id>.live} and {@code .live/<id>.new} liveness files nobody holds a lock on;</li>
 *   <li>the {@code .generations/} directory of older versions (one file per name ever exported):
 *       each value is folded into the generation floor, then the file is removed.</li>
 * </ul>
 *
 * <p><b>Bounded work.</b> A bounded pass ({@link #sweep(FileChannel, int)} with a budget) looks at
 * most {@code budget} candidates (files whose header is read, whose lock is probed, or that are
 * removed) in each of the three directories, resuming where the previous pass of this JVM over the
 * same directory stopped, so repeated passes reach every file; entries that are not candidates only
 * cost a directory read. A full pass ({@link Fabric#clean()}) looks at everything.
 */
final class Reclaimer {
    /** Candidates looked at per directory by the pass an export or {@link Fabric#open} makes. */
    static final int BOUNDED_BUDGET = 8;
    static final String LEGACY_GENERATIONS = ".generations";

    /** Where the last bounded pass stopped, per fabric directory identity and subdirectory. */
    private static final ConcurrentHashMap<List<Object>, Integer> CURSORS = new ConcurrentHashMap<>();

    private final NameService names;
    private final Path root;
    private final Object identity;

    Reclaimer(final NameService names, final Path root, final Object identity) {
        this.names = names;
        this.root = root;
        this.identity = identity;
    }

    /**
     * One pass; call with the fabric lock held.
     *
     * @param lock   the fabric's lock file (which holds the generation floor)
     * @param budget candidates looked at per directory; {@link Integer#MAX_VALUE} for everything
     */
    Reclaimed sweep(final FileChannel lock, final int budget) throws IOException {
        final List<String> regions = new ArrayList<>();
        final List<Path> removed = new ArrayList<>();
        pass(root, budget, p -> reclaimRootEntry(lock, p, regions, removed));
        pass(root.resolve(Liveness.DIR), budget, p -> {
            if (Liveness.reclaimIfDead(p)) {
                removed.add(p);
            }
            return true;
        });
        // a dead endpoint's statistics stay readable (vmmc stat: dead, with its last figures) for a while
        // (only in a real directory, never through a link, and only regular files named ID.stat: see reclaimable)
        final long retain = budget == Integer.MAX_VALUE ? 0 : org.softclan.dsm.stat.StatReader.RETAIN_DEAD_MILLIS;
        final Path stat = root.resolve(org.softclan.dsm.stat.StatFileDescriptor.DIR);
        if (Files.isDirectory(stat, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            pass(stat, budget, p -> {
                try {
                    if (org.softclan.dsm.stat.StatReader.reclaimable(p, retain) && Files.deleteIfExists(p)) {
                        removed.add(p);
                    }
                } catch (final RuntimeException e) {
                    // a file no writer made: left alone (a sweep must not fail on what a peer put there)
                }
                return true;
            });
        }
        final Path legacy = root.resolve(LEGACY_GENERATIONS);
        if (Files.isDirectory(legacy)) {
            pass(legacy, budget, p -> {
                foldLegacyGeneration(lock, p);
                if (Files.deleteIfExists(p)) {
                    removed.add(p);
                }
                return true;
            });
            try {
                Files.deleteIfExists(legacy);   // only once empty
            } catch (final DirectoryNotEmptyException e) {
                // more next time
            }
        }
        return regions.isEmpty() && removed.isEmpty() ? Reclaimed.NOTHING : new Reclaimed(regions, removed);
    }

    private interface Candidate {
        /** @return whether {@code p} was a candidate (counts against the budget) */
        boolean look(Path p) throws IOException;
    }

    private void pass(final Path dir, final int budget, final Candidate candidate) throws IOException {
        final boolean bounded = budget != Integer.MAX_VALUE;
        final List<Object> key = List.of(identity, dir.getFileName().toString());
        final int start = bounded ? CURSORS.getOrDefault(key, 0) : 0;
        int index = 0;
        int looked = 0;
        boolean finished = true;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (final Path p : entries) {
                if (index++ < start) {
                    continue;
                }
                if (looked >= budget) {
                    finished = false;
                    break;
                }
                if (candidate.look(p)) {
                    looked++;
                }
            }
        } catch (final NoSuchFileException e) {
            return;
        }
        if (bounded) {
            // resume after what was looked at (removals shift later entries back: a few are looked at twice)
            CURSORS.put(key, finished ? 0 : Math.max(0, index - 1));
        }
    }

    private boolean reclaimRootEntry(final FileChannel lock, final Path p, final List<String> regions,
                                     final List<Path> removed) throws IOException {
        final String file = p.getFileName().toString();
        if (file.startsWith(".") && file.endsWith(".tmp")) {
            if (Files.deleteIfExists(p)) {   // an export that never finished (exports hold the lock we hold)
                removed.add(p);
            }
            return true;
        }
        if (!file.endsWith(NameService.SUFFIX) || file.startsWith(".")) {
            return false;
        }
        final RegionHeader header;
        try {
            header = NameService.headerOf(p);
        } catch (final RegionFormatException | NoSuchFileException e) {
            return true;   // not a region this version reads (or gone): never removed
        }
        final Path liveness = header.owner().livenessFile();
        final boolean hadLiveness = liveness != null && Files.exists(liveness);
        if (header.owner().isAlive()) {
            return true;
        }
        if (hadLiveness && !Files.exists(liveness) && !removed.contains(liveness)) {
            removed.add(liveness);   // the probe that found the owner dead removed its liveness file
        }
        NameService.raiseFloor(lock, header.generation());   // before the name's last file goes
        NameService.revokeFile(p);
        Files.deleteIfExists(p);
        regions.add(file.substring(0, file.length() - NameService.SUFFIX.length()));
        removed.add(p);
        return true;
    }

    private static void foldLegacyGeneration(final FileChannel lock, final Path p) throws IOException {
        if (p.getFileName().toString().startsWith(".")) {
            return;   // a temporary file of an older version
        }
        try {
            NameService.raiseFloor(lock, Long.parseLong(Files.readString(p, StandardCharsets.US_ASCII).trim()));
        } catch (final NumberFormatException | NoSuchFileException e) {
            // nothing to keep
        }
    }

    @Override
    public String toString() {
        return "reclaimer of " + names.root();
    }
}
