package org.softclan.sockets;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.util.Set;

/**
 * The JDK's own TCP socket implementation ({@code sun.nio.ch.NioSocketImpl}, the platform
 * {@link SocketImpl} since JDK 13), driven through method handles: every socket the layer makes is one
 * of these underneath, so a connection that is not accelerated behaves exactly as without the layer,
 * and an accelerated one keeps its TCP connection for set-up, addresses and close.
 *
 * <p>{@link SocketImpl}'s methods are protected: calling them on another instance needs
 * {@code java.net} and {@code sun.nio.ch} of {@code java.base} open to this class's module. The agent
 * opens them ({@link SocketsAgent}); without the agent, the JVM needs
 * {@code --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED}, and
 * {@link #check()} names them when they are missing.
 */
final class PlatformSocket {
    private static final String IMPL = "sun.nio.ch.NioSocketImpl";
    private static final Handles H;
    private static final Throwable UNAVAILABLE;

    static {
        Handles h = null;
        Throwable why = null;
        try {
            h = new Handles();
        } catch (final ReflectiveOperationException | RuntimeException e) {
            why = e;
        }
        H = h;
        UNAVAILABLE = why;
    }

    private PlatformSocket() {
    }

    /**
     * @throws IllegalStateException naming the flags, if the platform implementation cannot be reached
     */
    static void check() {
        if (H == null) {
            throw new IllegalStateException("softclan sockets: the JDK's socket implementation (" + IMPL
                + ") cannot be reached: start the JVM with -javaagent:<softclan-sockets.jar>, or give it"
                + " --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED ("
                + UNAVAILABLE + ")", UNAVAILABLE);
        }
    }

    /** {@return a new platform socket implementation, for a server ({@code true}) or a client socket} */
    static SocketImpl newImpl(final boolean server) {
        check();
        try {
            return (SocketImpl) H.newImpl.invoke(server);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static void create(final SocketImpl s, final boolean stream) throws IOException {
        try {
            H.create.invokeExact(s, stream);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static void connect(final SocketImpl s, final SocketAddress remote, final int millis) throws IOException {
        try {
            H.connect.invokeExact(s, remote, millis);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static void bind(final SocketImpl s, final InetAddress host, final int port) throws IOException {
        try {
            H.bind.invokeExact(s, host, port);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static void listen(final SocketImpl s, final int backlog) throws IOException {
        try {
            H.listen.invokeExact(s, backlog);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    /** Accepts a connection on {@code server} into {@code into} (both platform implementations). */
    static void accept(final SocketImpl server, final SocketImpl into) throws IOException {
        try {
            H.accept.invokeExact(server, into);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static InputStream inputStream(final SocketImpl s) throws IOException {
        try {
            return (InputStream) H.getInputStream.invokeExact(s);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static OutputStream outputStream(final SocketImpl s) throws IOException {
        try {
            return (OutputStream) H.getOutputStream.invokeExact(s);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static int available(final SocketImpl s) throws IOException {
        try {
            return (int) H.available.invokeExact(s);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static void close(final SocketImpl s) throws IOException {
        try {
            H.close.invokeExact(s);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static void shutdownInput(final SocketImpl s) throws IOException {
        try {
            H.shutdownInput.invokeExact(s);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static void shutdownOutput(final SocketImpl s) throws IOException {
        try {
            H.shutdownOutput.invokeExact(s);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static void sendUrgentData(final SocketImpl s, final int data) throws IOException {
        try {
            H.sendUrgentData.invokeExact(s, data);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    static boolean supportsUrgentData(final SocketImpl s) {
        try {
            return (boolean) H.supportsUrgentData.invokeExact(s);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static <T> void setOption(final SocketImpl s, final SocketOption<T> name, final T value) throws IOException {
        try {
            H.setOption.invokeExact(s, (SocketOption<?>) name, (Object) value);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T getOption(final SocketImpl s, final SocketOption<T> name) throws IOException {
        try {
            return (T) (Object) H.getOption.invokeExact(s, (SocketOption<?>) name);
        } catch (final Throwable t) {
            throw io(t);
        }
    }

    @SuppressWarnings("unchecked")
    static Set<SocketOption<?>> supportedOptions(final SocketImpl s) {
        try {
            return (Set<SocketOption<?>>) H.supportedOptions.invokeExact(s);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static FileDescriptor fileDescriptor(final SocketImpl s) {
        try {
            return (FileDescriptor) H.getFileDescriptor.invokeExact(s);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static InetAddress inetAddress(final SocketImpl s) {
        try {
            return (InetAddress) H.getInetAddress.invokeExact(s);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int port(final SocketImpl s) {
        try {
            return (int) H.getPort.invokeExact(s);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int localPort(final SocketImpl s) {
        try {
            return (int) H.getLocalPort.invokeExact(s);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    private static IOException io(final Throwable t) {
        if (t instanceof IOException) {
            return (IOException) t;
        }
        throw rethrow(t);
    }

    private static RuntimeException rethrow(final Throwable t) {
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        throw new IllegalStateException("softclan sockets: unexpected " + t, t);
    }

    /** The handles, looked up once with private access to {@link SocketImpl}. */
    private static final class Handles {
        final MethodHandle newImpl;
        final MethodHandle create;
        final MethodHandle connect;
        final MethodHandle bind;
        final MethodHandle listen;
        final MethodHandle accept;
        final MethodHandle getInputStream;
        final MethodHandle getOutputStream;
        final MethodHandle available;
        final MethodHandle close;
        final MethodHandle shutdownInput;
        final MethodHandle shutdownOutput;
        final MethodHandle sendUrgentData;
        final MethodHandle supportsUrgentData;
        final MethodHandle setOption;
        final MethodHandle getOption;
        final MethodHandle supportedOptions;
        final MethodHandle getFileDescriptor;
        final MethodHandle getInetAddress;
        final MethodHandle getPort;
        final MethodHandle getLocalPort;

        Handles() throws ReflectiveOperationException {
            final Class<?> impl = Class.forName(IMPL, false, null);
            final MethodHandles.Lookup own = MethodHandles.lookup();
            final MethodHandles.Lookup net = MethodHandles.privateLookupIn(SocketImpl.class, own);
            final MethodHandles.Lookup nio = MethodHandles.privateLookupIn(impl, own);
            final Class<SocketImpl> s = SocketImpl.class;
            newImpl = nio.findConstructor(impl, MethodType.methodType(void.class, boolean.class));
            create = net.findVirtual(s, "create", MethodType.methodType(void.class, boolean.class));
            connect = net.findVirtual(s, "connect", MethodType.methodType(void.class, SocketAddress.class, int.class));
            bind = net.findVirtual(s, "bind", MethodType.methodType(void.class, InetAddress.class, int.class));
            listen = net.findVirtual(s, "listen", MethodType.methodType(void.class, int.class));
            accept = net.findVirtual(s, "accept", MethodType.methodType(void.class, SocketImpl.class));
            getInputStream = net.findVirtual(s, "getInputStream", MethodType.methodType(InputStream.class));
            getOutputStream = net.findVirtual(s, "getOutputStream", MethodType.methodType(OutputStream.class));
            available = net.findVirtual(s, "available", MethodType.methodType(int.class));
            close = net.findVirtual(s, "close", MethodType.methodType(void.class));
            shutdownInput = net.findVirtual(s, "shutdownInput", MethodType.methodType(void.class));
            shutdownOutput = net.findVirtual(s, "shutdownOutput", MethodType.methodType(void.class));
            sendUrgentData = net.findVirtual(s, "sendUrgentData", MethodType.methodType(void.class, int.class));
            supportsUrgentData = net.findVirtual(s, "supportsUrgentData", MethodType.methodType(boolean.class));
            setOption = net.findVirtual(s, "setOption", MethodType.methodType(void.class, SocketOption.class, Object.class));
            getOption = net.findVirtual(s, "getOption", MethodType.methodType(Object.class, SocketOption.class));
            supportedOptions = net.findVirtual(s, "supportedOptions", MethodType.methodType(Set.class));
            getFileDescriptor = net.findVirtual(s, "getFileDescriptor", MethodType.methodType(FileDescriptor.class));
            getInetAddress = net.findVirtual(s, "getInetAddress", MethodType.methodType(InetAddress.class));
            getPort = net.findVirtual(s, "getPort", MethodType.methodType(int.class));
            getLocalPort = net.findVirtual(s, "getLocalPort", MethodType.methodType(int.class));
        }
    }
}
