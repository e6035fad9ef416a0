package org.softclan.bench.peers;

import java.util.ArrayList;
import java.util.List;

import org.softclan.vmmc.stream.SendTechnique;

/**
 * The systems under test. Round trips ({@code bench pingpong}, {@code bench compare}): {@link #all()},
 * which compare runs by default, in that order, and {@link #more()}, run only when named
 * ({@code --transport}, {@code --transports}). One way ({@code bench stream}, {@code bench techniques},
 * compare's throughput section): {@link #oneWay()}.
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
            new SocketTransport(true, true),
            new SocketTransport(false, SocketTransport.Mode.PLAIN),
            new SocketTransport(false, SocketTransport.Mode.FALLBACK),
            new SocketTransport(false, SocketTransport.Mode.LAYER),
            new SocketTransport(true, SocketTransport.Mode.PLAIN),
            new SocketTransport(true, SocketTransport.Mode.FALLBACK),
            new SocketTransport(true, SocketTransport.Mode.LAYER));
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
        return find(known(), name, false, "unknown transport '" + name + "'; one of: ");
    }

    /**
     * @return a fresh instance of every transport with one-way ends, in the order tables list them: the raw
     *         ring, the byte stream with each send technique, aeron-ipc, tcp, uds
     */
    public static List<PeerTransport> oneWay() {
        final List<PeerTransport> all = new ArrayList<>();
        all.add(new SharedMemoryTransport(SharedMemoryTransport.Mode.RAW));
        for (final SendTechnique t : SendTechnique.values()) {
            all.add(new ByteStreamTransport(t));
        }
        all.add(new AeronIpcTransport());
        all.add(new SocketTransport(false, false));
        all.add(new SocketTransport(true, false));
        return all;
    }

    /**
     * @param name a transport's name, any case
     * @return the transport of {@link #oneWay()} called {@code name}
     * @throws IllegalArgumentException naming the choices if there is none
     */
    public static PeerTransport oneWay(final String name) {
        return find(oneWay(), name.trim(), true, "no transport '" + name + "'; choose one of ");
    }

    private static PeerTransport find(final List<PeerTransport> all, final String name, final boolean anyCase,
                                      final String unknown) {
        for (final PeerTransport t : all) {
            if (anyCase ? t.name().equalsIgnoreCase(name) : t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException(unknown + String.join(", ", names(all)));
    }
}
