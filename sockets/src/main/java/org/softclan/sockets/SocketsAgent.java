package org.softclan.sockets;

import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The Java agent that runs an unchanged program with the socket layer: {@code -javaagent:softclan-sockets.jar}
 * on its command line, or in {@code JAVA_TOOL_OPTIONS}. Before {@code main} it opens to itself the
 * packages of {@code java.base} that the layer and Chronicle Bytes reach into (so the program needs no
 * {@code --add-opens} flag), installs the layer for {@code java.net} sockets ({@link SocketLayer#install()})
 * and names its NIO provider ({@link LayerSelectorProvider}) in the property the JDK reads at the first
 * NIO use (then makes that use, so a provider chosen before is reported at once).
 *
 * <p>It never stops the program: if the layer cannot be installed (another socket factory, a JDK whose
 * implementation it cannot reach), it prints one line on stderr saying why and every connection stays
 * plain TCP. System properties: {@code softclan.sockets.enabled=false} keeps every connection on TCP;
 * {@code softclan.sockets.report=FILE} writes the layer's counters ({@link SocketLayerStats#report()}) to
 * {@code FILE} when the JVM exits; {@code softclan.sockets.verbose=true} prints a line when the layer is
 * installed.
 */
public final class SocketsAgent {
    /** Packages of {@code java.base} opened to the agent's module: the platform socket, then Chronicle's. */
    static final String[] OPENS = {"java.net", "sun.nio.ch", "java.lang", "java.lang.reflect", "java.io",
        "java.nio", "java.util", "jdk.internal.misc"};
    /** Packages of {@code java.base} exported to it (Chronicle's). */
    static final String[] EXPORTS = {"jdk.internal.misc", "jdk.internal.ref", "sun.nio.ch"};

    private SocketsAgent() {
    }

    /**
     * The agent's entry point, before {@code main}.
     *
     * @param args ignored
     * @param inst the JVM's instrumentation, used only to open {@code java.base}'s packages
     */
    public static void premain(final String args, final Instrumentation inst) {
        try {
            openJavaBase(inst);
        } catch (final RuntimeException e) {
            System.err.println("softclan sockets: cannot open java.base to the layer (" + e + "); trying anyway");
        }
        System.setProperty("chronicle.analytics.disable", System.getProperty("chronicle.analytics.disable", "true"));
        System.setProperty("chronicle.announcer.disable", System.getProperty("chronicle.announcer.disable", "true"));
        try {
            SocketLayer.install();
        } catch (final RuntimeException | Error e) {
            System.err.println("softclan sockets: not active, every connection stays plain TCP: " + e.getMessage());
            return;
        }
        installNio();
        final String report = System.getProperty("softclan.sockets.report");
        if (report != null && !report.isEmpty()) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> writeReport(report), "softclan-sockets-report"));
        }
        if (Boolean.getBoolean("softclan.sockets.verbose")) {
            System.err.println("softclan sockets: active, fabric " + SocketLayer.fabricRoot());
        }
    }

    /**
     * The entry point when loaded into a running JVM: the same as {@link #premain}, for sockets made
     * after it (a socket made before stays the JDK's).
     *
     * @param args ignored
     * @param inst the JVM's instrumentation
     */
    public static void agentmain(final String args, final Instrumentation inst) {
        premain(args, inst);
    }

    /**
     * Names the layer's NIO provider in the property the JDK reads at its first
     * {@code SelectorProvider.provider()}, and makes that happen now, so that a provider chosen earlier
     * (by another agent, or the program's own property) is reported here rather than found missing later.
     */
    private static void installNio() {
        if (System.getProperty(LayerSelectorProvider.PROPERTY) == null) {
            System.setProperty(LayerSelectorProvider.PROPERTY, LayerSelectorProvider.class.getName());
        }
        try {
            final java.nio.channels.spi.SelectorProvider p = java.nio.channels.spi.SelectorProvider.provider();
            if (!(p instanceof LayerSelectorProvider)) {
                System.err.println("softclan sockets: NIO channels stay the JDK's (the selector provider is "
                    + p.getClass().getName() + ", chosen before the agent ran or by -D" + LayerSelectorProvider.PROPERTY
                    + "); java.net sockets go through the layer");
            }
        } catch (final RuntimeException | Error e) {
            System.err.println("softclan sockets: NIO channels stay the JDK's: " + e);
        }
    }

    private static void openJavaBase(final Instrumentation inst) {
        final Module base = Object.class.getModule();
        final Set<Module> me = Set.of(SocketsAgent.class.getModule());
        final Map<String, Set<Module>> opens = new HashMap<>();
        for (final String p : OPENS) {
            opens.put(p, me);
        }
        final Map<String, Set<Module>> exports = new HashMap<>();
        for (final String p : EXPORTS) {
            exports.put(p, me);
        }
        inst.redefineModule(base, Set.of(), exports, opens, Set.of(), Map.of());
    }

    private static void writeReport(final String file) {
        try {
            Files.writeString(Paths.get(file), SocketLayer.STATS.report(), StandardCharsets.UTF_8);
        } catch (final IOException | RuntimeException e) {
            System.err.println("softclan sockets: cannot write the report to " + file + ": " + e);
        }
    }
}
