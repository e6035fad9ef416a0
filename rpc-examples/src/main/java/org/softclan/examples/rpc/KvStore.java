package org.softclan.examples.rpc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The server's data: a sorted concurrent map, safe for handlers running on several worker threads.
 * Not final, so tests can serve a faulty store and see the client catch it.
 */
public class KvStore {
    /**
     * The most a scan returns, in (estimated) encoded bytes: well under the 2 MiB the RPC client's default
     * receive ring carries in one response.
     */
    public static final long MAX_SCAN_BYTES = 1L << 20;

    private final ConcurrentSkipListMap<String, String> map = new ConcurrentSkipListMap<>();

    /** @return the previous value of {@code key}, or null */
    public String put(final String key, final String value) {
        requireKey("put", key);
        if (value == null) {
            throw new IllegalArgumentException("put of key " + KvService.quote(key) + ": the value is null");
        }
        return map.put(key, value);
    }

    /** @return the value of {@code key}, or null */
    public String get(final String key) {
        requireKey("get", key);
        return map.get(key);
    }

    /** @return whether {@code key} was there */
    public boolean delete(final String key) {
        requireKey("delete", key);
        return map.remove(key) != null;
    }

    /** @return the entries whose keys start with {@code prefix}, in key order */
    public List<KvEntry> scan(final String prefix) {
        requireKey("scan", prefix);
        final List<KvEntry> out = new ArrayList<>();
        long bytes = 4;
        for (final Map.Entry<String, String> e : map.tailMap(prefix).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            bytes += 10 + 3L * (e.getKey().length() + e.getValue().length());
            if (bytes > MAX_SCAN_BYTES) {
                throw new IllegalStateException("scan of prefix " + KvService.quote(prefix) + " matches more than "
                    + MAX_SCAN_BYTES + " bytes of entries; use a longer prefix");
            }
            out.add(new KvEntry(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** @return the number of keys */
    public int size() {
        return map.size();
    }

    private static void requireKey(final String call, final String key) {
        if (key == null) {
            throw new IllegalArgumentException(call + ": the key is null");
        }
    }
}
