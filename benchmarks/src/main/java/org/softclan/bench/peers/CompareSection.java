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
    /**
     * What every section is given.
     *
     * @param outDir        where the section writes its files
     * @param size          payload bytes
     * @param warmup        warm-up round trips per run, null for pingpong's default
     * @param warmupSeconds minimum warm-up time per run, null for pingpong's default
     * @param iterations    measured round trips per run, null for pingpong's default
     * @param rate          fixed send rate (messages/s), 0 for back to back
     * @param maxSeconds    time cap of each measurement
     * @param rounds        rounds of the latency section (every transport once per round)
     * @param transports    the transports chosen, in order
     * @param log           where progress lines go
     */
    record Run(Path outDir, int size, Integer warmup, Double warmupSeconds, Integer iterations, long rate,
               double maxSeconds, int rounds, List<String> transports, PrintStream log) {
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
