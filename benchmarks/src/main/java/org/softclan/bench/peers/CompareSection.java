package org.softclan.bench.peers;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * One part of {@code bench compare}: runs its benchmarks (each in fresh JVMs), writes its files into the
 * output directory, and contributes a Markdown section to {@code results.md}. Compare runs its sections
 * in order ({@link CompareCommand#sections}).
 */
public interface CompareSection {
    /** What every section is given. */
    record Run(Path outDir, int size, Integer warmup, Integer iterations, long rate, double maxSeconds,
               List<String> transports, PrintStream log) {
    }

    /** @return the section's heading in {@code results.md} */
    String title();

    /** Runs the section's benchmarks and writes its files; a failing benchmark is reported, not thrown. */
    void run(Run run) throws Exception;

    /** @return the section's Markdown (after {@link #run}), without its heading */
    String markdown();

    /** @return the files {@link #run} wrote */
    List<Path> files();
}
