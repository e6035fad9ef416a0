package org.softclan.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import org.softclan.dsm.Fabric;

import picocli.CommandLine.Option;

/** The {@code --fabric DIR} option every command that touches a fabric takes. */
public final class FabricOption {
    @Option(names = "--fabric", paramLabel = "DIR", order = 0,
        description = "The fabric's directory. Default: /dev/shm/softclan, or softclan under the temporary"
            + " directory where /dev/shm does not exist (Fabric.defaultRoot()).")
    Path dir;

    /** @return the directory given, or {@link Fabric#defaultRoot()} */
    public Path root() {
        return (dir != null ? dir : Fabric.defaultRoot()).toAbsolutePath().normalize();
    }

    /** @return whether the fabric's directory exists */
    public boolean exists() {
        return Files.isDirectory(root());
    }

    /**
     * Opens the fabric, creating its directory if missing (for exporters).
     *
     * @return the fabric
     */
    public Fabric open() {
        return Fabric.open(root());
    }

    /**
     * Opens a fabric that must already exist, so that a mistyped directory is reported instead of
     * created.
     *
     * @return the fabric
     * @throws CliException if the directory does not exist
     */
    public Fabric openExisting() {
        if (!exists()) {
            throw new CliException("no fabric at " + root() + ": the directory does not exist (check --fabric;"
                + " 'vmmc export' creates it)");
        }
        return Fabric.open(root());
    }
}
