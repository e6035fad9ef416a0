package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.TypeConversionException;

/** Size and key parsing and usage errors, in process: nothing here reaches a fabric. */
class VmmcParsingTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int vmmc(final String... args) {
        final CommandLine cl = Vmmc.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void sizesArePlainBytesOrBinarySuffixes() {
        assertEquals(4096, Units.parseSize("4096"));
        assertEquals(4096, Units.parseSize("4k"));
        assertEquals(4096, Units.parseSize("4K"));
        assertEquals(3L << 20, Units.parseSize("3m"));
        assertEquals(2L << 30, Units.parseSize("2G"));
        assertEquals(1, Units.parseSize(" 1 "));
        assertEquals(64L << 10, Units.parseSize("64KiB"));
        assertEquals(512L << 20, Units.parseSize("512MiB"));
        assertEquals(1L << 30, Units.parseSize("1GiB"));
        assertEquals(1L << 30, Units.parseSize("1gib"));
    }

    @Test
    void badSizesAreRejected() {
        for (final String bad : new String[] {"", "k", "0", "0k", "-1", "4kb", "1.5m", "iB", "kiB", "4iB",
            "4KiBB", "4 KiB", "0x10", "12q",
            "9223372036854775807k", "99999999999999999999"}) {
            assertThrows(TypeConversionException.class, () -> Units.parseSize(bad), bad);
        }
    }

    @Test
    void keysAreAny64BitNumberInDecimalOrHex() {
        assertEquals(0, Units.parseKey("0"));
        assertEquals(12345, Units.parseKey("12345"));
        assertEquals(0xCAFEF00DL, Units.parseKey("0xCAFEF00D"));
        assertEquals(0xCAFEF00DL, Units.parseKey("0Xcafef00d"));
        assertEquals(-1, Units.parseKey("0xFFFFFFFFFFFFFFFF"));
        assertEquals(-1, Units.parseKey("18446744073709551615"));
        assertEquals(-5, Units.parseKey("-5"));
        assertEquals(Long.MIN_VALUE, Units.parseKey("0x8000000000000000"));
    }

    @Test
    void badKeysAreRejected() {
        for (final String bad : new String[] {"", "secret", "0x", "0x1FFFFFFFFFFFFFFFF", "18446744073709551616",
            "+1", "0x+1", "1e3", "12k"}) {
            assertThrows(TypeConversionException.class, () -> Units.parseKey(bad), bad);
        }
    }

    @Test
    void badKeyIsAUsageErrorNamingTheOption() {
        assertEquals(2, vmmc("export", "--region", "r", "--size", "1k", "--key", "secret"));
        final String message = err.toString();
        assertTrue(message.startsWith("vmmc export: Invalid value for option '--key': 'secret' is not a key"),
            message);
        assertEquals(1, message.lines().count(), message);
    }

    @Test
    void badSizeIsAUsageErrorNamingTheOption() {
        assertEquals(2, vmmc("export", "--region", "r", "--size", "lots"));
        assertTrue(err.toString().contains("'--size'"), err::toString);
    }

    @Test
    void writeNeedsExactlyOneOfLongAndString() {
        assertEquals(2, vmmc("write", "--region", "r", "--offset", "0"));
        assertTrue(err.toString().contains("--long") && err.toString().contains("--string"), err::toString);
    }

    @Test
    void unknownCommandIsAUsageError() {
        assertEquals(2, vmmc("reed"));
        assertTrue(err.toString().contains("'reed'") && err.toString().contains("did you mean read"), err::toString);
    }

    @Test
    void helpAndVersionWorkOnEveryCommand() {
        for (final String command : new String[] {"export", "write", "read", "regions", "watch", "rpc-server",
            "rpc-client", "demo", "demo rpc"}) {
            assertEquals(0, vmmc((command + " --help").split(" ")), command);
            assertTrue(out.toString().contains("Usage: vmmc " + command), command);
        }
        assertEquals(0, vmmc("--version"));
        assertTrue(out.toString().contains("vmmc 0."), out::toString);
    }

    @Test
    void demoHelpListsTheRpcDemoAndSaysWhatRunsWithoutASubcommand() {
        assertEquals(0, vmmc("demo", "--help"));
        assertTrue(out.toString().contains("rpc"), out::toString);
        assertTrue(out.toString().contains("Without a subcommand: the RPC demo"), out::toString);
    }

    @Test
    void rpcOptionsAreChecked() {
        assertEquals(2, vmmc("demo", "rpc", "--threads", "0"));
        assertTrue(err.toString().contains("--threads must be at least 1"), err::toString);
        assertEquals(2, vmmc("rpc-server", "--workers", "-1"));
        assertTrue(err.toString().contains("--workers must not be negative"), err::toString);
    }

    @Test
    void rpcClientOfAMissingFabricSaysSoWithoutCreatingIt() {
        final Path missing = Paths.get(System.getProperty("java.io.tmpdir"),
            "vmmc-no-such-fabric-" + System.nanoTime());
        assertEquals(1, vmmc("rpc-client", "--fabric", missing.toString()));
        assertTrue(err.toString().startsWith("vmmc rpc-client: no fabric at " + missing), err::toString);
        assertTrue(!Files.exists(missing));
    }

    @Test
    void regionsOfAMissingFabricSaysSoWithoutCreatingIt() {
        final Path missing = Paths.get(System.getProperty("java.io.tmpdir"),
            "vmmc-no-such-fabric-" + System.nanoTime());
        assertEquals(0, vmmc("regions", "--fabric", missing.toString()));
        assertTrue(out.toString().startsWith("no regions in fabric " + missing), out::toString);
        assertEquals(1, vmmc("read", "--fabric", missing.toString(), "--region", "r", "--offset", "0", "--long"));
        assertTrue(err.toString().startsWith("vmmc read: no fabric at " + missing), err::toString);
        assertTrue(!Files.exists(missing));
    }

    @Test
    void launcherPassesTheBuildsJvmFlags() throws IOException {
        final String script = Files.readString(Paths.get("..", "vmmc"));
        final String flags = System.getProperty("softclan.test.jvmFlags", "").trim();
        assertTrue(!flags.isEmpty(), "surefire passes softclan.test.jvmFlags");
        for (final String flag : flags.split("\\s+")) {
            // every JDK's flags are listed; a newer JDK's own (--sun-misc-...) are added when it runs
            assertTrue(script.contains("\n  " + flag + "\n") || script.contains("flags+=(" + flag + ")"),
                "./vmmc lacks " + flag);
        }
    }
}
