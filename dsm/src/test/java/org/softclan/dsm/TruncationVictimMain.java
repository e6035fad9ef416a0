package org.softclan.dsm;

import java.nio.file.Paths;

/**
 * A process whose region file is cut from outside while it keeps accessing the region, run in its
 * own JVM by {@link RegionTruncationTest}.
 *
 * <pre>
 *   args: fabricDir region size owner|importer
 *   owner: exports the region; importer: imports it (key 0)
 *   -> "accessing GENERATION"     then stores and loads every long of the data area, round after
 *                                 round, with {@link Mapping#checkIntact()} after every 4096 accesses
 *                                 (the slow path a real layer would have), until the region fails
 *   -> "truncated HOW MESSAGE"    HOW: "access" (an access method threw), "check" (checkIntact threw)
 *                                 or "explained" (an InternalError surfaced in this loop and
 *                                 RegionFaults.explain named the region)
 *   -> "other CLASS MESSAGE"      anything else
 *   -> "closed"                   after closing the mapping, endpoint and fabric; then exits 0
 * </pre>
 */
public final class TruncationVictimMain {
    private TruncationVictimMain() {
    }

    public static void main(final String[] args) {
        final String region = args[1];
        final long size = Long.parseLong(args[2]);
        final boolean owner = "owner".equals(args[3]);
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("victim-" + ProcessHandle.current().pid())) {
            final Mapping m = owner ? ep.export(region, size) : ep.importRegion(region);
            System.out.println("accessing " + m.generation());
            System.out.println(run(m));
            m.close();
        }
        System.out.println("closed");
    }

    private static String run(final Mapping m) {
        final long words = m.size() / 8;
        long i = 0;
        long sum = 0;
        try {
            try {
                while (true) {
                    for (int k = 0; k < 4096; k++, i++) {
                        final long off = (i % words) * 8;
                        m.putLong(off, i);
                        sum += m.getLong(off);
                    }
                    try {
                        m.checkIntact();
                    } catch (final RegionTruncatedException e) {
                        return "truncated check " + e.getMessage();
                    }
                }
            } catch (final RegionTruncatedException e) {
                return "truncated access " + e.getMessage();
            } catch (final InternalError e) {
                final RegionTruncatedException t = RegionFaults.explain(e);
                return t == null ? "other " + e : "truncated explained " + t.getMessage();
            }
        } catch (final RuntimeException e) {
            return "other " + e + " (sum " + sum + ")";
        }
    }
}
