package org.softclan.cli;

import java.util.Locale;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parsing of the numbers the commands take: sizes with binary suffixes, 64-bit access keys and
 * 64-bit values. Each parser throws {@link TypeConversionException}, which picocli reports as a usage
 * error naming the option.
 */
public final class Units {
    private static final long KIB = 1L << 10;
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    private Units() {
    }

    /**
     * Parses a size in bytes: a plain number of bytes, or a number followed by {@code k}, {@code m}
     * or {@code g} (KiB, MiB, GiB; either case), optionally written out as {@code KiB}, {@code MiB},
     * {@code GiB}.
     *
     * @param text e.g. {@code 4096}, {@code 64k}, {@code 1M}, {@code 2g}, {@code 64KiB}, {@code 1GiB}
     * @return the size in bytes, at least 1
     * @throws TypeConversionException if the text is not such a size, is zero or overflows a long
     */
    public static long parseSize(final String text) {
        final String trimmed = text == null ? "" : text.trim();
        if (trimmed.isEmpty()) {
            throw new TypeConversionException("empty size: give bytes, or a number with suffix k, m or g");
        }
        // "64KiB" is "64k": drop the "iB" after a k, m or g
        final String lower = trimmed.toLowerCase(Locale.ROOT);
        final boolean iec = lower.length() > 3 && lower.endsWith("ib")
            && "kmg".indexOf(lower.charAt(lower.length() - 3)) >= 0;
        final String s = iec ? trimmed.substring(0, trimmed.length() - 2) : trimmed;
        final char last = Character.toLowerCase(s.charAt(s.length() - 1));
        final long unit;
        final String digits;
        switch (last) {
            case 'k':
                unit = KIB;
                digits = s.substring(0, s.length() - 1);
                break;
            case 'm':
                unit = MIB;
                digits = s.substring(0, s.length() - 1);
                break;
            case 'g':
                unit = GIB;
                digits = s.substring(0, s.length() - 1);
                break;
            default:
                unit = 1;
                digits = s;
        }
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new TypeConversionException("'" + text + "' is not a size: give bytes, or a number with"
                + " suffix k, m or g (KiB, MiB, GiB), e.g. 4096, 64k or 64KiB");
        }
        final long n;
        try {
            n = Math.multiplyExact(Long.parseLong(digits), unit);
        } catch (final NumberFormatException | ArithmeticException e) {
            throw new TypeConversionException("size '" + text + "' is too large");
        }
        if (n <= 0) {
            throw new TypeConversionException("size '" + text + "' must be at least 1 byte");
        }
        return n;
    }

    /**
     * Parses an access key: any 64-bit pattern, written in decimal (signed, or unsigned up to
     * 18446744073709551615) or in hexadecimal with a {@code 0x} prefix (up to 16 digits).
     *
     * @param text e.g. {@code 0}, {@code 12345}, {@code 0xCAFEF00D}
     * @return the key's 64 bits
     * @throws TypeConversionException if the text is not such a number
     */
    public static long parseKey(final String text) {
        try {
            return parse64(text);
        } catch (final NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is not a key: give a 64-bit number in decimal"
                + " or 0x-hex, e.g. 12345 or 0xCAFEF00D");
        }
    }

    /**
     * Parses a 64-bit value as {@link #parseKey} does.
     *
     * @param text e.g. {@code 42}, {@code -1}, {@code 0xff}
     * @return the value
     * @throws TypeConversionException if the text is not such a number
     */
    public static long parseLong(final String text) {
        try {
            return parse64(text);
        } catch (final NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is not a 64-bit number (decimal or 0x-hex)");
        }
    }

    private static long parse64(final String text) {
        final String s = text == null ? "" : text.trim();
        final String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("0x")) {
            final String hex = lower.substring(2);
            if (hex.isEmpty() || hex.length() > 16 || hex.startsWith("+") || hex.startsWith("-")) {
                throw new NumberFormatException(text);
            }
            return Long.parseUnsignedLong(hex, 16);
        }
        if (s.startsWith("-")) {
            return Long.parseLong(s);
        }
        if (s.isEmpty() || s.startsWith("+")) {
            throw new NumberFormatException(text);
        }
        return Long.parseUnsignedLong(s);
    }

    /** picocli converter for {@link #parseSize}. */
    public static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(final String value) {
            return parseSize(value);
        }
    }

    /** picocli converter for {@link #parseKey}. */
    public static final class KeyConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(final String value) {
            return parseKey(value);
        }
    }

    /** picocli converter for {@link #parseLong}. */
    public static final class LongConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(final String value) {
            return parseLong(value);
        }
    }
}
