package org.softclan.sockets;

import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.TreeSet;

/** The scripted probes' text for selection keys and times ({@link NioProbeMain}, {@link NioScriptMain}). */
final class SelectionText {
    private SelectionText() {
    }

    /** {@return the selected keys as {@code name:ops} (the attachment names the channel), sorted}, and clears them */
    static String selected(final Selector sel) {
        final TreeSet<String> s = new TreeSet<>();
        for (final SelectionKey k : sel.selectedKeys()) {
            s.add(k.attachment() + ":" + (k.isValid() ? ops(k.readyOps()) : "cancelled"));
        }
        sel.selectedKeys().clear();
        return String.join(",", s);
    }

    /** {@return the operations named by letters}: {@code r}ead, {@code w}rite, {@code a}ccept, {@code c}onnect, {@code 0} none */
    static int ops(final String letters) {
        int ops = 0;
        for (final char ch : letters.toCharArray()) {
            ops |= switch (ch) {
                case 'r' -> SelectionKey.OP_READ;
                case 'w' -> SelectionKey.OP_WRITE;
                case 'a' -> SelectionKey.OP_ACCEPT;
                case 'c' -> SelectionKey.OP_CONNECT;
                case '0' -> 0;
                default -> throw new IllegalArgumentException("ops " + letters);
            };
        }
        return ops;
    }

    /** {@return the letters of {@code ops}} (as {@link #ops(String)} reads them; {@code 0} for none) */
    static String ops(final int ops) {
        final StringBuilder b = new StringBuilder();
        if ((ops & SelectionKey.OP_READ) != 0) {
            b.append('r');
        }
        if ((ops & SelectionKey.OP_WRITE) != 0) {
            b.append('w');
        }
        if ((ops & SelectionKey.OP_ACCEPT) != 0) {
            b.append('a');
        }
        if ((ops & SelectionKey.OP_CONNECT) != 0) {
            b.append('c');
        }
        return b.length() == 0 ? "0" : b.toString();
    }

    /** {@return {@code nanos} as milliseconds with one decimal} */
    static String ms(final long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }
}
