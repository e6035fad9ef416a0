package org.softclan.dsm;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * A region owner run in its own JVM by the cross-process tests: exports a region, then obeys one
 * command per line on standard input and answers one line on standard output.
 *
 * <pre>
 *   args: fabricDir region size key
 *   -> "ready GENERATION PID"
 *   long OFF                 -> "long V"            volatile load
 *   string OFF LEN           -> "string TEXT"
 *   crc OFF LEN              -> "crc HEX"           CRC32C of the bytes
 *   put-long OFF V           -> "ok"                release store by the owner
 *   put-string OFF TEXT      -> "ok"
 *   await-long OFF V MILLIS CHECK -> "seen W"|"timeout"  spin until the word at OFF equals V, then
 *                               at once read the long W at offset CHECK
 *   recreate                 -> "ready GENERATION PID"  remove the region and export it anew
 *   exit                     -> "bye"
 * </pre>
 */
public final class RegionOwnerMain {
    private RegionOwnerMain() {
    }

    public static void main(final String[] args) throws Exception {
        final String region = args[1];
        final long size = Long.parseLong(args[2]);
        final long key = Long.parseLong(args[3]);
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("owner-" + ProcessHandle.current().pid())) {
            InboundMapping in = ep.export(region, size, key);
            System.out.println("ready " + in.generation() + " " + ProcessHandle.current().pid());
            final BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                final String[] c = line.trim().split(" ", 5);
                try {
                    switch (c[0]) {
                        case "long":
                            System.out.println("long " + in.getLongAcquire(Long.parseLong(c[1])));
                            break;
                        case "string": {
                            final byte[] b = new byte[Integer.parseInt(c[2])];
                            in.get(Long.parseLong(c[1]), b, 0, b.length);
                            System.out.println("string " + new String(b, StandardCharsets.UTF_8));
                            break;
                        }
                        case "crc":
                            System.out.println("crc " + Long.toHexString(crc(in, Long.parseLong(c[1]),
                                Long.parseLong(c[2]))));
                            break;
                        case "put-long":
                            in.putLongRelease(Long.parseLong(c[1]), Long.parseLong(c[2]));
                            System.out.println("ok");
                            break;
                        case "put-string":
                            in.put(Long.parseLong(c[1]), line.trim().split(" ", 3)[2].getBytes(StandardCharsets.UTF_8));
                            System.out.println("ok");
                            break;
                        case "await-long": {
                            final long off = Long.parseLong(c[1]);
                            final long want = Long.parseLong(c[2]);
                            final long deadline = System.nanoTime()
                                + TimeUnit.MILLISECONDS.toNanos(Long.parseLong(c[3]));
                            final long check = Long.parseLong(c[4]);
                            String answer = "timeout";
                            while (System.nanoTime() < deadline) {
                                if (in.getLongAcquire(off) == want) {
                                    answer = "seen " + in.getLong(check);
                                    break;
                                }
                                Thread.onSpinWait();
                            }
                            System.out.println(answer);
                            break;
                        }
                        case "recreate":
                            in.close();
                            in = ep.export(region, size, key);
                            System.out.println("ready " + in.generation() + " " + ProcessHandle.current().pid());
                            break;
                        case "exit":
                            System.out.println("bye");
                            return;
                        default:
                            System.out.println("error unknown command " + c[0]);
                    }
                } catch (final RuntimeException e) {
                    System.out.println("error " + e.getMessage());
                }
            }
        }
    }

    /** CRC32C of {@code length} bytes of a mapping from {@code offset}, read in 1 MiB slices. */
    static long crc(final Mapping m, final long offset, final long length) {
        final CRC32C crc = new CRC32C();
        final byte[] buf = new byte[1 << 20];
        long done = 0;
        while (done < length) {
            final int n = (int) Math.min(buf.length, length - done);
            m.get(offset + done, buf, 0, n);
            crc.update(buf, 0, n);
            done += n;
        }
        return crc.getValue();
    }
}
