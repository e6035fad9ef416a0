package org.softclan.bench.peers;

import java.util.ArrayList;
import java.util.List;

/**
 * The transports {@code bench pingpong} and {@code bench compare} know: {@link #all()}, which compare runs
 * by default, in that order, and {@link #more()}, run only when named ({@code --transport},
 * {@code --transports}).
 */
public final class Transports {
    /** The floor every other transport is compared with. */
    public static final String RAW = "raw";

    private Transports() {
    }

    /** @return a fresh instance of every transport compare runs by default, raw first */
    public static List<PeerTransport> all() {
        return List.of(
            new SharedMemoryTransport(SharedMemoryTransport.Mode.RAW),
            new SharedMemoryTransport(SharedMemoryTransport.Mode.TRIPWIRE_SPIN),
            new SharedMemoryTransport(SharedMemoryTransport.Mode.TRIPWIRE_BLOCK),
            new SharedMemoryTransport(SharedMemoryTransport.Mode.FUTEX),
            new QueueTransport(),
            new RpcTransport(false),
            new AeronIpcTransport(),
            new SocketTransport(false, false),
            new SocketTransport(true, false),
            new SocketTransport(false, true),
            new SocketTransport(true, true));
    }

    /**
     * @return a fresh instance of every transport run only when named: the Tripwire unit's other wait
     *         strategies, between {@code tripwire-spin} and {@code tripwire-block}, and RPC with the
     *         library's default strategy
     */
    public static List<PeerTransport> more() {
        return List.of(
            new SharedMemoryTransport(SharedMemoryTransport.Mode.TRIPWIRE_YIELD),
            new SharedMemoryTransport(SharedMemoryTransport.Mode.TRIPWIRE_COMPETITIVE),
            new SharedMemoryTransport(SharedMemoryTransport.Mode.TRIPWIRE_PARK),
            new RpcTransport(true));
    }

    /** @return {@link #all()} then {@link #more()} */
    public static List<PeerTransport> known() {
        final List<PeerTransport> known = new ArrayList<>(all());
        known.addAll(more());
        return known;
    }

    /** @return the names of {@link #all()}, in order */
    public static List<String> names() {
        return names(all());
    }

    /** @return the transports' names, in order */
    public static List<String> names(final List<PeerTransport> transports) {
        final List<String> names = new ArrayList<>();
        for (final PeerTransport t : transports) {
            names.add(t.name());
        }
        return names;
    }

    /**
     * @return the transport called {@code name}, of {@link #known()}
     * @throws IllegalArgumentException naming the known ones if there is none
     */
    public static PeerTransport byName(final String name) {
        final List<PeerTransport> known = known();
        for (final PeerTransport t : known) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown transport '" + name + "'; one of: "
            + String.join(", ", names(known)));
    }
}
