package org.softclan.bench.peers;

import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.os.Futex;

/**
 * {@code futex}: {@code raw}'s ping-pong with the spin replaced by a bare {@link Futex}, no tripwire and
 * no queue. {@code tripwire-block}'s waiter blocks on a futex too (its event queue's doorbell), so this
 * is what a blocking round trip between two processes costs at best: the floor of {@code tripwire-block}
 * as {@code raw} is the floor of {@code tripwire-spin}.
 *
 * <p>Regions, payload and word are {@link SharedMemoryTransport}'s ({@code to-client}, {@code to-echo},
 * the word at offset 0, the payload from {@value SharedMemoryTransport#PAYLOAD}). A side sends by copying
 * the payload into the peer's region, storing the sequence number into the peer's word
 * ({@link OutboundMapping#putLongOrdered}) and calling {@link Futex#wake} on it (address from its
 * outbound mapping). It receives by {@link Futex#wait}ing on its own word (address from its inbound
 * mapping; the futex is the word's low 32 bits, which change every round trip) until the word holds a
 * new value, then copying the payload out of its own memory. No spinning and no waiter flag: every
 * send makes the wake system call and every receive (nearly always) the wait, so a round trip is two
 * kernel wake-ups. Where the futex is unavailable {@link Futex} parks in slices instead, and the
 * description says so.
 */
final class FutexTransport implements PeerTransport {
    /** Offset of the futex, the low 32 bits of the 8-byte word at {@link SharedMemoryTransport#WORD}. */
    static final long LOW_HALF = SharedMemoryTransport.WORD
        + (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 0 : 4);
    private static final long PAYLOAD = SharedMemoryTransport.PAYLOAD;
    private static final long IDLE_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    @Override
    public String name() {
        return "futex";
    }

    @Override
    public String description() {
        return "shared mapping, no tripwire: bare futex wait on the word / store + futex wake"
            + (Futex.isAvailable() ? "" : " (" + Futex.describe() + ")");
    }

    @Override
    public boolean slow() {
        return true;
    }

    @Override
    public Client client(final int size) {
        return new FutexClient(size);
    }

    @Override
    public Echo echo(final int size) {
        return new FutexEcho(size);
    }

    /** Copies the payload into the peer's region, stores {@code seq} into its word and wakes it. */
    static void send(final OutboundMapping out, final long wakeAddress, final byte[] payload, final int size,
                     final long seq) {
        out.put(PAYLOAD, payload, 0, size);
        out.putLongOrdered(SharedMemoryTransport.WORD, seq);
        Futex.wake(wakeAddress, 1);
    }

    /**
     * @return the word's new value (not {@code previous}), or {@code previous} if none came within
     *         {@code timeoutNanos}
     */
    static long await(final InboundMapping in, final long waitAddress, final long previous, final long timeoutNanos) {
        final long deadline = System.nanoTime() + timeoutNanos;
        long v;
        while ((v = in.getLongVolatile(SharedMemoryTransport.WORD)) == previous) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                return previous;
            }
            Futex.wait(waitAddress, (int) previous, left);
        }
        return v;
    }

    static final class FutexClient extends FabricClient {
        private final int size;
        private final byte[] request;
        private final byte[] response;
        private InboundMapping in;
        private OutboundMapping out;
        private long waitAddress;
        private long wakeAddress;

        FutexClient(final int size) {
            this.size = size;
            this.request = Payload.filled(size);
            this.response = new byte[size];
        }

        @Override
        public Map<String, String> prepare() {
            final Map<String, String> params = super.prepare();
            in = endpoint.export("to-client", SharedMemoryTransport.regionSize(size));
            waitAddress = in.address(LOW_HALF, 4);
            return params;
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            out = endpoint.importRegion("to-echo");
            wakeAddress = out.address(LOW_HALF, 4);
        }

        @Override
        public void roundTrip(final long seq, final long timeoutNanos) {
            Payload.stamp(request, size, seq);
            send(out, wakeAddress, request, size, seq);
            final long got = await(in, waitAddress, seq - 1, timeoutNanos);
            if (got != seq) {
                throw new IllegalStateException("futex: round trip " + seq + (got == seq - 1
                    ? " got no answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"
                    : " answered with sequence number " + got));
            }
            in.get(PAYLOAD, response, 0, size);
            Payload.expect(response, size, seq);
        }

        @Override
        public void disconnect() {
            if (out != null) {
                out.close();
                out = null;
            }
        }
    }

    static final class FutexEcho extends FabricEcho {
        private final int size;
        private final byte[] buffer;
        private InboundMapping in;
        private OutboundMapping out;
        private long waitAddress;
        private long wakeAddress;

        FutexEcho(final int size) {
            this.size = size;
            this.buffer = new byte[size];
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            attach(clientParams);
            in = endpoint.export("to-echo", SharedMemoryTransport.regionSize(size));
            out = endpoint.importRegion("to-client");
            waitAddress = in.address(LOW_HALF, 4);
            wakeAddress = out.address(LOW_HALF, 4);
            return Map.of();
        }

        @Override
        public long run(final BooleanSupplier stop) {
            final Payload.Sequence sequence = new Payload.Sequence();
            long last = 0;
            while (!stop.getAsBoolean()) {
                final long v = await(in, waitAddress, last, IDLE_SLICE_NANOS);
                if (v == last) {
                    continue;
                }
                in.get(PAYLOAD, buffer, 0, size);
                final long seq = Payload.check(buffer, size);
                if (seq != v) {
                    throw new IllegalStateException("echo: word says " + v + " but the payload says " + seq);
                }
                sequence.next(seq);
                send(out, wakeAddress, buffer, size, seq);
                last = v;
            }
            return sequence.count();
        }

        @Override
        public void close() {
            if (out != null) {
                out.close();
            }
            detach();
        }
    }
}
