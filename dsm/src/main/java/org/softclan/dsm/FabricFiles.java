package org.softclan.dsm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * How a fabric creates its files and directories: with modes set explicitly (never left to the
 * process's umask), {@code rwx------}/{@code rw-------} by default, {@code rwxrwx---}/{@code rw-rw----}
 * for a fabric opened with {@link Fabric.Context#shareWithGroup(boolean)}.
 *
 * <p>Each file is created with its final mode as a creation attribute (the umask can only take bits
 * away, so the file is never more open than intended, not even for an instant) and then set to exactly
 * that mode (so a umask such as {@code 027} does not take away the group's bits of a group fabric).
 * Only what this code creates gets a mode: an existing directory or file keeps the mode it has.
 * File systems without POSIX permissions get their defaults.
 */
final class FabricFiles {
    private final boolean posix;
    private final Set<PosixFilePermission> dirMode;
    private final Set<PosixFilePermission> fileMode;

    FabricFiles(final Path root, final boolean shareWithGroup) {
        this.posix = root.getFileSystem().supportedFileAttributeViews().contains("posix");
        this.dirMode = PosixFilePermissions.fromString(shareWithGroup ? "rwxrwx---" : "rwx------");
        this.fileMode = PosixFilePermissions.fromString(shareWithGroup ? "rw-rw----" : "rw-------");
    }

    /** @return the mode of files this fabric creates, e.g. {@code rw-------} */
    String fileModeString() {
        return PosixFilePermissions.toString(fileMode);
    }

    /** @return the mode of directories this fabric creates, e.g. {@code rwx------} */
    String dirModeString() {
        return PosixFilePermissions.toString(dirMode);
    }

    /**
     * Creates {@code dir} with the fabric's directory mode if it does not exist (its parent must).
     *
     * @return whether this call created it
     * @throws IOException if it cannot be created, or exists and is not a directory
     */
    boolean createDirectory(final Path dir) throws IOException {
        try {
            if (posix) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(dirMode));
                Files.setPosixFilePermissions(dir, dirMode);
            } else {
                Files.createDirectory(dir);
            }
            return true;
        } catch (final FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
            return false;
        }
    }

    /**
     * Creates a new file (it must not exist) with the fabric's file mode and opens it.
     *
     * @param options further options ({@code CREATE_NEW} is implied)
     * @throws FileAlreadyExistsException if it exists
     */
    FileChannel createNew(final Path file, final OpenOption... options) throws IOException {
        final Set<OpenOption> opts = new HashSet<>(Arrays.asList(options));
        opts.add(StandardOpenOption.CREATE_NEW);
        final FileAttribute<?>[] attrs = posix
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(fileMode)}
            : new FileAttribute<?>[0];
        final FileChannel ch = FileChannel.open(file, opts, attrs);
        if (posix) {
            try {
                Files.setPosixFilePermissions(file, fileMode);
            } catch (final IOException | RuntimeException e) {
                ch.close();
                Files.deleteIfExists(file);
                throw e;
            }
        }
        return ch;
    }

    /**
     * Opens {@code file} for writing, creating it with the fabric's file mode if it does not exist.
     */
    FileChannel openOrCreate(final Path file, final OpenOption... options) throws IOException {
        while (true) {
            try {
                return FileChannel.open(file, options);
            } catch (final java.nio.file.NoSuchFileException e) {
                try {
                    return createNew(file, options);
                } catch (final FileAlreadyExistsException raced) {
                    // created meanwhile by another process: open it
                }
            }
        }
    }

    /**
     * Refuses a fabric directory that belongs to another user than this process's (effective) user.
     *
     * @throws DsmException naming the directory, its owner, this user and the option that accepts it
     */
    static void checkOwnedByThisUser(final Path root) {
        final int mine = currentUid();
        final int owner;
        final String ownerName;
        try {
            owner = (Integer) Files.getAttribute(root, "unix:uid");
            ownerName = Files.getOwner(root).getName();
        } catch (final IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return;   // no unix owner to compare (not a POSIX file system)
        }
        if (mine >= 0 && owner != mine) {
            throw new DsmException("fabric directory " + root + " belongs to user '" + ownerName + "' (uid " + owner
                + "), not to this process's user '" + System.getProperty("user.name") + "' (uid " + mine
                + "): its owner can read, replace or delete every region in it. Use a directory of your own,"
                + " or open it with Fabric.Context.allowOtherOwner(true) if you trust that user");
        }
    }

    /** @return this process's effective uid, or -1 if it cannot be read (not Linux) */
    static int currentUid() {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (final IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /**
     * The file system's identity of a directory, the same whatever path reaches it (a symbolic link,
     * a bind mount, {@code /run/shm} for {@code /dev/shm}): its device and inode where the file system
     * gives them ({@link BasicFileAttributes#fileKey()}), else its real path.
     *
     * @throws DsmException if the directory cannot be read
     */
    static Object identityOf(final Path dir) {
        try {
            final Object key = Files.readAttributes(dir, BasicFileAttributes.class).fileKey();
            return key != null ? key : dir.toRealPath();
        } catch (final IOException e) {
            throw new DsmException("cannot read the attributes of fabric directory " + dir + ": " + e, e);
        }
    }
}
