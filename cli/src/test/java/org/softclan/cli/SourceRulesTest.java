package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Rules the main sources of every module keep, read from the source tree next to this module (the build runs
 * tests with the module's directory as the working directory): no file over 700 lines, and the JVM's raw memory
 * access ({@code UnsafeMemory.UNSAFE}, {@code sun.misc.Unsafe}) only in the shared-memory flyweight, the
 * same-host link and the OS bindings. Every other module reaches memory through {@code Mapping},
 * {@code SharedMemory} or Agrona's buffers.
 */
class SourceRulesTest {
    private static final int MOST_LINES = 700;
    /** The files allowed raw memory access: the flyweight and its helpers, the same-host link, the OS bindings. */
    private static final Set<String> RAW_MEMORY = Set.of(
        "dsm/src/main/java/org/softclan/dsm/UnsafeAccess.java",
        "dsm/src/main/java/org/softclan/dsm/SharedMemory.java",
        "dsm/src/main/java/org/softclan/dsm/MappedRegion.java",
        "dsm/src/main/java/org/softclan/dsm/SameHostLink.java",
        "tripwire/src/main/java/org/softclan/tripwire/os/Futex.java");

    private static Path root() {
        final Path here = Path.of("").toAbsolutePath();
        final Path root = Files.exists(here.resolve("dsm/pom.xml")) ? here : here.getParent();
        assertTrue(Files.exists(root.resolve("dsm/pom.xml")), "the source tree beside " + here);
        return root;
    }

    private static List<Path> mainSources(final Path root) throws IOException {
        final List<Path> files = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (final Path module : modules.toList()) {
                final Path main = module.resolve("src/main/java");
                if (Files.isDirectory(main)) {
                    try (Stream<Path> walk = Files.walk(main)) {
                        walk.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
                    }
                }
            }
        }
        assertTrue(files.size() > 100, "main sources found under " + root + ": " + files.size());
        return files;
    }

    private static List<String> lines(final Path file) {
        try {
            return Files.readAllLines(file);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void noMainSourceFileIsOver700Lines() throws IOException {
        final Path root = root();
        final List<String> over = new ArrayList<>();
        for (final Path f : mainSources(root)) {
            final int n = lines(f).size();
            if (n > MOST_LINES) {
                over.add(root.relativize(f) + " (" + n + " lines)");
            }
        }
        assertEquals(List.of(), over);
    }

    @Test
    void rawMemoryAccessIsOnlyInTheFlyweightTheSameHostLinkAndTheOsBindings() throws IOException {
        final Path root = root();
        final List<String> found = new ArrayList<>();
        for (final Path f : mainSources(root)) {
            final String name = root.relativize(f).toString().replace('\\', '/');
            if (RAW_MEMORY.contains(name)) {
                continue;
            }
            final List<String> text = lines(f);
            for (int i = 0; i < text.size(); i++) {
                final String line = text.get(i).trim();
                final boolean comment = line.startsWith("*") || line.startsWith("//") || line.startsWith("/*");
                if (!comment && (line.contains("UnsafeMemory.UNSAFE") || line.contains("sun.misc.Unsafe"))) {
                    found.add(name + ":" + (i + 1) + ": " + line);
                }
            }
        }
        assertEquals(List.of(), found);
    }
}
