package org.softclan.sockets;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The layer's counters for one process: connections made accelerated and fallen back (by reason), bytes
 * moved through shared memory each way, refused hand-shakes, and the last error met. Updated without
 * locks; read at any time (each value is a sum at the time of reading).
 */
public final class SocketLayerStats {
    private final LongAdder accelerated = new LongAdder();
    private final Map<FallbackReason, LongAdder> fallbacks = new EnumMap<>(FallbackReason.class);
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();
    private final LongAdder handshakesRefused = new LongAdder();
    private final AtomicReference<String> lastError = new AtomicReference<>();
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
