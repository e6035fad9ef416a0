package org.softclan.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.softclan.examples.stream.StreamFormat;
import org.softclan.examples.stream.StreamReceiver;
import org.softclan.vmmc.stream.ReceiveTechnique;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmmc stream-receive}: the streaming demo's receiver, by hand; 'vmmc stream-send' is the other half. */
@Command(name = "stream-receive", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Receive one stream from 'vmmc stream-send' and check it: its length, its CRC32C against the sender's, and"
            + " for generated data every byte.",
        "Prints a line starting with 'ready:' once a sender can connect, and one starting with 'result: INTACT' (exit"
            + " code 0) or 'result: FAILED' (exit code 1) at the end. Waits for a sender until Ctrl-C."
    })
public final class StreamReceiveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Option(names = "--service", paramLabel = "NAME", order = 1,
        description = "The service name the sender connects to. Default: " + StreamReceiver.DEFAULT_SERVICE + ".")
    String service = StreamReceiver.DEFAULT_SERVICE;

    @Option(names = "--out", paramLabel = "FILE", order = 2,
        description = "Write the payload to FILE (only if it arrived intact; FILE.part while receiving).")
    Path out;

    @Option(names = "--receive-technique", paramLabel = "T", order = 3, converter = Techniques.ReceiveConverter.class,
        completionCandidates = Techniques.ReceiveNames.class,
        description = "How to receive: ${COMPLETION-CANDIDATES}. Default: buffered.")
    ReceiveTechnique technique = ReceiveTechnique.BUFFERED;

    @Option(names = "--chunk", paramLabel = "SIZE", order = 4, converter = Units.SizeConverter.class,
        description = "Size of the buffer each read goes into (k, m, g, KiB, MiB, GiB). Default: 64KiB.")
    long chunk = StreamReceiver.DEFAULT_CHUNK;

    @Option(names = "--idle-seconds", paramLabel = "S", order = 5,
        description = "Give up if the sender sends nothing for S seconds mid-stream; 0: wait forever. Default: "
            + StreamReceiver.DEFAULT_IDLE_SECONDS + ".")
    long idleSeconds = StreamReceiver.DEFAULT_IDLE_SECONDS;

    @Override
    public Integer call() {
        RpcServerCommand.check(spec, chunk >= StreamFormat.HEADER_LENGTH && chunk <= Integer.MAX_VALUE - 8,
            "--chunk must be from " + StreamFormat.HEADER_LENGTH + " bytes to 2 GiB (was " + chunk + ")");
        RpcServerCommand.check(spec, idleSeconds >= 0, "--idle-seconds must not be negative (was " + idleSeconds + ")");
        return StreamReceiver.listenAndReceive(new StreamReceiver.Options(fabric.root(), service, out, technique,
            (int) chunk, 0, idleSeconds, 0), spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}
