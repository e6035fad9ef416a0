package org.softclan.examples.rpc;

import net.openhft.chronicle.bytes.Bytes;
import org.softclan.vmmc.rpc.Codec;
import org.softclan.vmmc.rpc.Codecs;

/**
 * One key and its value: the argument of {@link KvService#PUT} and an element of a
 * {@link KvService#SCAN} result.
 *
 * @param key   the key
 * @param value its value
 */
public record KvEntry(String key, String value) {
    /** The key, then the value, each as {@link Codecs#STRING} (UTF-8; null allowed on the wire). */
    public static final Codec<KvEntry> CODEC = new Codec<>() {
        @Override
        public void encode(final KvEntry entry, final Bytes<?> out) {
            Codecs.STRING.encode(entry.key(), out);
            Codecs.STRING.encode(entry.value(), out);
        }

        @Override
        public KvEntry decode(final Bytes<?> in) {
            final String key = Codecs.STRING.decode(in);
            return new KvEntry(key, Codecs.STRING.decode(in));
        }
    };

    @Override
    public String toString() {
        return KvService.quote(key) + "=" + KvService.quote(value);
    }
}
