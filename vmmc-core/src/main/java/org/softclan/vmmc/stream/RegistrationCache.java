package org.softclan.vmmc.stream;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import net.openhft.chronicle.core.Jvm;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.RegisteredMemory;

/**
 * The registration cache of {@link SendTechnique#V2P_DMA}, the analogue of a pin-down cache: a
 * bounded LRU of registrations of callers' buffers, keyed by the memory's identity (a direct buffer's
 * address and capacity; a heap buffer's array). A hit sends with no registration; a miss registers the
 * buffer's whole memory; when full, the least recently used registration is evicted (deregistered,
 * which waits for DMA transfers still reading it). A registration keeps its buffer reachable, so the
 * memory of a cached direct buffer is never freed and its address never reused while cached.
 */
public final class RegistrationCache implements AutoCloseable {
    /** Registrations a stream's cache keeps by default. */
    public static final int DEFAULT_CAPACITY = 64;

    private record Key(byte[] array, long address, long capacity) {
    }

    private final Endpoint endpoint;
    private final int capacity;
    private final LinkedHashMap<Key, RegisteredMemory> map = new LinkedHashMap<>(16, 0.75f, true);
    private long hits;
    private long misses;
    private long evictions;
    private boolean closed;

    RegistrationCache(final Endpoint endpoint, final int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("registration cache capacity " + capacity + " must be at least 1");
        }
        this.endpoint = endpoint;
        this.capacity = capacity;
    }

    /**
     * @return the registration covering {@code buffer}'s memory (offset 0 = its index 0 for a direct
     *         buffer, its array's element 0 for a heap buffer), or {@code null} if it cannot be
     *         registered (a read-only heap buffer)
     */
    synchronized RegisteredMemory lookup(final ByteBuffer buffer) {
        if (closed) {
            throw new org.softclan.dsm.ClosedException("registration cache of " + endpoint + " is closed");
        }
        final Key key;
        if (buffer.isDirect()) {
            key = new Key(null, Jvm.address(buffer), buffer.capacity());
        } else if (buffer.hasArray()) {
            key = new Key(buffer.array(), 0, buffer.array().length);
        } else {
            return null;
        }
        RegisteredMemory m = map.get(key);
        if (m != null) {
            hits++;
            return m;
        }
        misses++;
        m = key.array != null ? endpoint.registerHeap(key.array) : endpoint.register(buffer);
        map.put(key, m);
        if (map.size() > capacity) {
            final Iterator<Map.Entry<Key, RegisteredMemory>> eldest = map.entrySet().iterator();
            final RegisteredMemory out = eldest.next().getValue();
            eldest.remove();
            evictions++;
            out.close();   // waits for transfers still reading it
        }
        return m;
    }

    /** @return the offset of {@code buffer}'s position in the registration {@link #lookup} returned */
    static long offsetOf(final ByteBuffer buffer) {
        return buffer.isDirect() ? buffer.position() : (long) buffer.arrayOffset() + buffer.position();
    }

    /** {@return the number of lookups that found a registration} */
    public synchronized long hits() {
        return hits;
    }

    /** {@return the number of lookups that registered the buffer} */
    public synchronized long misses() {
        return misses;
    }

    /** {@return the number of registrations dropped to make room} */
    public synchronized long evictions() {
        return evictions;
    }

    /** {@return the number of registrations held now} */
    public synchronized int size() {
        return map.size();
    }

    /** {@return the most registrations held} */
    public int capacity() {
        return capacity;
    }

    /** Deregisters everything (waiting for transfers in flight). Idempotent. */
    @Override
    public void close() {
        final ArrayList<RegisteredMemory> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(map.values());
            map.clear();
        }
        for (final RegisteredMemory m : all) {
            m.close();
        }
    }

    @Override
    public synchronized String toString() {
        return "registration cache: " + map.size() + "/" + capacity + " held, " + hits + " hits, " + misses
            + " misses, " + evictions + " evictions";
    }
}
