package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** The stream commands' options and the progress display, in process: nothing here streams. */
class StreamOptionsTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int vmmc(final String... args) {
        final CommandLine cl = Vmmc.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void helpListsTheTechniques() {
        for (final String command : new String[] {"demo stream", "stream-send", "stream-receive"}) {
            assertEquals(0, vmmc((command + " --help").split(" ")), command);
            assertTrue(out.toString().contains("Usage: vmmc " + command), command);
        }
        final String help = out.toString().replaceAll("\\s+", " ");   // unwrapped
        assertTrue(help.contains("How the sender sends: pio, copy-dma, direct-dma, v2p-dma, page-exchange."), help);
        assertTrue(help.contains("How to receive: buffered, pre-posted, redirection."), help);
        assertEquals(0, vmmc("demo", "--help"));
        assertTrue(out.toString().contains("stream") && out.toString().contains("Without a subcommand: the RPC demo"),
            out::toString);
    }

    @Test
    void anUnknownTechniqueIsAUsageErrorListingTheChoices() {
        assertEquals(2, vmmc("demo", "stream", "--technique", "carrier-pigeon"));
        assertTrue(err.toString().contains("no send technique 'carrier-pigeon'; choose one of pio, copy-dma,"
            + " direct-dma, v2p-dma, page-exchange"), err::toString);
        assertEquals(2, vmmc("stream-receive", "--receive-technique", "psychic"));
        assertTrue(err.toString().contains("no receive technique 'psychic'; choose one of buffered, pre-posted,"
            + " redirection"), err::toString);
    }

    @Test
    void sizesAndPayloadsAreChecked() {
        assertEquals(2, vmmc("demo", "stream", "--size", "1GB"));
        assertTrue(err.toString().contains("'--size'"), err::toString);
        assertEquals(2, vmmc("demo", "stream", "--size", "1m", "--file", "x"));
        assertTrue(err.toString().contains("give --size or --file, not both"), err::toString);
        assertEquals(2, vmmc("stream-send", "--size", "1m", "--file", "x"));
        assertTrue(err.toString().contains("mutually exclusive"), err::toString);
        assertEquals(2, vmmc("stream-send"));
        assertTrue(err.toString().contains("--size") && err.toString().contains("--file"), err::toString);
        assertEquals(2, vmmc("demo", "stream", "--chunk", "16"));
        assertTrue(err.toString().contains("--chunk must be from 32 bytes"), err::toString);
    }

    @Test
    void aMissingFileOrFabricIsReportedWithoutCreatingAnything() {
        final Path missing = Paths.get(System.getProperty("java.io.tmpdir"), "vmmc-no-such-" + System.nanoTime());
        assertEquals(1, vmmc("demo", "stream", "--file", missing.toString()));
        assertTrue(err.toString().contains("--file " + missing + ": no such file"), err::toString);
        assertEquals(1, vmmc("stream-send", "--fabric", missing.toString(), "--size", "1m"));
        assertTrue(err.toString().contains("vmmc stream-send: no fabric at " + missing), err::toString);
        assertFalse(Files.exists(missing));
    }

    @Test
    void progressOffATerminalIsALineAtTheEndAndNoCarriageReturns() {
        final StringWriter sink = new StringWriter();
        final ProgressDisplay p = new ProgressDisplay(new PrintWriter(sink), false, "  ");
        p.update(10 << 20, 100 << 20, 5_000_000);   // the first update starts the clock: no line yet
        p.line("hello");
        p.update(100 << 20, 100 << 20, 50_000_000);
        p.finish();
        assertEquals("hello\n  progress [##############################] 100%  100.0 MiB / 100.0 MiB  2.10 GB/s\n",
            sink.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void progressOnATerminalRedrawsOneLineAndKeepsOtherLinesAboveIt() {
        final StringWriter sink = new StringWriter();
        final ProgressDisplay p = new ProgressDisplay(new PrintWriter(sink), true, "  ");
        p.update(0, 4096, 1);
        final String empty = ProgressDisplay.format(0, 4096, 1);
        assertEquals(empty, sink.toString());
        p.line("between");
        final String clear = "\r" + " ".repeat(empty.length()) + "\r";
        assertEquals(empty + clear + "between" + System.lineSeparator() + empty, sink.toString());
        p.update(2048, 4096, 1000);
        final String half = ProgressDisplay.format(2048, 4096, 1000);
        assertTrue(half.startsWith("[###############---------------]  50%  2.0 KiB / 4.0 KiB  2.05 GB/s"), half);
        assertTrue(sink.toString().endsWith(clear + half), sink::toString);
        p.finish();
        assertTrue(sink.toString().endsWith(half + System.lineSeparator()), sink::toString);
    }
}
