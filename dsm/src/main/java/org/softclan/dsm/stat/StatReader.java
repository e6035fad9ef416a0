package org.softclan.dsm.stat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.errors.ErrorLogReader;
import org.agrona.concurrent.status.CountersReader;

/**
 * Reads the statistics files of a fabric's endpoints ({@link StatFileDescriptor}): a copy of each file, taken
 * with {@code pread} (nothing is mapped, so a file cut meanwhile is a short read, never a fault), checked
 * before any offset in it is used. A file that fails a check is reported with what is wrong, not thrown.
 */
public final class StatReader {
    private StatReader() {
    }

    /**
     * One counter.
     *
     * @param id     its id in the endpoint's file
     * @param typeId its type ({@link StatTypes})
     * @param label  what it counts
     * @param value  its value at the endpoint's last publication
     */
    public record Counter(int id, int typeId, String label, long value) {
    }

    /**
     * One distinct error.
     *
     * @param count       how often it happened
     * @param firstMillis when first, ms since the epoch
     * @param lastMillis  when last, ms since the epoch
     * @param text        its type, message and stack
     */
    public record ErrorRecord(int count, long firstMillis, long lastMillis, String text) {
    }

    /**
     * What one statistics file said.
     *
     * @param file            the file
     * @param endpoint        the endpoint's name ({@code null} if the file failed a check)
     * @param pid             its process id
     * @param startMillis     its process's start time, ms since the epoch
     * @param livenessId      its liveness id
     * @param heartbeatMillis its last publication, ms since the epoch
     * @param alive           whether the endpoint is open (its liveness lock is held) when read
     * @param counters        its counters, by id
     * @param errors          its distinct errors, in the order recorded
     * @param problem         what is wrong with the file, or {@code null}
     */
    public record EndpointSnapshot(Path file, String endpoint, long pid, long startMillis, long livenessId,
                                   long heartbeatMillis, boolean alive, List<Counter> counters,
                                   List<ErrorRecord> errors, String problem) {
        /**
         * {@return the value of the first counter of this type, or -1 if there is none}
         *
         * @param typeId the type
         */
        public long value(final int typeId) {
            for (final Counter c : counters) {
                if (c.typeId() == typeId) {
                    return c.value();
                }
            }
            return -1;
        }
    }

    /**
     * Reads every statistics file of a fabric.
     *
     * @param fabricRoot the fabric's directory
     * @return one snapshot per file, by file name; empty if the fabric has no statistics directory
     * @throws IOException if the directory cannot be listed
     */
    public static List<EndpointSnapshot> readAll(final Path fabricRoot) throws IOException {
        final Path dir = fabricRoot.resolve(StatFileDescriptor.DIR);
        final List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + StatFileDescriptor.SUFFIX)) {
            for (final Path f : ds) {
                files.add(f);
            }
        } catch (final NoSuchFileException none) {
            return List.of();
        }
        files.sort(null);
        final List<EndpointSnapshot> out = new ArrayList<>();
        for (final Path f : files) {
            final EndpointSnapshot s = read(f);
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Reads one statistics file.
     *
     * @param file the file
     * @return what it says, or {@code null} if it vanished meanwhile (its endpoint closed)
     */
    public static EndpointSnapshot read(final Path file) {
        final String notOurs = notAStatFile(file);
        if (notOurs != null) {
            return notOurs.isEmpty() ? null : broken(file, notOurs);
        }
        final ByteBuffer b;
        try {
            b = readAtMost(file, StatFileDescriptor.MAX_FILE_LENGTH);
        } catch (final NoSuchFileException gone) {
            return null;
        } catch (final IOException e) {
            return broken(file, "cannot be read: " + e);
        }
        if (b == null) {
            return broken(file, "the file is more than the " + StatFileDescriptor.MAX_FILE_LENGTH
                + " bytes a statistics file may have");
        }
        String problem = StatFileDescriptor.check(b, b.limit());
        if (problem == null && b.getLong(StatFileDescriptor.LIVENESS_ID_OFFSET)
            != StatFileDescriptor.idOf(file.getFileName().toString())) {
            // a file that names another endpoint's liveness lock would borrow its life: not believed
            problem = "its header names liveness id " + Long.toHexString(b.getLong(StatFileDescriptor.LIVENESS_ID_OFFSET))
                + ", its name another";
        }
        if (problem != null) {
            return broken(file, problem);
        }
        final int metaLength = b.getInt(StatFileDescriptor.METADATA_LENGTH_OFFSET);
        final int valuesLength = b.getInt(StatFileDescriptor.VALUES_LENGTH_OFFSET);
        final int errorLength = b.getInt(StatFileDescriptor.ERROR_LOG_LENGTH_OFFSET);
        final byte[] all = b.array();
        final UnsafeBuffer meta = new UnsafeBuffer(all, StatFileDescriptor.HEADER_LENGTH, metaLength);
        final UnsafeBuffer values = new UnsafeBuffer(all, (int) StatFileDescriptor.valuesOffset(metaLength), valuesLength);
        final List<Counter> counters = new ArrayList<>();
        String bad = null;
        if (valuesLength > 0) {
            final CountersReader reader = new CountersReader(meta, values, java.nio.charset.StandardCharsets.UTF_8);
            for (int id = 0; id <= reader.maxCounterId(); id++) {
                try {
                    if (reader.getCounterState(id) == CountersReader.RECORD_ALLOCATED) {
                        counters.add(new Counter(id, reader.getCounterTypeId(id), reader.getCounterLabel(id),
                            reader.getCounterValue(id)));
                    }
                } catch (final RuntimeException e) {
                    // a label length past its field (the file is not what its writer wrote): skip the counter
                    if (bad == null) {
                        bad = "counter " + id + " is unreadable (" + e.getMessage() + ")";
                    }
                }
            }
        }
        final List<ErrorRecord> errors = new ArrayList<>();
        if (errorLength > 0) {
            final UnsafeBuffer log = new UnsafeBuffer(all, (int) StatFileDescriptor.errorLogOffset(metaLength, valuesLength),
                errorLength);
            try {
                ErrorLogReader.read(log, (count, first, last, text) -> errors.add(new ErrorRecord(count, first, last, text)));
            } catch (final RuntimeException e) {
                if (bad == null) {
                    bad = "the error log is unreadable after " + errors.size() + " records (" + e.getMessage() + ")";
                }
            }
        }
        return new EndpointSnapshot(file, StatFileDescriptor.name(b), b.getLong(StatFileDescriptor.PID_OFFSET),
            b.getLong(StatFileDescriptor.START_TIME_OFFSET), b.getLong(StatFileDescriptor.LIVENESS_ID_OFFSET),
            b.getLong(StatFileDescriptor.HEARTBEAT_OFFSET), alive(file, b), List.copyOf(counters), List.copyOf(errors), bad);
    }

    /** How long a dead endpoint's statistics file is kept after its last publication by the fabric's sweeps. */
    public static final long RETAIN_DEAD_MILLIS = 60_000;

    /**
     * Whether a statistics file may be removed: its endpoint is dead and its last publication is older than
     * {@code retainMillis} (0: whatever its age). A file that is not a statistics file this version reads
     * counts by its modification time.
     *
     * @param file         the file
     * @param retainMillis how long after its last publication a dead endpoint's file is kept, in ms
     * @return whether it may be removed
     */
    public static boolean reclaimable(final Path file, final long retainMillis) {
        if (notAStatFile(file) != null) {
            return false;   // only regular files named as a writer names them are ever removed
        }
        final long modified;
        final ByteBuffer b;
        try {
            modified = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis();
            b = readAtMost(file, StatFileDescriptor.HEADER_LENGTH);
        } catch (final IOException e) {
            return false;
        }
        final long now = System.currentTimeMillis();
        final long id = StatFileDescriptor.idOf(file.getFileName().toString());
        if (b == null || b.limit() < StatFileDescriptor.HEADER_LENGTH || b.getLong(StatFileDescriptor.MAGIC_OFFSET)
            != StatFileDescriptor.MAGIC || b.getLong(StatFileDescriptor.LIVENESS_ID_OFFSET) != id) {
            return now - modified >= retainMillis;   // not what a writer wrote: by its age
        }
        if (aliveById(file, id)) {
            return false;
        }
        return now - Math.max(modified, b.getLong(StatFileDescriptor.HEARTBEAT_OFFSET)) >= retainMillis;
    }

    /**
     * {@return {@code null} if {@code file} is a regular file (not a link) named {@code ID.stat}; else an empty
     * string if it is gone, or why it is not read}: a FIFO would block the open, a link could lead anywhere
     */
    private static String notAStatFile(final Path file) {
        if (StatFileDescriptor.idOf(file.getFileName().toString()) == 0) {
            return "not named as a statistics file (ID.stat, ID in hexadecimal)";
        }
        try {
            final BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() ? null : "not a regular file";
        } catch (final NoSuchFileException gone) {
            return "";
        } catch (final IOException e) {
            return "cannot be read: " + e;
        }
    }

    /** Reads a whole file of at most {@code max} bytes (the first {@code max} if {@code max} is the header's); null if longer. */
    private static ByteBuffer readAtMost(final Path file, final long max) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            final long size = ch.size();
            if (size > max && max != StatFileDescriptor.HEADER_LENGTH) {
                return null;
            }
            final ByteBuffer b = ByteBuffer.allocate((int) Math.min(size, max)).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // a file cut meanwhile reads short: the caller checks the length
            }
            return b.flip();
        }
    }

    private static EndpointSnapshot broken(final Path file, final String problem) {
        return new EndpointSnapshot(file, null, 0, 0, 0, 0, false, List.of(), List.of(), problem);
    }

    /** Whether the file's endpoint holds its liveness lock (its file is FABRIC/.stat/ID.stat). */
    private static boolean alive(final Path file, final ByteBuffer header) {
        return aliveById(file, header.getLong(StatFileDescriptor.LIVENESS_ID_OFFSET));
    }

    /** Whether the endpoint of liveness id {@code id} holds its lock (the file is FABRIC/.stat/ID.stat). */
    private static boolean aliveById(final Path file, final long id) {
        final Path dir = file.toAbsolutePath().getParent();
        final Path root = dir == null ? null : dir.getParent();
        if (root == null || id == 0) {
            return false;
        }
        return org.softclan.dsm.OwnerId.inFabric(root, 0, 0, "", id).isAlive();
    }
}
