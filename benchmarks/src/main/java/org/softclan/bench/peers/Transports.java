package org.softclan.bench.peers;

import java.util.ArrayList;
import java.util.List;

/** The transports {@code bench pingpong} and {@code bench compare} know, in the order compare runs them. */
public final class Transports {
    /** The floor every other transport is compared with. */
    public static final String RAW = "raw";

    private Transports() {
    }

    /** @return a fresh instance of every transport, raw first */
    public static List<PeerTransport> all() {
        return List.of(
            new SharedMemoryTransport(SharedMemoryTransport.Mode.RAW),
            new SharedMemoryTransport(SharedMemoryTransport.Mode.TRIPWIRE_SPIN),
            new SharedMemoryTransport(SharedMemoryTransport.Mode.TRIPWIRE_BLOCK),
            new QueueTransport(),
            new RpcTransport(),
            new AeronIpcTransport(),
            new SocketTransport(false, false),
            new SocketTransport(true, false),
            new SocketTransport(false, true),
            new SocketTransport(true, true));
    }

    /** @return the transports' names, in order */
    public static List<String> names() {
        final List<String> names = new ArrayList<>();
        for (final PeerTransport t : all()) {
            names.add(t.name());
        }
        return names;
    }

    /**
     * @return the transport called {@code name}
     * @throws IllegalArgumentException naming the known ones if there is none
     */
    public static PeerTransport byName(final String name) {
        for (final PeerTransport t : all()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown transport '" + name + "'; one of: " + String.join(", ", names()));
    }
}
