package org.softclan.vmmc.stream;

import java.lang.reflect.Constructor;
import java.nio.ByteBuffer;

/** Direct-buffer views over memory the stream owns (ring records, deposit buffers). */
final class Views {
    private static final Constructor<?> DIRECT;
    /** Whether {@link #DIRECT} takes the capacity as a long (JDK 21 and later) rather than an int. */
    private static final boolean LONG_CAPACITY;
    private static final String WHY;

    static {
        Constructor<?> c = null;
        boolean longCapacity = false;
        String why = null;
        try {
            final Class<?> direct = Class.forName("java.nio.DirectByteBuffer");
            try {
                c = direct.getDeclaredConstructor(long.class, long.class);
                longCapacity = true;
            } catch (final NoSuchMethodException beforeJdk21) {
                c = direct.getDeclaredConstructor(long.class, int.class);
            }
            c.setAccessible(true);
        } catch (final ReflectiveOperationException | RuntimeException e) {
            why = e.toString();
            c = null;
        }
        DIRECT = c;
        LONG_CAPACITY = longCapacity;
        WHY = why;
    }

    private Views() {
    }

    /**
     * @return a read-only direct buffer over {@code length} bytes at {@code address}, not owning them
     * @throws IllegalStateException if the JVM does not open java.nio to this module
     */
    static ByteBuffer readOnly(final long address, final int length) {
        if (DIRECT == null) {
            throw new IllegalStateException("a buffer view needs --add-opens=java.base/java.nio=ALL-UNNAMED (" + WHY
                + "); copy the bytes out with get() instead");
        }
        try {
            return ((ByteBuffer) (LONG_CAPACITY ? DIRECT.newInstance(address, (long) length)
                : DIRECT.newInstance(address, length))).asReadOnlyBuffer();
        } catch (final ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make a buffer view: " + e, e);
        }
    }
}
