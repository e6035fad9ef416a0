package org.softclan.cli;

import java.io.IOException;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code vmmc demo}: the runnable demos, one subcommand each: {@code rpc} and {@code stream}. Without a
 * subcommand it runs the RPC demo ({@code vmmc demo rpc}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    description = {
        "Run the demos. Without a subcommand: the RPC demo ('vmmc demo rpc') with its defaults.",
        "The streaming demo: 'vmmc demo stream'; the socket layer's: 'vmmc demo sockets'."
    },
    subcommands = {DemoRpcCommand.class, DemoStreamCommand.class, DemoSocketsCommand.class})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        final int exit = DemoRpcCommand.run(spec.commandLine().getOut(), DemoRpcCommand.DEFAULT_CALLS, null,
            DemoRpcCommand.DEFAULT_WORKERS, 1);
        spec.commandLine().getOut().println("(the streaming demo: vmmc demo stream)");
        spec.commandLine().getOut().flush();
        return exit;
    }
}
