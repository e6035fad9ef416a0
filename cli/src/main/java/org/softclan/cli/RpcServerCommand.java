package org.softclan.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.softclan.examples.rpc.KvServer;
import org.softclan.examples.rpc.KvService;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code vmmc rpc-server}: the RPC demo's key-value server, by hand; serves until Ctrl-C. */
@Command(name = "rpc-server", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Serve the RPC demo's key-value store (put, get, delete, scan) until Ctrl-C; 'vmmc rpc-client' calls it.",
        "Prints one line starting with 'ready:' once clients can connect, and one starting with 'stopped:' when"
            + " it has closed."
    })
public final class RpcServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FabricOption fabric;

    @Option(names = "--service", paramLabel = "NAME", order = 1,
        description = "The service name clients connect to. Default: " + KvService.DEFAULT_NAME + ".")
    String service = KvService.DEFAULT_NAME;

    @Option(names = "--workers", paramLabel = "W", order = 2,
        description = "Threads that run handlers; 0 runs them on the polling thread. Default: 0.")
    int workers;

    static void check(final CommandSpec spec, final boolean ok, final String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        check(spec, workers >= 0, "--workers must not be negative (was " + workers + ")");
        final CountDownLatch stop = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "vmmc-rpc-server-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            KvServer.serve(fabric.root(), service, workers, spec.commandLine().getOut(), stop);
            return 0;
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // the hook is what stopped us: the JVM exits once it returns
            }
        }
    }
}
