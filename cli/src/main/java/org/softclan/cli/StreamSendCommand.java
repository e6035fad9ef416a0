package org.softclan.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.softclan.examples.stream.StreamReceiver;
import org.softclan.examples.stream.StreamSender;
import org.softclan.vmmc.stream.SendTechnique;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmmc stream-send}: the streaming demo's sender, by hand, to a 'vmmc stream-receive'. */
@Command(name = "stream-send", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Stream generated data (--size) or a file (--file) to the 'vmmc stream-receive' listening on the service,"
            + " with a CRC32C of the bytes sent at the end for the receiver to check.",
        "Prints a line starting with 'sent:' with the time, GB/s and checksum; exit code 0 if everything was sent."
    })
public final class StreamSendCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Option(names = "--service", paramLabel = "NAME", order = 1,
        description = "The receiver's service name. Default: " + StreamReceiver.DEFAULT_SERVICE + ".")
    String service = StreamReceiver.DEFAULT_SERVICE;

    /** Exactly one of the two payloads. */
    static final class Payload {
        @Option(names = "--size", paramLabel = "SIZE", order = 2, converter = Units.SizeConverter.class,
            description = "Send SIZE bytes of generated data (k, m, g, KiB, MiB, GiB), e.g. 1GiB.")
        Long size;

        @Option(names = "--file", paramLabel = "PATH", order = 3, description = "Send the file's bytes.")
        Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Payload payload;

    @Option(names = "--technique", paramLabel = "T", order = 4, converter = Techniques.SendConverter.class,
        completionCandidates = Techniques.SendNames.class,
        description = "How to send: ${COMPLETION-CANDIDATES}. Default: pio.")
    SendTechnique technique = SendTechnique.PIO;

    @Option(names = "--chunk", paramLabel = "SIZE", order = 5, converter = Units.SizeConverter.class,
        description = "Size of each buffer handed to the stream. Default: 64KiB.")
    long chunk = StreamSender.DEFAULT_CHUNK;

    @Option(names = "--seed", paramLabel = "N", order = 6, converter = Units.LongConverter.class,
        description = "Seed of the generated data. Default: " + StreamSender.DEFAULT_SEED + ".")
    long seed = StreamSender.DEFAULT_SEED;

    @Override
    public Integer call() {
        RpcServerCommand.check(spec, chunk <= Integer.MAX_VALUE - 8, "--chunk must be at most 2 GiB (was " + chunk + ")");
        if (payload.file != null && !Files.isRegularFile(payload.file)) {
            throw new CliException("--file " + payload.file + ": " + (Files.exists(payload.file) ? "not a regular file"
                : "no such file"));
        }
        if (!fabric.exists()) {
            throw new CliException("no fabric at " + fabric.root() + ": the directory does not exist (check --fabric;"
                + " start 'vmmc stream-receive' on it first)");
        }
        return StreamSender.connectAndSend(new StreamSender.Options(fabric.root(), service,
            payload.size != null ? payload.size : -1, payload.file, seed, technique, (int) chunk, 30),
            spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}
