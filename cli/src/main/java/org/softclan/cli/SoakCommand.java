package org.softclan.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmmc soak}: a torture run of worker JVMs under attack (see {@link Soak}). */
@Command(name = "soak", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "A torture run: worker JVMs move messages, RPC calls and stream bytes through the library (each checked:"
            + " sequence numbers, checksums, echoed answers, every stream byte at its position) while they are"
            + " attacked at random moments: kill -9 (also mid-connect), a region file cut to 4 KiB, a hostile peer"
            + " writing garbage into a receive region, a close under a waiting thread, SIGTERM/SIGINT/SIGHUP."
            + " A survivor must notice its peer's departure within 10 s; then a fresh pair starts.",
        "Prints each attack, then a report: messages sent, received, lost, duplicated, reordered, torn; RPC calls"
            + " made, answered, wrong; stream bytes checked and corrupted; JVM crashes (hs_err files); waits that"
            + " overran their bound; files left in the fabric. Exit code 0 only if every invariant held."
    })
public final class SoakCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", paramLabel = "N", order = 1,
        description = "How long to attack, in seconds. Default: 60.")
    long seconds = 60;

    @Option(names = "--fabric", paramLabel = "DIR", order = 2,
        description = "The fabric's directory (kept afterwards). Default: a fresh temporary fabric, removed at the end.")
    Path fabric;

    @Option(names = "--seed", paramLabel = "S", order = 3, converter = Units.LongConverter.class,
        description = "Seeds every random choice (attacks, moments, payloads). Default: from the clock, printed.")
    Long seed;

    @Option(names = "--no-cut", order = 4,
        description = "Leave out the attack that cuts a worker's region file to 4 KiB (the others stay).")
    boolean noCut;

    @Override
    public Integer call() throws Exception {
        RpcServerCommand.check(spec, seconds >= 1, "--seconds must be at least 1 (was " + seconds + ")");
        final long s = seed != null ? seed : System.nanoTime() & 0xFFFFFFFFL;
        return new Soak(spec.commandLine().getOut(), new Soak.Settings(seconds, fabric, s, !noCut)).run();
    }
}
