package org.softclan.dsm.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Assertions on error messages. */
public final class Messages {
    private Messages() {
    }

    /** Fails unless the throwable's message contains every one of {@code parts}. */
    public static void assertMentions(final Throwable t, final String... parts) {
        final String msg = String.valueOf(t.getMessage());
        for (final String p : parts) {
            if (!msg.contains(p)) {
                fail("message does not mention '" + p + "': " + msg);
            }
        }
    }
}
