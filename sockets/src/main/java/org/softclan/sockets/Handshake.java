package org.softclan.sockets;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The two messages that switch a TCP connection to a byte stream, sent on the stream itself (never on
 * the TCP connection, where a plain peer could misread them).
 *
 * <p>Before its TCP connect, the client binds its socket and sends the server's process a <em>hello</em>
 * naming that local port and address and the server port it is about to connect to; the server keeps the
 * stream under that port and answers with an <em>ack</em>. When the server's {@code accept} later
 * returns a TCP connection from that port, it takes the stream in its place. The client's connect
 * returns only after the ack, so the server has the stream before the TCP connection can be accepted:
 * a server never waits for a stream that might not come, and a plain client (no hello) stays on TCP.
 *
 * <pre>
 *   hello, 64 bytes, little-endian             ack, 24 bytes
 *   0  int   magic 0x534C4353 ("SCLS")          0  int  magic 0x414C4353 ("SCLA")
 *   4  short version (2)                        4  int  the hello's client port
 *                                               8  long the server's pid
 *   6  byte  client address length (0, 4 or 16)
 *   7  byte  server address length (4 or 16)   16 int  its descriptor of the listening socket
 *   8  int   client port (1..65535)             20 int  its descriptor of the client's ring
 *   12 int   server port (1..65535)
 *   16 16 B  the client's bound address (none for the wildcard)
 *   32 16 B  the server address the client dials
 *   48 long  the client's pid
 *   56 int   its descriptor of its TCP socket
 *   60 int   its descriptor of the server's ring (the ring it writes into)
 * </pre>
 *
 * A pid and descriptor numbers are claims, made facts by {@link KernelCheck}: the server takes a stream
 * for an accepted TCP connection only if the hello's process holds that connection's client socket and
 * the stream's ring under the descriptors it names; the client uses the stream only if the ack's process
 * holds the listening socket and the client's ring under the descriptors it names. (Descriptors are named
 * so that a check looks at two of them, not at every descriptor the peer holds.)
 *
 * The server checks the address dialed against the one its socket is bound to: a server that holds
 * the port on one address only is not the one a client dialing another address reaches over TCP.
 *
 * Everything read is checked: a hello or ack that fails a check ends that stream, never the server.
 */
final class Handshake {
    static final int HELLO_LENGTH = 64;
    static final int ACK_LENGTH = 24;
    static final int HELLO_MAGIC = 0x534C4353;
    static final int ACK_MAGIC = 0x414C4353;
    static final short VERSION = 2;

    private Handshake() {
    }

    /**
     * A decoded hello. {@code address} is {@code null} for a client bound to the wildcard address;
     * {@code serverAddress} is the address the client dials.
     */
    record Hello(int clientPort, int serverPort, InetAddress address, InetAddress serverAddress, long pid,
                 int socketFd, int ringFd) {
    }

    /** A decoded ack: the server's pid and the descriptors it names for its listening socket and the ring. */
    record Ack(long pid, int listenFd, int ringFd) {
    }

    /**
     * @param socketFd the client's descriptor of its TCP socket (-1 if unknown: the server then refuses)
     * @param ringFd   the client's descriptor of the ring it writes into (its mapping's)
     */
    static ByteBuffer hello(final int clientPort, final int serverPort, final InetAddress bound, final InetAddress server,
                            final int socketFd, final int ringFd) {
        final ByteBuffer b = ByteBuffer.allocate(HELLO_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(HELLO_MAGIC).putShort(VERSION);
        final byte[] addr = bound == null || bound.isAnyLocalAddress() ? new byte[0] : bound.getAddress();
        final byte[] dialed = server.getAddress();
        b.put((byte) addr.length).put((byte) dialed.length).putInt(clientPort).putInt(serverPort);
        b.put(16, addr).put(32, dialed).putLong(48, ProcessHandle.current().pid()).putInt(56, socketFd).putInt(60, ringFd);
        b.position(0).limit(HELLO_LENGTH);
        return b;
    }

    /**
     * @param b a hello's {@value #HELLO_LENGTH} bytes (position 0)
     * @return the hello
     * @throws IOException naming the field, if a field is out of its range
     */
    static Hello readHello(final ByteBuffer b) throws IOException {
        b.order(ByteOrder.LITTLE_ENDIAN);
        final int magic = b.getInt(0);
        if (magic != HELLO_MAGIC) {
            throw new IOException("softclan sockets: hand-shake magic 0x" + Integer.toHexString(magic)
                + " is not a hello's (0x" + Integer.toHexString(HELLO_MAGIC) + ")");
        }
        final short version = b.getShort(4);
        if (version != VERSION) {
            throw new IOException("softclan sockets: hello version " + version + ", this layer speaks " + VERSION);
        }
        final int addrLength = b.get(6);
        final int serverAddrLength = b.get(7);
        final int clientPort = b.getInt(8);
        final int serverPort = b.getInt(12);
        checkPort("client port", clientPort);
        checkPort("server port", serverPort);
        if (addrLength != 0 && addrLength != 4 && addrLength != 16) {
            throw new IOException("softclan sockets: hello address length " + addrLength + " is not 0, 4 or 16");
        }
        if (serverAddrLength != 4 && serverAddrLength != 16) {
            throw new IOException("softclan sockets: hello server address length " + serverAddrLength + " is not 4 or 16");
        }
        final InetAddress address = addrLength == 0 ? null : address(b, 16, addrLength);
        return new Hello(clientPort, serverPort, address, address(b, 32, serverAddrLength), b.getLong(48),
            b.getInt(56), b.getInt(60));
    }

    private static InetAddress address(final ByteBuffer b, final int at, final int length) throws IOException {
        final byte[] a = new byte[length];
        b.get(at, a);
        final InetAddress address;
        try {
            address = InetAddress.getByAddress(a);
        } catch (final UnknownHostException e) {
            throw new IOException("softclan sockets: hello address of " + length + " bytes at " + at, e);
        }
        if (!(address instanceof Inet4Address || address instanceof Inet6Address)) {
            throw new IOException("softclan sockets: hello address " + address);
        }
        return address;
    }

    /**
     * @param listenFd the server's descriptor of its listening socket (-1 if unknown: the client then refuses)
     * @param ringFd   the server's descriptor of the ring it writes into (its mapping's)
     */
    static ByteBuffer ack(final int clientPort, final int listenFd, final int ringFd) {
        final ByteBuffer b = ByteBuffer.allocate(ACK_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(ACK_MAGIC).putInt(clientPort).putLong(ProcessHandle.current().pid()).putInt(listenFd).putInt(ringFd).flip();
        return b;
    }

    /**
     * @return what the server's process claims: its pid and descriptors
     * @throws IOException if {@code b} is not the ack of the hello for {@code clientPort}
     */
    static Ack checkAck(final ByteBuffer b, final int clientPort) throws IOException {
        b.order(ByteOrder.LITTLE_ENDIAN);
        final int magic = b.getInt(0);
        final int port = b.getInt(4);
        if (magic != ACK_MAGIC || port != clientPort) {
            throw new IOException("softclan sockets: the server's ack (magic 0x" + Integer.toHexString(magic)
                + ", port " + port + ") is not the ack for client port " + clientPort);
        }
        return new Ack(b.getLong(8), b.getInt(16), b.getInt(20));
    }

    private static void checkPort(final String what, final int port) throws IOException {
        if (port < 1 || port > 65535) {
            throw new IOException("softclan sockets: hello " + what + " " + port + " is outside 1..65535");
        }
    }
}
