package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * The commands as a user runs them: each {@code vmmc} invocation is its own JVM, on a fabric in a fresh
 * temporary directory, against one exporter JVM that holds region {@code demo} until the last test
 * kills it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VmmcCommandsTest {
    private Path fabric;
    private JvmProcess exporter;
    private String readyLine;

    @BeforeAll
    void startExporter() throws IOException, InterruptedException {
        final Path shm = Paths.get("/dev/shm");
        final Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm
            : Paths.get(System.getProperty("java.io.tmpdir"));
        fabric = Files.createTempDirectory(base, "vmmc-cli-test-");
        exporter = JvmProcess.start(Vmmc.class, List.of("-Xmx64m"),
            "export", "--fabric", fabric.toString(), "--region", "demo", "--size", "4096", "--seconds", "60");
        readyLine = exporter.expectLine("ready:", 30, TimeUnit.SECONDS);
    }

    @AfterAll
    void stopExporterAndRemoveFabric() throws IOException, InterruptedException {
        if (exporter != null) {
            exporter.close();
        }
        if (fabric != null && Files.exists(fabric)) {
            try (Stream<Path> files = Files.walk(fabric)) {
                for (final Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Exit code and everything printed (standard output and error together) by one vmmc run. */
    private record Run(int exit, String output) {
        String describe() {
            return "exit " + exit + ", output:\n" + output;
        }
    }

    /** Runs {@code vmmc args...} on the test fabric in a new JVM and waits for it to end. */
    private Run vmmc(final String command, final String... args) throws IOException, InterruptedException {
        final String[] full = Stream.concat(Stream.of(command, "--fabric", fabric.toString()), Arrays.stream(args))
            .toArray(String[]::new);
        final JvmProcess p = JvmProcess.start(Vmmc.class, List.of("-Xmx64m"), full);
        try {
            final int exit = p.waitFor(30, TimeUnit.SECONDS);
            return new Run(exit, allOutput(p));
        } finally {
            p.close();
        }
    }

    /** Waits until the reader has seen the end of the process's output, then returns all of it. */
    private static String allOutput(final JvmProcess p) throws InterruptedException {
        try {
            p.expectLine("\u0000no line starts like this", 30, TimeUnit.SECONDS);
        } catch (final AssertionError e) {
            if (!String.valueOf(e.getMessage()).contains(" ended (exit")) {
                throw e;
            }
        }
        return p.transcript();
    }

    private String regionsLine(final Run regions, final String name) {
        return regions.output().lines().filter(l -> l.startsWith(name + " ")).findFirst().orElse(null);
    }

    @Test
    @Order(1)
    void exportPrintsOneReadyLineNamingRegionSizeGenerationAndFabric() {
        assertEquals("ready: region 'demo' (4096 bytes, generation 1) in fabric " + fabric
            + "; holding for 60 s (or until Ctrl-C)", readyLine);
    }

    @Test
    @Order(2)
    void watchPrintsOneLinePerWriteFromAnotherProcessThenStopsAtTheCount() throws Exception {
        final JvmProcess watch = JvmProcess.start(Vmmc.class, List.of("-Xmx64m"), "watch", "--fabric",
            fabric.toString(), "--region", "demo", "--offset", "1024", "--count", "2");
        try {
            watch.expectLine("watching region 'demo' bytes 1024..1031", 30, TimeUnit.SECONDS);
            final Run miss = vmmc("write", "--region", "demo", "--offset", "1032", "--long", "1");
            assertEquals(0, miss.exit(), miss::describe);
            for (final String v : new String[] {"7", "8"}) {
                final Run write = vmmc("write", "--region", "demo", "--offset", "1024", "--long", v);
                assertEquals(0, write.exit(), write::describe);
                final String event = watch.expectLine("event ", 30, TimeUnit.SECONDS);
                assertTrue(event.endsWith("fired by a write of 8 bytes at offset 1024; value at offset 1024 is now " + v),
                    event);
            }
            assertEquals(0, watch.waitFor(30, TimeUnit.SECONDS), watch::transcript);
            assertFalse(watch.transcript().contains("offset 1032"), watch::transcript);
        } finally {
            watch.close();
        }
    }

    @Test
    @Order(2)
    void writeLongThenReadPrintsJustTheNumber() throws Exception {
        final Run write = vmmc("write", "--region", "demo", "--offset", "128", "--long", "42");
        assertEquals(0, write.exit(), write::describe);
        assertTrue(write.output().startsWith("wrote long 42 (8 bytes, volatile store) at offset 128 of region 'demo'"),
            write::describe);

        final Run read = vmmc("read", "--region", "demo", "--offset", "128", "--long");
        assertEquals(0, read.exit(), read::describe);
        assertEquals("42\n", read.output());
    }

    @Test
    @Order(3)
    void writeStringThenReadDecodesUtf8UpToTheFirstNul() throws Exception {
        final Run write = vmmc("write", "--region", "demo", "--offset", "1000", "--string", "héllo, wörld");
        assertEquals(0, write.exit(), write::describe);

        // 64 bytes reach past the 14 written into the zero-filled rest of the region
        final Run read = vmmc("read", "--region", "demo", "--offset", "1000", "--string", "64");
        assertEquals(0, read.exit(), read::describe);
        assertEquals("héllo, wörld\n", read.output());
    }

    @Test
    @Order(4)
    void regionsListsTheRegionWithItsLiveOwner() throws Exception {
        final Run regions = vmmc("regions");
        assertEquals(0, regions.exit(), regions::describe);
        assertTrue(regions.output().startsWith("NAME "), regions::describe);
        final String line = regionsLine(regions, "demo");
        assertTrue(line != null, regions::describe);
        assertEquals(List.of("demo", "4096", "cli-export@pid" + exporter.pid(), "1", "active", "yes"),
            List.of(line.split("\\s+")), regions::describe);
    }

    @Test
    @Order(4)
    void statShowsTheExportingEndpointAliveAndItsJsonHoldsTheTablesNumbers() throws Exception {
        final Run table = vmmc("stat");
        assertEquals(0, table.exit(), table::describe);
        assertTrue(table.output().contains("endpoint 'cli-export' pid " + exporter.pid() + ", alive, last published "),
            table::describe);
        final Run json = vmmc("stat", "--json");
        assertEquals(0, json.exit(), json::describe);
        final String doc = json.output().substring(json.output().indexOf('{'));
        final com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(doc);
        com.fasterxml.jackson.databind.JsonNode ep = null;
        for (final com.fasterxml.jackson.databind.JsonNode e : root.get("endpoints")) {
            if ("cli-export".equals(e.get("endpoint").asText())) {
                ep = e;
            }
        }
        assertTrue(ep != null, json::describe);
        assertTrue(ep.get("alive").asBoolean(), json::describe);
        assertEquals(exporter.pid(), ep.get("pid").asLong());
        int checked = 0;
        for (final com.fasterxml.jackson.databind.JsonNode c : ep.get("counters")) {
            // the table's row of the same counter: "  ID  TYPE  VALUE  LABEL"
            final String row = "  " + c.get("id").asInt() + " " + c.get("type").asText() + " " + c.get("value").asLong() + " "
                + c.get("label").asText();
            assertTrue(table.output().lines().map(l -> l.replaceAll(" {2,}", " ").replaceFirst("^ ", "  "))
                .anyMatch(l -> l.equals(row)), "'" + row + "' in the table: " + table.describe());
            if (c.get("type").asText().equals("regions-exported")) {
                assertEquals(1, c.get("value").asLong(), "the exporter's one region: " + json.describe());
            }
            checked++;
        }
        assertTrue(checked >= 4, json::describe);
        final Run errors = vmmc("stat", "errors");
        assertEquals(0, errors.exit(), errors::describe);
        assertTrue(errors.output().contains("no errors recorded"), errors::describe);
    }

    @Test
    @Order(4)
    void statWatchRefreshesInPlaceUntilStopped() throws Exception {
        final JvmProcess watch = JvmProcess.start(Vmmc.class, List.of("-Xmx64m"),
            "stat", "--fabric", fabric.toString(), "--watch", "0.2", "--filter", "regions-exported$");
        try {
            // each refresh: clear the screen, a heading, the endpoint, its matching rows
            for (int i = 0; i < 3; i++) {
                final String heading = watch.expectLine("\033[H\033[2Jvmmc stat, fabric " + fabric, 30, TimeUnit.SECONDS);
                assertTrue(heading.contains("(every 0.2 s; Ctrl-C ends)"), heading);
                final String ep = watch.expectLine("endpoint 'cli-export' pid " + exporter.pid() + ", alive", 30, TimeUnit.SECONDS);
                assertTrue(ep.contains("last published"), ep);
                final String row = watch.expectLine("  ", 30, TimeUnit.SECONDS);   // the table's heading
                assertTrue(row.contains("TYPE") && row.contains("VALUE"), row);
                final String value = watch.expectLine("  ", 30, TimeUnit.SECONDS);
                assertTrue(value.matches("\\s+\\d+\\s+regions-exported\\s+1\\s+regions exported, endpoint cli-export"),
                    "the filter keeps the one counter: '" + value + "'");
            }
            assertTrue(watch.handle().isAlive(), "--watch keeps refreshing until stopped");
        } finally {
            watch.close();
        }
    }

    @Test
    @Order(5)
    void readPastTheEndFailsNamingTheRegionAndTheLimit() throws Exception {
        final Run read = vmmc("read", "--region", "demo", "--offset", "4090", "--long");
        assertEquals(1, read.exit(), read::describe);
        assertTrue(read.output().contains("region 'demo'"), read::describe);
        assertTrue(read.output().contains("4096"), read::describe);
        assertFalse(read.output().contains("\tat "), "no stack trace without --verbose: " + read.describe());
        assertEquals(1, read.output().lines().count(), "one line: " + read.describe());
    }

    @Test
    @Order(6)
    void unknownRegionFailsNamingIt() throws Exception {
        final Run read = vmmc("read", "--region", "nosuch", "--offset", "0", "--long");
        assertEquals(1, read.exit(), read::describe);
        assertTrue(read.output().contains("'nosuch'"), read::describe);
    }

    @Test
    @Order(7)
    void wrongKeyFails() throws Exception {
        final Run write = vmmc("write", "--region", "demo", "--key", "0x1234", "--offset", "0", "--long", "1");
        assertEquals(1, write.exit(), write::describe);
        assertTrue(write.output().contains("wrong access key for region 'demo'"), write::describe);
    }

    @Test
    @Order(8)
    void usageErrorsExitWithTwoAndNameTheOption() throws Exception {
        final Run both = vmmc("write", "--region", "demo", "--offset", "0", "--long", "1", "--string", "x");
        assertEquals(2, both.exit(), both::describe);
        assertTrue(both.output().contains("--long") && both.output().contains("--string"), both::describe);

        final Run badKey = vmmc("read", "--region", "demo", "--key", "secret", "--offset", "0", "--long");
        assertEquals(2, badKey.exit(), badKey::describe);
        assertTrue(badKey.output().contains("'--key'"), badKey::describe);
    }

    @Test
    @Order(9)
    void exportRemovesItsRegionWhenTerminated() throws Exception {
        final JvmProcess other = JvmProcess.start(Vmmc.class, List.of("-Xmx64m"),
            "export", "--fabric", fabric.toString(), "--region", "other", "--size", "1k");
        try {
            other.expectLine("ready: region 'other' (1024 bytes", 30, TimeUnit.SECONDS);
            assertTrue(regionsLine(vmmc("regions"), "other") != null);

            ProcessHandle.of(other.pid()).ifPresent(ProcessHandle::destroy); // SIGTERM, as Ctrl-C or kill
            other.expectLine("removed: region 'other'", 30, TimeUnit.SECONDS);
            assertEquals(143, other.waitFor(30, TimeUnit.SECONDS), other::transcript); // 128 + SIGTERM
        } finally {
            other.close();
        }
        final Run regions = vmmc("regions");
        assertEquals(null, regionsLine(regions, "other"), regions::describe);
        assertFalse(Files.exists(fabric.resolve("other.region")), regions::describe);
    }

    @Test
    @Order(10)
    void regionsReportsTheOwnerNotAliveOnceTheExporterIsKilled() throws Exception {
        exporter.kill();
        final Run regions = vmmc("regions");
        assertEquals(0, regions.exit(), regions::describe);
        final String line = regionsLine(regions, "demo");
        assertTrue(line == null || line.endsWith(" no"), regions::describe);
    }

    @Test
    @Order(11)
    void cleanRemovesWhatTheKilledExporterLeftAndRegionsAllShowsNothingOfIt() throws Exception {
        final Run clean = vmmc("clean");
        assertEquals(0, clean.exit(), clean::describe);
        assertTrue(clean.output().startsWith("cleaned fabric "), clean::describe);
        final Run all = vmmc("regions", "--all");
        assertEquals(0, all.exit(), all::describe);
        assertEquals(null, regionsLine(all, "demo"), all::describe);
        try (Stream<Path> files = Files.list(fabric)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".region")).toList(),
                "region files left after clean");
        }
    }

    @Test
    @Order(4)
    void regionsAllAddsTheInternalColumn() throws Exception {
        final Run all = vmmc("regions", "--all");
        assertEquals(0, all.exit(), all::describe);
        assertTrue(all.output().startsWith("NAME ") && all.output().lines().findFirst().orElse("").endsWith("INTERNAL"),
            all::describe);
        final String line = regionsLine(all, "demo");
        assertTrue(line != null && line.endsWith(" no"), all::describe);
    }
}
