package org.softclan.examples.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The header and trailer: what is written is read back; anything else is refused with a clear message. */
class StreamFormatTest {
    @Test
    void headerAndTrailerRoundTrip() {
        final ByteBuffer b = ByteBuffer.allocate(100);
        b.position(5);
        final StreamFormat.Header h = new StreamFormat.Header(StreamFormat.Kind.GENERATED, 1L << 40, -3);
        StreamFormat.putHeader(h, b);
        assertEquals(5 + StreamFormat.HEADER_LENGTH, b.position());
        StreamFormat.putTrailer(1L << 40, 0xCAFEBABEL, b);
        b.flip().position(5);
        assertEquals(h, StreamFormat.header(b));
        b.position(5 + StreamFormat.HEADER_LENGTH);
        assertArrayEquals(new long[] {1L << 40, 0xCAFEBABEL}, StreamFormat.trailer(b));
    }

    @Test
    void theMagicIsReadableText() {
        final ByteBuffer b = ByteBuffer.allocate(StreamFormat.HEADER_LENGTH);
        StreamFormat.putHeader(new StreamFormat.Header(StreamFormat.Kind.FILE, 0, 0), b);
        assertEquals("SCSTREAM", new String(b.array(), 0, 8, StandardCharsets.US_ASCII));
    }

    @Test
    void somethingElseIsNotAHeaderOrTrailer() {
        final ByteBuffer junk = ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: example\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StreamFormat.header(junk));
        assertTrue(e.getMessage().contains("does not start with a streaming-demo header"), e.getMessage());
        final IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> StreamFormat.trailer(junk));
        assertTrue(t.getMessage().contains("not the trailer"), t.getMessage());
    }

    @Test
    void otherVersionsAndNegativeLengthsAreRefused() {
        final ByteBuffer b = ByteBuffer.allocate(StreamFormat.HEADER_LENGTH);
        StreamFormat.putHeader(new StreamFormat.Header(StreamFormat.Kind.GENERATED, 10, 1), b);
        b.order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(8, 2).flip();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StreamFormat.header(b)).getMessage()
            .contains("version 2"));
        b.putInt(8, StreamFormat.VERSION).putLong(16, -1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StreamFormat.header(b)).getMessage()
            .contains("negative payload length"));
    }
}
