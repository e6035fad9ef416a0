package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.dsm.testing.JvmProcess;

/**
 * A fabric is private to its user by default: the directories and files it creates get modes
 * {@code 0700}/{@code 0600} whatever the umask (a region's file holds its data and access key), or
 * {@code 0770}/{@code 0660} when opened for a group; a fabric directory owned by another user is
 * refused unless the caller says it trusts that user.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FabricPrivacyTest {
    @TempDir
    Path tmp;

    @Test
    void underAUmaskOfZeroAPrivateFabricCreatesEverythingOwnerOnly() throws Exception {
        final Path root = tmp.resolve("private-fabric");
        assertModes(root, "000", false, "rwx------", "rw-------");
    }

    @Test
    void underAUmaskThatStripsGroupBitsAGroupFabricStillGivesTheGroupReadAndWrite() throws Exception {
        final Path root = tmp.resolve("group-fabric");
        assertModes(root, "077", true, "rwxrwx---", "rw-rw----");
    }

    private static void assertModes(final Path root, final String umask, final boolean group, final String dirMode,
                                    final String fileMode) throws Exception {
        final List<String> underUmask = List.of("sh", "-c", "umask " + umask + " && exec \"$0\" \"$@\"");
        try (JvmProcess child = JvmProcess.startWrapped(underUmask, FabricModeMain.class, List.of("-Xmx128m"),
            root.toString(), Boolean.toString(group))) {
            final Path live = Paths.get(child.expectLine("ready ", 30, TimeUnit.SECONDS).substring(6));
            assertEquals(dirMode, mode(root), "the fabric directory");
            assertEquals(dirMode, mode(root.resolve(".live")), "the liveness directory");
            assertEquals(fileMode, mode(root.resolve("r.region")), "a region file (data and access key)");
            assertEquals(fileMode, mode(root.resolve(".names.lock")), "the name service's lock file");
            assertEquals(fileMode, mode(live), "the endpoint's liveness file");
            try (var all = Files.walk(root)) {
                for (final Path p : (Iterable<Path>) all::iterator) {
                    assertEquals(Files.isDirectory(p) ? dirMode : fileMode, mode(p), p.toString());
                }
            }
            child.send("exit");
            assertEquals(0, child.waitFor(30, TimeUnit.SECONDS), child.transcript());
        }
    }

    @Test
    void aFabricDirectoryOwnedByAnotherUserIsRefusedUnlessTheCallerAllowsIt() throws IOException {
        Assumptions.assumeTrue(FabricFiles.currentUid() == 0, "changing a directory's owner needs root");
        final Path theirs = Files.createDirectory(tmp.resolve("theirs"));
        Files.setAttribute(theirs, "unix:uid", 65534);   // nobody
        final DsmException e = assertThrows(DsmException.class, () -> Fabric.open(theirs));
        assertMentions(e, theirs.toString(), "uid 65534", "uid 0", "allowOtherOwner(true)");
        try (var files = Files.list(theirs)) {
            assertEquals(0, files.count(), "nothing was created in the refused directory");
        }
        try (Fabric f = Fabric.open(new Fabric.Context().root(theirs).allowOtherOwner(true));
             Endpoint ep = f.openEndpoint("trusting");
             InboundMapping in = ep.export("r", 64)) {
            assertTrue(f.region(in.regionName()).isPresent());
        }
    }

    @Test
    void anEmptyPathIsRefusedInsteadOfMakingTheCurrentDirectoryAFabric() throws IOException {
        final long before;
        try (var files = Files.list(Paths.get(""))) {
            before = files.count();
        }
        assertMentions(assertThrows(DsmException.class, () -> Fabric.open(Paths.get(""))), "empty");
        assertMentions(assertThrows(DsmException.class, () -> Fabric.open(new Fabric.Context().root(Paths.get("")))),
            "empty");
        try (var files = Files.list(Paths.get(""))) {
            assertEquals(before, files.count(), "nothing was created in the current directory");
        }
    }

    private static String mode(final Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
