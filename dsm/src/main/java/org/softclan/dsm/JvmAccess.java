package org.softclan.dsm;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks, before anything is mapped, that the JVM was started with the {@code --add-opens} and
 * {@code --add-exports} flags Chronicle Bytes needs on JDK 17 and newer. Without them Chronicle fails
 * deep inside its first mapping (an {@link AssertionError} about {@code FileChannelImpl.map0}) after
 * the region's file was created; this check fails first, with the flags to add, and leaves nothing.
 *
 * <p>The flags are those of the build's {@code softclan.jvm.flags} property (and of the CLI jar's
 * {@code Add-Opens}/{@code Add-Exports} manifest entries). The check asks the module system whether
 * each package is open (or exported) to Chronicle's module ({@link Module#isOpen(String, Module)}),
 * once per JVM; a few microseconds.
 */
final class JvmAccess {
    /** {module, package} pairs that must be open to Chronicle's module. */
    private static final String[][] OPENS = {
        {"java.base", "java.lang"}, {"java.base", "java.lang.reflect"}, {"java.base", "java.io"},
        {"java.base", "java.nio"}, {"java.base", "java.util"}, {"java.base", "sun.nio.ch"},
        {"java.base", "jdk.internal.misc"},
    };
    /** {module, package} pairs that must be exported to Chronicle's module. */
    private static final String[][] EXPORTS = {
        {"java.base", "jdk.internal.misc"}, {"java.base", "jdk.internal.ref"}, {"java.base", "sun.nio.ch"},
        {"jdk.unsupported", "sun.misc"},
    };
    private static volatile boolean checked;

    private JvmAccess() {
    }

    /**
     * @throws DsmException listing the exact flags to add to the {@code java} command line (or to an
     *                      executable jar's manifest) if any is missing; nothing was created then
     */
    static void check() {
        if (checked) {
            return;
        }
        final List<String> missing = missingFlags();
        if (!missing.isEmpty()) {
            throw new DsmException("this JVM was started without the flags Chronicle Bytes needs to map"
                + " shared memory on JDK " + Runtime.version().feature() + "; nothing was created. Add to the java"
                + " command line (or, as Add-Opens/Add-Exports entries, to the executable jar's manifest): "
                + String.join(" ", missing) + (missing.size() == allFlags().size() ? ""
                : "  (all the project's flags: " + String.join(" ", allFlags()) + ")"));
        }
        checked = true;
    }

    /** @return the flags missing in this JVM, e.g. {@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED} */
    static List<String> missingFlags() {
        final Module target = chronicleModule();
        final String to = target.isNamed() ? target.getName() : "ALL-UNNAMED";
        final List<String> out = new ArrayList<>();
        for (final String[] p : OPENS) {
            final Optional<Module> m = ModuleLayer.boot().findModule(p[0]);
            if (m.isPresent() && !m.get().isOpen(p[1], target)) {
                out.add("--add-opens=" + p[0] + "/" + p[1] + "=" + to);
            }
        }
        for (final String[] p : EXPORTS) {
            final Optional<Module> m = ModuleLayer.boot().findModule(p[0]);
            if (m.isPresent() && !m.get().isExported(p[1], target)) {
                out.add("--add-exports=" + p[0] + "/" + p[1] + "=" + to);
            }
        }
        return out;
    }

    /** @return every flag the project passes to the JVMs it starts (for the message) */
    static List<String> allFlags() {
        final List<String> out = new ArrayList<>();
        for (final String[] p : OPENS) {
            out.add("--add-opens=" + p[0] + "/" + p[1] + "=ALL-UNNAMED");
        }
        for (final String[] p : EXPORTS) {
            out.add("--add-exports=" + p[0] + "/" + p[1] + "=ALL-UNNAMED");
        }
        return out;
    }

    /** Chronicle's module, found without initialising any Chronicle class. */
    private static Module chronicleModule() {
        try {
            return Class.forName("net.openhft.chronicle.core.OS", false, JvmAccess.class.getClassLoader()).getModule();
        } catch (final ClassNotFoundException e) {
            return JvmAccess.class.getModule();
        }
    }
}
