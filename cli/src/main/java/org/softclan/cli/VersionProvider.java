package org.softclan.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/** Reports the build's version, from {@code vmmc-version.properties} filtered by Maven. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        final Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("vmmc-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return new String[] {
            "vmmc " + p.getProperty("version", "unknown") + " (softclan)",
            "Java " + System.getProperty("java.version") + ", " + System.getProperty("java.vm.name"),
        };
    }
}
