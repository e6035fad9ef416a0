package org.softclan.vmmc.rpc;

import java.util.ArrayList;
import java.util.List;

import net.openhft.chronicle.bytes.Bytes;

/** Codecs for common types. */
public final class Codecs {
    private Codecs() {
    }

    /** Nothing: a call with no argument or no result (0 bytes). */
    public static final Codec<Void> VOID = new Codec<>() {
        @Override
        public void encode(final Void value, final Bytes<?> out) {
        }

        @Override
        public Void decode(final Bytes<?> in) {
            return null;
        }
    };

    /** A 64-bit number. */
    public static final Codec<Long> LONG = new Codec<>() {
        @Override
        public void encode(final Long value, final Bytes<?> out) {
            out.writeLong(value);
        }

        @Override
        public Long decode(final Bytes<?> in) {
            return in.readLong();
        }
    };

    /** A string (UTF-8, null allowed). */
    public static final Codec<String> STRING = new Codec<>() {
        @Override
        public void encode(final String value, final Bytes<?> out) {
            out.writeUtf8(value);
        }

        @Override
        public String decode(final Bytes<?> in) {
            return in.readUtf8();
        }
    };

    /** A byte array (null allowed). */
    public static final Codec<byte[]> BYTES = new Codec<>() {
        @Override
        public void encode(final byte[] value, final Bytes<?> out) {
            out.writeInt(value == null ? -1 : value.length);
            if (value != null) {
                out.write(value);
            }
        }

        @Override
        public byte[] decode(final Bytes<?> in) {
            final int n = in.readInt();
            if (n < 0) {
                return null;
            }
            // the count is the peer's: never allocate more than the frame holds
            checkCount(n, 1, in, "byte array");
            final byte[] b = new byte[n];
            in.read(b);
            return b;
        }
    };

    /**
     * Checks a count read from a peer's frame against the bytes left in it.
     *
     * @throws IllegalArgumentException if {@code count} elements of {@code bytesEach} bytes do not fit
     */
    private static void checkCount(final int count, final int bytesEach, final Bytes<?> in, final String what) {
        if ((long) count * bytesEach > in.readRemaining()) {
            throw new IllegalArgumentException(what + " of " + count + " elements in a frame with only "
                + in.readRemaining() + " bytes left: the peer's count is garbage");
        }
    }

    /**
     * Makes a codec for lists: an int count, then each element as {@code element} encodes it. A
     * {@code null} list cannot be encoded; decoding makes an {@link ArrayList}, and refuses a count larger
     * than the bytes left in the frame ({@link IllegalArgumentException}).
     *
     * @param element the codec of each element; its encoding of every value takes at least one byte (every
     *                codec here does)
     * @param <T>     the element type
     * @return a codec for lists of {@code element}
     */
    public static <T> Codec<List<T>> list(final Codec<T> element) {
        return new Codec<>() {
            @Override
            public void encode(final List<T> value, final Bytes<?> out) {
                out.writeInt(value.size());
                for (final T t : value) {
                    element.encode(t, out);
                }
            }

            @Override
            public List<T> decode(final Bytes<?> in) {
                final int n = in.readInt();
                if (n < 0) {
                    throw new IllegalArgumentException("list of " + n + " elements: a count is never negative");
                }
                // the count is the peer's: every element takes at least one byte, so more elements than bytes
                // left is garbage (a codec that reads nothing at the frame's end would loop 2^31 times)
                if (n > in.readRemaining()) {
                    throw new IllegalArgumentException("list of " + n + " elements, but the frame has "
                        + in.readRemaining() + " bytes left: an element takes at least one byte");
                }
                final List<T> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(element.decode(in));
                }
                return list;
            }
        };
    }
}
