package org.softclan.cli;

import java.util.Arrays;
import java.util.Iterator;

import org.softclan.vmmc.stream.ReceiveTechnique;
import org.softclan.vmmc.stream.SendTechnique;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converters and completion candidates for the {@code --technique} and {@code --receive-technique}
 * options: the techniques' command-line names ({@link SendTechnique#cliName()}), any case.
 */
final class Techniques {
    private Techniques() {
    }

    /** Converts a send technique's name; a wrong name is a usage error listing the choices. */
    static final class SendConverter implements ITypeConverter<SendTechnique> {
        @Override
        public SendTechnique convert(final String value) {
            try {
                return SendTechnique.parse(value);
            } catch (final IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Converts a receive technique's name; a wrong name is a usage error listing the choices. */
    static final class ReceiveConverter implements ITypeConverter<ReceiveTechnique> {
        @Override
        public ReceiveTechnique convert(final String value) {
            try {
                return ReceiveTechnique.parse(value);
            } catch (final IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** The send techniques' names, for help and completion. */
    static final class SendNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(SendTechnique.values()).map(SendTechnique::cliName).iterator();
        }
    }

    /** The receive techniques' names, for help and completion. */
    static final class ReceiveNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(ReceiveTechnique.values()).map(ReceiveTechnique::cliName).iterator();
        }
    }
}
