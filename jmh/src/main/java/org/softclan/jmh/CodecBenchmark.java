package org.softclan.jmh;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.Bytes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.softclan.vmmc.rpc.Codec;
import org.softclan.vmmc.rpc.Codecs;

/**
 * Encoding and decoding of the RPC {@link Codecs} on a direct Chronicle {@link Bytes} buffer, the
 * buffers the RPC layer marshals into. {@code codec} selects the value: {@code long} (a boxed
 * {@code Long}), {@code string} (32 ASCII characters), {@code bytes256} (a 256-byte array),
 * {@code list16} (a list of 16 {@code Long}s). {@code encode} clears the buffer and appends the value;
 * {@code decode} rewinds the buffer holding one encoded value and reads it back.
 *
 * <pre>
 * java -jar jmh/target/jmh.jar CodecBenchmark -rf json -rff target/jmh-codec.json
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(1)
@State(Scope.Thread)
public class CodecBenchmark {
    @Param({"long", "string", "bytes256", "list16"})
    String codec;

    private Codec<Object> c;
    private Object value;
    private Bytes<?> out;
    private Bytes<?> in;

    @SuppressWarnings("unchecked")
    @Setup(Level.Trial)
    public void setUp() {
        switch (codec) {
            case "long":
                c = (Codec<Object>) (Codec<?>) Codecs.LONG;
                value = 0x1234_5678_9ABCL;
                break;
            case "string":
                c = (Codec<Object>) (Codec<?>) Codecs.STRING;
                value = "abcdefghijklmnopqrstuvwxyz012345";
                break;
            case "bytes256": {
                c = (Codec<Object>) (Codec<?>) Codecs.BYTES;
                final byte[] b = new byte[256];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (byte) i;
                }
                value = b;
                break;
            }
            case "list16": {
                c = (Codec<Object>) (Codec<?>) Codecs.list(Codecs.LONG);
                final List<Long> l = new ArrayList<>();
                for (long i = 0; i < 16; i++) {
                    l.add(i * 1_000_003L);
                }
                value = l;
                break;
            }
            default:
                throw new IllegalArgumentException("unknown codec " + codec);
        }
        out = Bytes.allocateElasticDirect(1024);
        in = Bytes.allocateElasticDirect(1024);
        c.encode(value, in);
        final Object back = c.decode(in);
        if (!same(back, value)) {
            throw new IllegalStateException(codec + " did not round-trip: " + back);
        }
    }

    private static boolean same(final Object a, final Object b) {
        if (a instanceof byte[]) {
            return java.util.Arrays.equals((byte[]) a, (byte[]) b);
        }
        return a.equals(b);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.releaseLast();
        in.releaseLast();
    }

    @Benchmark
    public long encode() {
        out.clear();
        c.encode(value, out);
        return out.writePosition();
    }

    @Benchmark
    public Object decode() {
        in.readPosition(0);
        return c.decode(in);
    }
}
