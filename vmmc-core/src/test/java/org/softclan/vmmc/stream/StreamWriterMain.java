package org.softclan.vmmc.stream;

import java.io.OutputStream;
import java.nio.file.Paths;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.ConnectionContext;

/**
 * A byte-stream writer run in its own JVM by {@link ByteStreamCrossProcessTest}.
 *
 * <pre>
 *   args: fabricDir service bytes seed
 *   connects to `service`, prints "connected", writes `bytes` bytes of {@link #data} (forever if
 *   negative) through the stream's OutputStream in writes of pseudo-random sizes, prints
 *   "wrote N crc C writeMs W blockedMs B", closes the stream (ending it) and prints "closed".
 * </pre>
 */
public final class StreamWriterMain {
    /** Length of the repeated block of data: a prime, so block and write boundaries rarely meet. */
    static final int BLOCK = 1_048_573;

    private StreamWriterMain() {
    }

    /** @return the block of pseudo-random bytes that the stream repeats: byte p of the stream is block[p % BLOCK] */
    static byte[] data(final long seed) {
        final byte[] b = new byte[BLOCK];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** @return the CRC32C of the first {@code bytes} bytes of the stream of {@code block} */
    static long crcOf(final byte[] block, final long bytes) {
        final CRC32C crc = new CRC32C();
        for (long p = 0; p < bytes; ) {
            final int n = (int) Math.min(bytes - p, BLOCK);
            crc.update(block, 0, n);
            p += n;
        }
        return crc.getValue();
    }

    public static void main(final String[] args) throws Exception {
        final long bytes = Long.parseLong(args[2]);
        final long seed = Long.parseLong(args[3]);
        final byte[] block = data(seed);
        final Random sizes = new Random(seed + 1);
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("writer")) {
            final ByteStream stream = ByteStreams.connect(ep, args[1], new ConnectionContext(), 30, TimeUnit.SECONDS);
            final long start = System.nanoTime();   // before "connected": a reader may time a pause from that line
            System.out.println("connected");
            final CRC32C crc = new CRC32C();
            long p = 0;
            try (OutputStream out = new StreamOutputStream(stream)) {
                while (bytes < 0 || p < bytes) {
                    final int at = (int) (p % BLOCK);
                    long n = Math.min(1 + sizes.nextInt(256 * 1024), BLOCK - at);
                    if (bytes >= 0) {
                        n = Math.min(n, bytes - p);
                    }
                    out.write(block, at, (int) n);
                    crc.update(block, at, (int) n);
                    p += n;
                }
                System.out.println("wrote " + p + " crc " + crc.getValue() + " writeMs "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " blockedMs "
                    + TimeUnit.NANOSECONDS.toMillis(stream.stats().writeBlockedNanos()));
            }
            System.out.println("closed");
        }
    }
}
