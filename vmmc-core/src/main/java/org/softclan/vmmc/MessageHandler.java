package org.softclan.vmmc;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * Receives messages from {@link Connection#poll}, in place: {@code buffer} is the receive ring in this
 * process's own memory, and the message is {@code length} bytes from {@code offset}. The bytes are
 * valid only during the call (the sender may reuse the space afterwards): copy what you keep.
 */
@FunctionalInterface
public interface MessageHandler {
    /**
     * Handles one message, in place; the bytes are valid only until this call returns (unless the
     * handler {@linkplain Connection#hold() holds} the record).
     *
     * @param buffer the receive ring (zero-copy)
     * @param offset first byte of the message in {@code buffer}
     * @param length bytes in the message
     */
    void onMessage(BytesStore<?, ?> buffer, long offset, int length);
}
