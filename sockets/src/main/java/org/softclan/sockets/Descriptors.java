package org.softclan.sockets;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.Channel;

/**
 * The descriptor numbers of this process's sockets, which the hand-shake names so that the peer's
 * {@link KernelCheck} looks at one descriptor rather than all of them. Read through the JDK's own
 * fields ({@code FileDescriptor.fd}, {@code sun.nio.ch.SelChImpl.getFDVal()}), which the agent opens to
 * this module; -1 where they cannot be read (the peer then refuses the switch and the connection stays
 * on TCP).
 */
final class Descriptors {
    private static final MethodHandle FD_OF_DESCRIPTOR;
    private static final MethodHandle FD_OF_CHANNEL;

    static {
        MethodHandle d = null;
        MethodHandle c = null;
        try {
            d = MethodHandles.privateLookupIn(FileDescriptor.class, MethodHandles.lookup())
                .findGetter(FileDescriptor.class, "fd", int.class);
        } catch (final ReflectiveOperationException | RuntimeException e) {
            d = null;
        }
        try {
            final Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
            c = MethodHandles.privateLookupIn(selCh, MethodHandles.lookup())
                .findVirtual(selCh, "getFDVal", MethodType.methodType(int.class))
                .asType(MethodType.methodType(int.class, Object.class));
        } catch (final ReflectiveOperationException | RuntimeException e) {
            c = null;
        }
        FD_OF_DESCRIPTOR = d;
        FD_OF_CHANNEL = c;
    }

    private Descriptors() {
    }

    /** {@return the number of {@code fd}, or -1 if it cannot be read or is closed} */
    static int of(final FileDescriptor fd) {
        if (FD_OF_DESCRIPTOR == null || fd == null) {
            return -1;
        }
        try {
            return (int) FD_OF_DESCRIPTOR.invokeExact(fd);
        } catch (final Throwable t) {
            return -1;
        }
    }

    /** {@return the descriptor number of one of the JDK's own socket channels, or -1 if it cannot be read} */
    static int of(final Channel channel) {
        if (FD_OF_CHANNEL == null || channel == null) {
            return -1;
        }
        try {
            return (int) FD_OF_CHANNEL.invokeExact((Object) channel);
        } catch (final Throwable t) {
            return -1;   // not the JDK's (a ClassCastException), or closed
        }
    }
}
