package org.softclan.bench.peers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.core.Jvm;
import org.agrona.CloseHelper;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.SharedMemory;
import org.softclan.tripwire.EventHandler;
import org.softclan.tripwire.EventQueue;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.tripwire.os.Futex;

/**
 * Ping-pong through shared mappings, no queue: {@code raw} (the floor), then the Tripwire unit with each
 * of its wait strategies ({@code tripwire-spin}, {@code tripwire-block}, {@code tripwire-yield},
 * {@code tripwire-competitive}, {@code tripwire-park}).
 *
 * <p>The client creates a temporary fabric and exports region {@code to-client}; the echo side exports
 * {@code to-echo}; each imports the other's. Each region holds one 8-byte word at offset 0 (on its own
 * cache line) and the payload from offset {@value #PAYLOAD}. A side sends by copying the payload into the
 * peer's region ({@link OutboundMapping#put(long, byte[], int, int)}) and then storing the sequence number
 * into the peer's word ({@link OutboundMapping#putLongOrdered}, a release store, so the payload is
 * visible before the word). It receives by waiting for its own word to change, then copying the payload
 * out of its own memory.
 *
 * <ul>
 *   <li>{@code raw}: the waiter spins on its word with a volatile load.</li>
 *   <li>{@code tripwire-spin}: each side arms a persistent EVENT {@link Tripwire} on its word; the waiter
 *       waits on its unit's {@link EventQueue} with {@link WaitStrategy#busySpin()}, then polls the event
 *       (whose value must be the sequence number).</li>
 *   <li>{@code tripwire-block}: the same with {@link WaitStrategy#block()} (a futex on the queue's
 *       doorbell): each round trip is two kernel wake-ups. {@code futex} is its floor.</li>
 *   <li>{@code futex}: no tripwire and no queue: the waiter waits with a bare {@link Futex} on its word's
 *       low 32 bits (which change every round trip), and the sender wakes it after its store, so a round
 *       trip is two kernel wake-ups at best. Where the futex is unavailable {@link Futex} parks in
 *       slices instead, and the description says so.</li>
 *   <li>{@code tripwire-yield}, {@code tripwire-competitive}, {@code tripwire-park}: the same with the
 *       other strategies, {@link WaitStrategy#spinThenYield spinThenYield} and
 *       {@link WaitStrategy#competitive() competitive} (the library's default) with
 *       {@link WaitStrategy#DEFAULT_SPIN_NANOS}, {@link WaitStrategy#parkWithBackoff parkWithBackoff} from
 *       1 to 100 µs. {@link Transports#more()}: run only when named.</li>
 * </ul>
 *
 * <p>One way, {@code raw} alone: a {@link RawRing} of {@link Config#ringBytes()} in a region the receiver
 * exports and the sender imports; the sender copies each message in, the receiver copies out, both spin.
 */
final class SharedMemoryTransport extends PeerTransport {
    /** Offset of the payload in each region: the word has the first cache line to itself. */
    static final long PAYLOAD = 64;
    /** Offset of the sequence-number word in each region. */
    static final long WORD = 0;
    /** Offset of the futex of {@code futex}: the low 32 bits of the word. */
    static final long WORD_LOW_HALF = WORD + (java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN ? 0 : 4);

    /** How a side waits for its word. */
    enum Mode {
        RAW("raw", null, false, "shared mapping, each side spins on its word (volatile load): the floor"),
        TRIPWIRE_SPIN("tripwire-spin", WaitStrategy.busySpin(), false,
            "shared mapping, EVENT tripwire on the word, WaitStrategy.busySpin()"),
        TRIPWIRE_BLOCK("tripwire-block", WaitStrategy.block(), true,
            "shared mapping, EVENT tripwire on the word, WaitStrategy.block()"),
        TRIPWIRE_YIELD("tripwire-yield", WaitStrategy.spinThenYield(WaitStrategy.DEFAULT_SPIN_NANOS), false,
            "shared mapping, EVENT tripwire on the word, WaitStrategy.spinThenYield(10 us)"),
        TRIPWIRE_COMPETITIVE("tripwire-competitive", WaitStrategy.competitive(), true,
            "shared mapping, EVENT tripwire on the word, WaitStrategy.competitive(): spin 10 us, then block"),
        TRIPWIRE_PARK("tripwire-park", WaitStrategy.parkWithBackoff(1_000, 100_000), true,
            "shared mapping, EVENT tripwire on the word, WaitStrategy.parkWithBackoff(1 us, 100 us)"),
        FUTEX("futex", null, true, "shared mapping, no tripwire: bare futex wait on the word / store + futex wake"
            + (Futex.isAvailable() ? "" : " (" + Futex.describe() + ")"));

        final String label;
        /** How the waiter waits on its event queue; null for {@code raw} and {@code futex}, which use none. */
        final WaitStrategy strategy;
        final boolean slow;
        final String description;

        Mode(final String label, final WaitStrategy strategy, final boolean slow, final String description) {
            this.label = label;
            this.strategy = strategy;
            this.slow = slow;
            this.description = description;
        }
    }

    private final Mode mode;

    SharedMemoryTransport(final Mode mode) {
        super(mode.label, mode.description, mode.slow, mode == Mode.RAW);
        this.mode = mode;
    }

    static long regionSize(final int size) {
        final long bytes = PAYLOAD + size;
        return (bytes + 4095) & ~4095L;
    }

    @Override
    protected Link link(final int size, final boolean client) {
        return new SharedLink(mode, size, client);
    }

    @Override
    public Receiver receiver(final Config c, final Rig rig, final Map<String, String> toSender) {
        final long bytes = RawRing.regionBytes(c.ringBytes());
        final String region = "tp-raw-" + rig.nextId();
        final InboundMapping in = rig.endpoint().export(region, bytes);
        toSender.put("region", region);
        return new Receiver() {
            private RawRing ring;

            @Override
            public void start(final Liveness peer) {
                ring = new RawRing(SharedMemory.of(in, 0, bytes), c.ringBytes(), peer);
            }

            @Override
            public int read(final ByteBuffer dst) throws IOException {
                final int n = ring.read(Jvm.address(dst) + dst.position(), dst.remaining());
                if (n > 0) {
                    dst.position(dst.position() + n);
                }
                return n;
            }

            @Override
            public void abort() {
                if (ring != null) {
                    ring.abort();
                }
            }

            @Override
            public void close() {
                in.close();
            }
        };
    }

    @Override
    public Sender sender(final Config c, final Rig rig, final Map<String, String> fromReceiver, final int slots) {
        final String region = fromReceiver.get("region");
        final OutboundMapping out = rig.endpoint().importRegion(region);
        final RawRing ring = new RawRing(SharedMemory.of(out, 0, RawRing.regionBytes(c.ringBytes())), c.ringBytes(), () -> {
            if (!out.ownerAlive()) {
                throw new IOException("the receiver of region " + region + " is gone");
            }
        });
        return new SlotSender(slots, c.size()) {
            @Override
            public void send(final int slot, final int size) throws IOException {
                ring.write(Jvm.address(buffers[slot]), size);
            }

            @Override
            public void finish() {
                ring.finish();
            }

            @Override
            public void close() {
                out.close();
            }
        };
    }

    // ----------------------------------------------------------------------------------- waiting

    /** Waits for this side's word to take a new value. */
    interface Waiter extends AutoCloseable {
        /**
         * @return the word's new value (not {@code previous}), or {@code previous} if none came within
         *         {@code timeoutNanos}
         */
        long await(long previous, long timeoutNanos);

        /** Releases what the waiter armed; nothing by default. */
        @Override
        default void close() {
        }
    }

    /** Waits with a bare futex on the word's low half until the word changes. */
    static final class FutexWaiter implements Waiter {
        private final InboundMapping in;
        private final long address;

        FutexWaiter(final InboundMapping in) {
            this.in = in;
            this.address = in.address(WORD_LOW_HALF, 4);
        }

        @Override
        public long await(final long previous, final long timeoutNanos) {
            final long deadline = System.nanoTime() + timeoutNanos;
            long v;
            while ((v = in.getLongAcquire(WORD)) == previous) {
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return previous;
                }
                Futex.wait(address, (int) previous, left);
            }
            return v;
        }
    }

    /** Spins on the word with a volatile load. */
    static final class SpinWaiter implements Waiter {
        private final InboundMapping in;

        SpinWaiter(final InboundMapping in) {
            this.in = in;
        }

        @Override
        public long await(final long previous, final long timeoutNanos) {
            final long deadline = System.nanoTime() + timeoutNanos;
            int spins = 0;
            long v;
            while ((v = in.getLongAcquire(WORD)) == previous) {
                Thread.onSpinWait();
                if ((++spins & 0xFFF) == 0 && System.nanoTime() - deadline > 0) {
                    return previous;
                }
            }
            return v;
        }
    }

    /** Keeps the value and offset of the last event polled. */
    static final class LastEvent implements EventHandler {
        long offset;
        long value;

        @Override
        public void onEvent(final long sequence, final long tripwireId, final long cookie, final int regionId,
                            final long off, final long length, final long v) {
            this.offset = off;
            this.value = v;
        }
    }

    /** A persistent EVENT tripwire on the word; waits on the event queue with a strategy, then polls. */
    static final class TripwireWaiter implements Waiter {
        private final EventQueue events;
        private final WaitStrategy strategy;
        private final Tripwire tripwire;
        private final LastEvent last = new LastEvent();

        TripwireWaiter(final TripwireUnit unit, final InboundMapping in, final WaitStrategy strategy) {
            this.events = unit.events();
            this.strategy = strategy;
            this.tripwire = unit.arm(in, Tripwire.Options.word(WORD).persistent().actions(Tripwire.EVENT));
        }

        @Override
        public long await(final long previous, final long timeoutNanos) {
            // the event is often there already: no clock read on that path
            return events.poll(last, 1) != 0 ? polled() : awaitSlow(previous, timeoutNanos);
        }

        private long awaitSlow(final long previous, final long timeoutNanos) {
            final long deadline = System.nanoTime() + timeoutNanos;
            while (events.poll(last, 1) == 0) {
                final long left = deadline - System.nanoTime();
                if (left <= 0 || !events.await(strategy, left, TimeUnit.NANOSECONDS) && !events.hasEvent()) {
                    return previous;
                }
            }
            return polled();
        }

        private long polled() {
            if (last.offset != WORD) {
                throw new IllegalStateException("tripwire event at offset " + last.offset + ", expected " + WORD);
            }
            return last.value;
        }

        @Override
        public void close() {
            tripwire.disarm();
        }
    }

    // --------------------------------------------------------------------------------- both sides

    /**
     * One side of a round trip: exports its own region ({@code to-client} or {@code to-echo}), imports the
     * peer's; sends by copying the payload into the peer's region and publishing the sequence number in
     * its word, receives by waiting for its own word to change and copying the payload out.
     */
    static final class SharedLink extends Link {
        private final Mode mode;
        private final boolean client;
        private InboundMapping in;
        private OutboundMapping out;
        private TripwireUnit unit;
        private Waiter waiter;
        /** Where {@code futex} wakes the peer (its word's low half, through {@code out}); else 0. */
        private long wakeAddress;
        /** The last value of this side's word. */
        private long last;

        SharedLink(final Mode mode, final int size, final boolean client) {
            super(mode.label, size, false);
            this.mode = mode;
            this.client = client;
        }

        @Override
        public Map<String, String> prepare() {
            final Map<String, String> params = createFabric();
            in = endpoint.export("to-client", regionSize(size));
            return params;
        }

        @Override
        public void connect(final Map<String, String> echoParams) {
            importPeer("to-echo");
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) {
            attachFabric(clientParams);
            in = endpoint.export("to-echo", regionSize(size));
            // armed before saying ready: the client's first store into the word fires it
            importPeer("to-client");
            return Map.of();
        }

        private void importPeer(final String region) {
            out = endpoint.importRegion(region);
            if (mode == Mode.RAW) {
                waiter = new SpinWaiter(in);
            } else if (mode == Mode.FUTEX) {
                wakeAddress = out.address(WORD_LOW_HALF, 4);
                waiter = new FutexWaiter(in);
            } else {
                unit = TripwireUnit.open(endpoint);
                waiter = new TripwireWaiter(unit, in, mode.strategy);
            }
        }

        /**
         * Copies the payload into the peer's region, stores {@code seq} into its word (release), and for
         * {@code futex} wakes the peer's waiter.
         */
        @Override
        protected void send(final long seq) {
            out.put(PAYLOAD, message.array(), 0, size);
            out.putLongRelease(WORD, seq);
            if (mode == Mode.FUTEX) {
                Futex.wake(wakeAddress, 1);
            }
        }

        @Override
        protected boolean receive(final long timeoutNanos) {
            final long v = waiter.await(last, timeoutNanos);
            if (v == last) {
                return false;
            }
            in.get(PAYLOAD, message.array(), 0, size);
            if (!client && Payload.check(message, size) != v) {
                throw new IllegalStateException("echo: word says " + v + " but the payload says "
                    + Payload.check(message, size));
            }
            last = v;
            return true;
        }

        @Override
        public void disconnect() {
            CloseHelper.closeAll(waiter, unit, out);
            waiter = null;
            unit = null;
            out = null;
        }
    }
}
