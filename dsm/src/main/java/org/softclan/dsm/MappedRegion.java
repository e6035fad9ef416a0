package org.softclan.dsm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import net.openhft.chronicle.core.OS;

/**
 * One read-write mapping of a whole region file (header and data), made with Chronicle's
 * {@link OS#map}, which maps files of any size, and released with {@link OS#unmap}.
 *
 * <p>It keeps the file's channel open while mapped, so the file's current size can be asked of the
 * file this process mapped ({@code fstat} on its descriptor), even after the name was unlinked or
 * now refers to another file. Nothing here takes a file lock on the region file: closing the channel
 * would otherwise release locks this process holds on it.
 */
final class MappedRegion {
    /** {@code FileChannelImpl.fd} and {@code FileDescriptor.fd}, or null where they cannot be read. */
    private static final java.lang.reflect.Field CHANNEL_FD;
    private static final java.lang.reflect.Field DESCRIPTOR_FD;

    static {
        java.lang.reflect.Field channelFd = null;
        java.lang.reflect.Field descriptorFd = null;
        try {
            channelFd = Class.forName("sun.nio.ch.FileChannelImpl").getDeclaredField("fd");
            channelFd.setAccessible(true);
            descriptorFd = java.io.FileDescriptor.class.getDeclaredField("fd");
            descriptorFd.setAccessible(true);
        } catch (final ReflectiveOperationException | RuntimeException e) {
            channelFd = null;   // fstat through the channel instead
        }
        CHANNEL_FD = channelFd;
        DESCRIPTOR_FD = descriptorFd;
    }

    final Path path;
    final long address;
    final long length;
    private final FileChannel channel;
    /** {@code /proc/self/fd/N} of the channel's descriptor, or null: see {@link #fileSize()}. */
    private final Path descriptorPath;
    /** The channel's descriptor number in this process, or -1 where it cannot be read. */
    final int descriptor;
    private volatile boolean unmapped;

    private MappedRegion(final Path path, final FileChannel channel, final long address, final long length) {
        this.path = path;
        this.channel = channel;
        this.address = address;
        this.length = length;
        this.descriptor = channel == null ? -1 : descriptor(channel);
        this.descriptorPath = descriptor >= 0 ? Path.of("/proc/self/fd/" + descriptor) : null;
    }

    /**
     * Memory of this process alone, zeroed, standing in for a region's header where the region has no
     * local file (a region of another host): its state word is this process's view of the region. No
     * file, no descriptor; never cut; freed by {@link #unmap()}.
     *
     * @param what  names the region, for messages
     * @param length bytes
     */
    static MappedRegion detached(final String what, final long length) {
        final long address = net.openhft.chronicle.core.UnsafeMemory.UNSAFE.allocateMemory(length);
        net.openhft.chronicle.core.UnsafeMemory.UNSAFE.setMemory(address, length, (byte) 0);
        return new MappedRegion(Path.of("(" + what + ": no local file)"), null, address, length);
    }

    /** {@return whether this is {@linkplain #detached detached} memory, not a mapped file} */
    boolean isDetached() {
        return channel == null;
    }

    /**
     * {@return why a raw address into a detached region's memory cannot be given}
     *
     * @param mapping the mapping asked, described ("outbound mapping of region 'r' (generation 1)")
     */
    static UnsupportedOperationException noLocalMemory(final String mapping) {
        return new UnsupportedOperationException(mapping + " is a region of another host: it has no memory in"
            + " this process to address (use the mapping's access methods)");
    }

    private static int descriptor(final FileChannel channel) {
        if (CHANNEL_FD == null) {
            return -1;
        }
        try {
            final int fd = DESCRIPTOR_FD.getInt(CHANNEL_FD.get(channel));
            return fd >= 0 && java.nio.file.Files.exists(Path.of("/proc/self/fd/" + fd)) ? fd : -1;
        } catch (final ReflectiveOperationException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Maps {@code length} bytes of the file from its start. On success the mapping owns
     * {@code channel} and closes it on {@link #unmap()}.
     */
    static MappedRegion map(final Path path, final FileChannel channel, final long length) throws IOException {
        final long address = OS.map(channel, FileChannel.MapMode.READ_WRITE, 0, length);
        return new MappedRegion(path, channel, address, length);
    }

    /**
     * One {@code stat} of the mapped file, through {@code /proc/self/fd} (the file this process mapped,
     * even once its name was unlinked or reused), not through the channel: the JVM may deliver a fault
     * it held back (of a region cut from outside) inside whatever this thread runs next, and inside the
     * channel's own bookkeeping of the threads in its calls that left the channel unclosable (a later
     * close waited for ever). A stat by path keeps no such state.
     *
     * @return the file's size in bytes now, or -1 if it cannot be read (for example once unmapped)
     */
    long fileSize() {
        if (unmapped) {
            return -1;
        }
        if (channel == null) {
            return length;   // detached memory: nobody else can cut it
        }
        try {
            return descriptorPath != null ? java.nio.file.Files.size(descriptorPath) : channel.size();
        } catch (final IOException e) {
            return -1;
        }
    }

    /** @return whether {@link #fileSize()} reads the size through {@code /proc/self/fd} (for tests) */
    boolean sizeByDescriptorPath() {
        return descriptorPath != null;
    }

    /** @return whether the file still holds every byte mapped (one {@code fstat}) */
    boolean intact() {
        return fileSize() >= length;
    }

    /**
     * Writes an int of the header through the file (a positional write, never through the mapping),
     * and only if the file still reaches past it: a file cut short from outside is not extended and no
     * mapped page past its end is touched. The write reaches every mapping of the file (one page cache).
     *
     * @return whether it was written
     */
    synchronized boolean writeHeaderInt(final int offset, final int value) {
        if (unmapped || fileSize() < offset + 4L) {
            return false;
        }
        if (channel == null) {
            net.openhft.chronicle.core.UnsafeMemory.UNSAFE.putIntVolatile(null, address + offset, value);
            return true;
        }
        final ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
        try {
            int done = 0;
            while (done < 4) {
                final int n = channel.write(b, offset + done);
                if (n <= 0) {
                    return false;
                }
                done += n;
            }
            return true;
        } catch (final IOException e) {
            return false;
        }
    }

    /** Unmaps (touching no mapped memory) and closes the file's channel. Idempotent. */
    synchronized void unmap() {
        if (!unmapped) {
            unmapped = true;
            if (channel == null) {
                net.openhft.chronicle.core.UnsafeMemory.UNSAFE.freeMemory(address);
                return;
            }
            try {
                OS.unmap(address, length);
            } catch (final IOException e) {
                throw new DsmException("could not unmap " + path + " (" + length + " bytes)", e);
            } finally {
                try {
                    channel.close();
                } catch (final IOException e) {
                    // the mapping is gone; a failed close of its descriptor leaves nothing to undo
                }
            }
        }
    }
}
