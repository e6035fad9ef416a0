package org.softclan.vmmc.stream;

/**
 * The layout of a byte stream's frames: the one place their types and offsets are defined. A frame is
 * one message of the stream's {@link org.softclan.vmmc.Connection}, written by the peer, so every frame
 * is input to the reader (its type, its length, a deposit's sequence number and size are checked).
 *
 * <pre>
 *  type at offset 0 (byte)   the rest
 *  {@link #DATA} 0             stream bytes from offset 1; more of the same send may follow
 *  {@link #DATA_LAST} 2        stream bytes from offset 1; the last frame of one send
 *  {@link #EOF} 1              nothing: the sender's output ended
 *  {@link #DEPOSIT} 3          {@value #DEPOSIT_FRAME_LENGTH} bytes in all: padding to 8, then the post's
 *                          sequence number (long) at {@value #DEPOSIT_SEQ_OFFSET} and the bytes deposited
 *                          into its buffer (long) at {@value #DEPOSIT_BYTES_OFFSET}
 * </pre>
 */
final class StreamFrameDescriptor {
    /** Offset of the frame type (byte). */
    static final int TYPE_OFFSET = 0;
    /** Offset of the stream bytes in a DATA or DATA_LAST frame. */
    static final int DATA_OFFSET = 1;
    /** Frame type: stream bytes follow, more of the same send may come. */
    static final byte DATA = 0;
    /** Frame type: the sender's output ended. */
    static final byte EOF = 1;
    /** Frame type: stream bytes follow, the last of one send. */
    static final byte DATA_LAST = 2;
    /** Frame type: a send was deposited into a posted buffer. */
    static final byte DEPOSIT = 3;
    /** Offset of a DEPOSIT frame's post sequence number (long). */
    static final int DEPOSIT_SEQ_OFFSET = 8;
    /** Offset of a DEPOSIT frame's byte count (long). */
    static final int DEPOSIT_BYTES_OFFSET = 16;
    /** Bytes of an EOF frame: its type alone. */
    static final int EOF_FRAME_LENGTH = 1;
    /** Bytes of a DEPOSIT frame. */
    static final int DEPOSIT_FRAME_LENGTH = 24;
    /** Largest frame (type byte included) a write sends, when the connection allows it: 64 KiB of payload. */
    static final int MAX_FRAME = 64 * 1024 + 1;

    private StreamFrameDescriptor() {
    }
}
