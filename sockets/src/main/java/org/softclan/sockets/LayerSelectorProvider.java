package org.softclan.sockets;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;

/**
 * The layer's NIO provider: {@link SocketChannel}s and {@link ServerSocketChannel}s of TCP that go
 * through the layer ({@link LayerSocketChannel}, {@link LayerServerSocketChannel}), and a
 * {@link LayerSelector} that multiplexes them with every other channel of the JDK. Pipes, datagram
 * channels, Unix domain sockets and the inherited channel are the JDK's own.
 *
 * <p>The JDK reads the provider once, at the first {@code SelectorProvider.provider()} of the JVM,
 * from the system property {@code java.nio.channels.spi.SelectorProvider}, which the agent sets before
 * {@code main} ({@link SocketsAgent}); a program that touched NIO earlier (in another agent) keeps the
 * JDK's provider, and the agent says so.
 */
public final class LayerSelectorProvider extends SelectorProvider {
    /** The system property the JDK reads its provider's class name from. */
    public static final String PROPERTY = "java.nio.channels.spi.SelectorProvider";
    private final SelectorProvider jdk;

    /**
     * Made by the JDK (the provider named by {@value #PROPERTY}).
     *
     * @throws IllegalStateException if the JDK's own provider cannot be reached (the message names the
     *                               {@code --add-exports} flag)
     */
    public LayerSelectorProvider() {
        this.jdk = platform();
    }

    /** {@return the JDK's own provider (what {@code SelectorProvider.provider()} is without the layer)} */
    static SelectorProvider platform() {
        try {
            final Class<?> c = Class.forName("sun.nio.ch.DefaultSelectorProvider");
            final java.lang.reflect.Method get = c.getDeclaredMethod("get");
            get.setAccessible(true);
            return (SelectorProvider) get.invoke(null);
        } catch (final ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("softclan sockets: the JDK's selector provider cannot be reached"
                + " (sun.nio.ch.DefaultSelectorProvider.get); run with the agent, or with --add-opens"
                + " java.base/sun.nio.ch=ALL-UNNAMED: " + e, e);
        }
    }

    /** {@return the JDK's provider this one delegates to} */
    SelectorProvider jdk() {
        return jdk;
    }

    @Override
    public DatagramChannel openDatagramChannel() throws IOException {
        return jdk.openDatagramChannel();
    }

    @Override
    public DatagramChannel openDatagramChannel(final ProtocolFamily family) throws IOException {
        return jdk.openDatagramChannel(family);
    }

    @Override
    public Pipe openPipe() throws IOException {
        return jdk.openPipe();
    }

    @Override
    public AbstractSelector openSelector() throws IOException {
        return new LayerSelector(this, jdk.openSelector());
    }

    @Override
    public ServerSocketChannel openServerSocketChannel() throws IOException {
        return new LayerServerSocketChannel(this, jdk.openServerSocketChannel());
    }

    @Override
    public SocketChannel openSocketChannel() throws IOException {
        return new LayerSocketChannel(this, jdk.openSocketChannel(), null);
    }

    @Override
    public SocketChannel openSocketChannel(final ProtocolFamily family) throws IOException {
        final SocketChannel tcp = jdk.openSocketChannel(family);
        return isInet(family) ? new LayerSocketChannel(this, tcp, null) : tcp;
    }

    @Override
    public ServerSocketChannel openServerSocketChannel(final ProtocolFamily family) throws IOException {
        final ServerSocketChannel tcp = jdk.openServerSocketChannel(family);
        return isInet(family) ? new LayerServerSocketChannel(this, tcp) : tcp;
    }

    private static boolean isInet(final ProtocolFamily family) {
        return family == StandardProtocolFamily.INET || family == StandardProtocolFamily.INET6;
    }

    @Override
    public Channel inheritedChannel() throws IOException {
        return jdk.inheritedChannel();
    }
}
