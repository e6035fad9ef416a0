package org.softclan.examples.rpc;

import java.util.List;

import net.openhft.chronicle.bytes.Bytes;
import org.softclan.vmmc.rpc.Codec;
import org.softclan.vmmc.rpc.Codecs;
import org.softclan.vmmc.rpc.RpcMethod;

/**
 * The key-value service's methods, shared by {@link KvServer} and {@link KvClient}. Keys and values are
 * strings; a key must not be null, a value must not be null (the server answers a null with a handler
 * error, which reaches the caller as an {@link org.softclan.vmmc.rpc.RpcException}).
 */
public final class KvService {
    /** The service name the server listens on unless told otherwise. */
    public static final String DEFAULT_NAME = "kv";

    /** A boolean as one byte. */
    public static final Codec<Boolean> BOOLEAN = new Codec<>() {
        @Override
        public void encode(final Boolean value, final Bytes<?> out) {
            out.writeByte((byte) (value ? 1 : 0));
        }

        @Override
        public Boolean decode(final Bytes<?> in) {
            return in.readByte() != 0;
        }
    };

    /** put(key, value): stores the value; returns the previous value, or null if the key was absent. */
    public static final RpcMethod<KvEntry, String> PUT = RpcMethod.of(1, "put", KvEntry.CODEC, Codecs.STRING);
    /** get(key): the value, or null if the key is absent. */
    public static final RpcMethod<String, String> GET = RpcMethod.of(2, "get", Codecs.STRING, Codecs.STRING);
    /** delete(key): removes the key; returns whether it was there. */
    public static final RpcMethod<String, Boolean> DELETE = RpcMethod.of(3, "delete", Codecs.STRING, BOOLEAN);
    /**
     * scan(prefix): every entry whose key starts with the prefix, in key order (one call, many results;
     * at most {@link KvStore#MAX_SCAN_BYTES} of them, else the call fails and names the limit).
     */
    public static final RpcMethod<String, List<KvEntry>> SCAN = RpcMethod.of(4, "scan", Codecs.STRING,
        Codecs.list(KvEntry.CODEC));

    private KvService() {
    }

    /** @return a string in double quotes, shortened if long, or {@code null} */
    static String quote(final String s) {
        if (s == null) {
            return "null";
        }
        return s.length() <= 60 ? '"' + s + '"' : '"' + s.substring(0, 57) + "...\" (" + s.length() + " chars)";
    }
}
