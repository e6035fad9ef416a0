package org.softclan.sockets;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The layer's counters for one process: connections made accelerated and fallen back (by reason), bytes
 * moved through shared memory each way, refused hand-shakes, and the last error met. Updated without
 * locks; read at any time (each value is a sum at the time of reading). Once the layer's endpoint is open
 * they are also published in its statistics file ({@code vmmc stat}), and the errors go to its error log.
 */
public final class SocketLayerStats {
    private final LongAdder accelerated = new LongAdder();
    private final Map<FallbackReason, LongAdder> fallbacks = new EnumMap<>(FallbackReason.class);
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();
    private final LongAdder handshakesRefused = new LongAdder();
    private final AtomicReference<String> lastError = new AtomicReference<>();
    /** The statistics of the layer's endpoint, once it is open: where errors are also logged. */
    private volatile org.softclan.dsm.stat.EndpointStats published;
    /** The layer's selectors: selects, returns without waiting, in the spin, blocks, wake-ups asked. */
    final LongAdder selects = new LongAdder();
    final LongAdder selectsImmediate = new LongAdder();
    final LongAdder selectsSpun = new LongAdder();
    final LongAdder selectBlocks = new LongAdder();
    final LongAdder selectorWakeups = new LongAdder();

    SocketLayerStats() {
        for (final FallbackReason r : FallbackReason.values()) {
            fallbacks.put(r, new LongAdder());
        }
    }

    void accelerated() {
        accelerated.increment();
    }

    void fellBack(final FallbackReason reason) {
        fallbacks.get(reason).increment();
    }

    void sent(final long bytes) {
        bytesSent.add(bytes);
    }

    void received(final long bytes) {
        bytesReceived.add(bytes);
    }

    void handshakeRefused() {
        handshakesRefused.increment();
    }

    void error(final String message) {
        lastError.set(message);
        final org.softclan.dsm.stat.EndpointStats sink = published;
        if (sink != null) {
            sink.recordError(new SocketLayerError(message));
        }
    }

    /** An error the layer met and fell back on, as the endpoint's error log records it (no stack trace). */
    static final class SocketLayerError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SocketLayerError(final String message) {
            super("socket layer: " + message, null, false, false);
        }
    }

    /**
     * Publishes these counters in the statistics of the layer's endpoint (once, when it opens): connections
     * accelerated, left on TCP by reason, bytes each way, refused hand-shakes; later errors also go to its
     * error log. The counters live as long as the endpoint.
     *
     * @param stats the endpoint's statistics
     */
    void publishTo(final org.softclan.dsm.stat.EndpointStats stats) {
        final org.agrona.concurrent.status.AtomicCounter acc = stats.counter("socket connections accelerated",
            org.softclan.dsm.stat.StatTypes.SOCKETS_ACCELERATED);
        final Map<FallbackReason, org.agrona.concurrent.status.AtomicCounter> fell = new EnumMap<>(FallbackReason.class);
        for (final FallbackReason r : FallbackReason.values()) {
            if (r != FallbackReason.ACCELERATED) {
                fell.put(r, stats.counter("socket connections left on TCP: " + r.name(),
                    org.softclan.dsm.stat.StatTypes.SOCKETS_FALLBACK));
            }
        }
        final org.agrona.concurrent.status.AtomicCounter out = stats.counter("socket bytes sent through shared memory",
            org.softclan.dsm.stat.StatTypes.SOCKETS_BYTES_SENT);
        final org.agrona.concurrent.status.AtomicCounter in = stats.counter("socket bytes received through shared memory",
            org.softclan.dsm.stat.StatTypes.SOCKETS_BYTES_RECEIVED);
        final org.agrona.concurrent.status.AtomicCounter refused = stats.counter("socket hand-shakes refused",
            org.softclan.dsm.stat.StatTypes.SOCKETS_HANDSHAKES_REFUSED);
        stats.beforePublish(() -> {
            acc.setRelease(acceleratedConnections());
            fell.forEach((r, c) -> c.setRelease(fallbacks(r)));
            out.setRelease(bytesSent());
            in.setRelease(bytesReceived());
            refused.setRelease(handshakesRefused());
        });
        published = stats;
        final String last = lastError();
        if (last != null) {
            stats.recordError(new SocketLayerError(last + " (before the endpoint opened)"));
        }
    }

    /** {@return connection ends (connected or accepted) whose data went through shared memory} */
    public long acceleratedConnections() {
        return accelerated.sum();
    }

    /**
     * Counts the connection ends that stayed on TCP for one reason.
     *
     * @param reason a reason
     * @return connection ends that stayed on TCP for {@code reason}
     */
    public long fallbacks(final FallbackReason reason) {
        return fallbacks.get(reason).sum();
    }

    /** {@return bytes written to accelerated connections} */
    public long bytesSent() {
        return bytesSent.sum();
    }

    /** {@return bytes read from accelerated connections} */
    public long bytesReceived() {
        return bytesReceived.sum();
    }

    /** {@return hand-shakes a server refused (malformed, late, for another port)} */
    public long handshakesRefused() {
        return handshakesRefused.sum();
    }

    /** {@return the last error the layer met and fell back on, or {@code null}} */
    public String lastError() {
        return lastError.get();
    }

    /** {@return the counters as {@code key=value} lines (the report the agent writes at exit)} */
    public String report() {
        final StringBuilder b = new StringBuilder();
        b.append("accelerated=").append(acceleratedConnections()).append('\n');
        for (final FallbackReason r : FallbackReason.values()) {
            if (r != FallbackReason.ACCELERATED) {
                b.append("fallback.").append(r.name()).append('=').append(fallbacks(r)).append('\n');
            }
        }
        b.append("bytesSent=").append(bytesSent()).append('\n');
        b.append("bytesReceived=").append(bytesReceived()).append('\n');
        b.append("handshakesRefused=").append(handshakesRefused()).append('\n');
        // the layer's selectors: how their selects ended (at once, in the spin, after a block) and the
        // wake-ups programs asked for (each costs a blocked select a system call)
        b.append("selector.selects=").append(selects.sum()).append('\n');
        b.append("selector.immediate=").append(selectsImmediate.sum()).append('\n');
        b.append("selector.spun=").append(selectsSpun.sum()).append('\n');
        b.append("selector.blocks=").append(selectBlocks.sum()).append('\n');
        b.append("selector.wakeups=").append(selectorWakeups.sum()).append('\n');
        final String e = lastError();
        if (e != null) {
            b.append("lastError=").append(e.replace('\n', ' ')).append('\n');
        }
        return b.toString();
    }
}
