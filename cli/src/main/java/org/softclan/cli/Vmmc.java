package org.softclan.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.softclan.dsm.DsmException;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code vmmc} command: main class of the executable jar. Errors are reported on standard error
 * as one line, with exit code 1 for a failure while running and 2 for a usage error; {@code --verbose}
 * (or the environment variable {@value #VERBOSE_ENV}) adds the stack trace.
 */
@Command(name = "vmmc", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    description = "A software CLAN / VMMC: export, import, write, read and watch shared-memory regions; serve and"
        + " call RPC; send and receive streams; run the demos; attack worker JVMs in a soak.",
    subcommands = {ExportCommand.class, WriteCommand.class, ReadCommand.class, WatchCommand.class, AgentCommand.class,
        RegionsCommand.class, StatCommand.class, CleanCommand.class, RpcServerCommand.class, RpcClientCommand.class,
        StreamReceiveCommand.class, StreamSendCommand.class, DemoCommand.class, SoakCommand.class},
    footer = {"", "Run 'vmmc COMMAND --help' for a command's options."})
public final class Vmmc implements Callable<Integer> {
    /** Environment variable that, set to anything but empty, 0 or false, turns on {@code --verbose}. */
    public static final String VERBOSE_ENV = "VMMC_VERBOSE";

    /** Exit code of a failure while running a command. */
    public static final int EXIT_FAILURE = 1;
    /** Exit code of a usage error (picocli's). */
    public static final int EXIT_USAGE = 2;

    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, order = 10,
        description = "Print the stack trace of an error (or set " + VERBOSE_ENV + "=1).")
    boolean verbose;

    /**
     * Runs the command line and exits with its exit code.
     *
     * @param args the command line
     */
    public static void main(final String[] args) {
        // Before any Chronicle class loads: no usage analytics, no start-up banner.
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        System.exit(commandLine().execute(args));
    }

    /** @return the {@code vmmc} command line with its error handling, ready to {@code execute} */
    public static CommandLine commandLine() {
        final CommandLine cl = new CommandLine(new Vmmc());
        cl.setExecutionExceptionHandler(Vmmc::onFailure);
        cl.setParameterExceptionHandler(Vmmc::onUsageError);
        return cl;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    private static int onFailure(final Exception ex, final CommandLine cl, final ParseResult parsed) {
        if (ex instanceof ParameterException) {
            return onUsageError((ParameterException) ex, new String[0]);
        }
        final PrintWriter err = cl.getErr();
        final boolean expected = ex instanceof DsmException || ex instanceof CliException
            || ex instanceof IllegalArgumentException || ex instanceof IllegalStateException;
        final String message = expected && ex.getMessage() != null ? ex.getMessage() : ex.toString();
        final boolean verbose = verbose(cl);
        err.println(cl.getCommandSpec().qualifiedName() + ": " + message
            + (expected || verbose ? "" : " (run with --verbose for the stack trace)"));
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_FAILURE;
    }

    private static int onUsageError(final ParameterException ex, final String[] args) {
        final CommandLine cl = ex.getCommandLine();
        final PrintWriter err = cl.getErr();
        final String name = cl.getCommandSpec().qualifiedName();
        String hint = "";
        if (ex instanceof UnmatchedArgumentException) {
            final List<String> suggestions = ((UnmatchedArgumentException) ex).getSuggestions();
            if (!suggestions.isEmpty()) {
                hint = "; did you mean " + String.join(" or ", suggestions) + "?";
            }
        }
        String message = String.valueOf(ex.getMessage());
        if (message.startsWith("Error: ")) {
            message = message.substring("Error: ".length());
        }
        err.println(name + ": " + message + hint + " (see '" + name + " --help')");
        if (verbose(cl)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_USAGE;
    }

    private static boolean verbose(final CommandLine cl) {
        final Object root = cl.getCommandSpec().root().userObject();
        if (root instanceof Vmmc && ((Vmmc) root).verbose) {
            return true;
        }
        final String env = System.getenv(VERBOSE_ENV);
        return env != null && !env.isEmpty() && !"0".equals(env) && !"false".equals(env.toLowerCase(Locale.ROOT));
    }
}
