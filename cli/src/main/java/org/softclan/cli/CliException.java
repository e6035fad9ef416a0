package org.softclan.cli;

/** A runtime error the command line reports as one line, with exit code 1. */
public final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong and what to do about it
     */
    public CliException(final String message) {
        super(message);
    }
}
