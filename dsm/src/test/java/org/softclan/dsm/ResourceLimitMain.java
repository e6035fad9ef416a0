package org.softclan.dsm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs a process into a limit for {@link ResourceLimitTest}: lowers the limit it is told to (mappings
 * or open files) to what the process uses now plus the headroom plus {@code room}, exports small regions
 * until one is refused, then shows that the JVM still works and that closing regions makes room.
 *
 * <pre>
 *   args: fabricDir maps|files room
 *   -> "refused N MESSAGE"    after N regions were exported
 *   -> "threads ok"           20 new threads (each maps a stack) started and joined
 *   -> "after-close ok"       one more export succeeded once 100 regions were closed
 * </pre>
 */
public final class ResourceLimitMain {
    private ResourceLimitMain() {
    }

    public static void main(final String[] args) throws Exception {
        final boolean maps = "maps".equals(args[1]);
        final long room = Long.parseLong(args[2]);
        // before ProcessLimits is loaded (the headroom constants are inlined, they do not load it)
        if (maps) {
            System.setProperty("softclan.dsm.maxMapCount",
                Long.toString(count(Path.of("/proc/self/maps"), true) + ProcessLimits.MAPPING_HEADROOM + room));
        } else {
            System.setProperty("softclan.dsm.maxOpenFiles",
                Long.toString(count(Path.of("/proc/self/fd"), false) + ProcessLimits.DESCRIPTOR_HEADROOM + room));
        }
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("limited")) {
            final List<InboundMapping> regions = new ArrayList<>();
            try {
                for (int i = 0; i < 10 * room + 1000; i++) {
                    regions.add(ep.export("r" + i, 4096, 1));
                }
                System.out.println("never refused after " + regions.size());
                return;
            } catch (final ResourceLimitException e) {
                System.out.println("refused " + regions.size() + " " + e.getMessage());
            }
            final List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                final Thread t = new Thread(() -> { });
                t.start();
                threads.add(t);
            }
            for (final Thread t : threads) {
                t.join();
            }
            System.out.println("threads ok");
            for (int i = 0; i < 100; i++) {   // more than the new threads may have mapped meanwhile
                regions.remove(regions.size() - 1).close();
            }
            regions.add(ep.export("again", 4096, 1));
            System.out.println("after-close ok");
        }
    }

    private static long count(final Path path, final boolean lines) throws IOException {
        try (Stream<?> s = lines ? Files.lines(path) : Files.list(path)) {
            return s.count();
        }
    }
}
