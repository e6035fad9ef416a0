package org.softclan.sockets;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;

/** A JDK socket channel as the hand-shake needs its client socket ({@link SocketLayer#offer}). */
final class ChannelClientSocket implements SocketLayer.ClientSocket {
    private final SocketChannel tcp;

    ChannelClientSocket(final SocketChannel tcp) {
        this.tcp = tcp;
    }

    @Override
    public int localPort() throws IOException {
        final SocketAddress a = tcp.getLocalAddress();
        return a == null ? 0 : ((InetSocketAddress) a).getPort();
    }

    @Override
    public void bind(final InetAddress any) throws IOException {
        tcp.bind(new InetSocketAddress(any, 0));
    }

    @Override
    public InetAddress boundAddress() throws IOException {
        return ((InetSocketAddress) tcp.getLocalAddress()).getAddress();
    }

    @Override
    public int descriptor() {
        return Descriptors.of(tcp);
    }
}
