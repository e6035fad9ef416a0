package org.softclan.tripwire;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * How a thread waits for something a tripwire signals: from never waiting ({@link #poll()}) to
 * blocking in the kernel until a writer in another process wakes it ({@link #block()}). Every wait
 * takes a timeout and returns whether the condition held.
 *
 * <p>The default, {@link #competitive()}, spins briefly, then blocks. Competitive waiting (Damianakis's
 * thesis; Karlin et al.'s analysis of spinning locks): a waiter that spins for what a block-and-wake costs,
 * then blocks, spends at most twice what the better of pure polling and pure blocking would have, whatever
 * the arrival pattern. Measured ({@code vmmc bench waiting}: two JVMs, gaps of 1 us to 10 ms, fixed and
 * exponential; the cost of a message is the waiter's CPU time plus its latency): on a 2-CPU VM the default
 * 10-us spin stayed within 1.8x of the better pure strategy at every gap, while a spin as long as the
 * block-and-wake cost measured at a 1-ms gap (70-90 us) cost 2.5-3.3x at gaps of 100-300 us: there a
 * block-and-wake costs 30-65 us (it grows with the time the CPU was idle: 190-255 us after 10 ms), so
 * the analysis's fixed block cost does not hold, and a short spin is the better default.
 *
 * <p>Every strategy made here has a {@linkplain #name() name} that {@link #named(String)} turns back into
 * it, so a command line or a configuration file can choose one: {@code poll}, {@code busy-spin},
 * {@code yield[:SPIN_NS]}, {@code park[:MIN_NS:MAX_NS]}, {@code block}, {@code competitive[:SPIN_NS]}.
 */
@FunctionalInterface
public interface WaitStrategy {
    /**
     * Spin time of {@link #competitive()}: 10 us, chosen by measurement ({@code vmmc bench waiting}; see the
     * class comment): shorter than a block-and-wake (30-255 us between two JVMs on a 2-CPU VM, CPU time plus
     * wake latency), and within 1.8x of the better pure strategy at every gap measured.
     */
    long DEFAULT_SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(10);
    /** Spinning strategies read the clock once per this many checks, plus one (a power of two, minus one). */
    int CLOCK_STRIDE_MASK = 63;

    /**
     * Waits until {@code ready} holds or the timeout passes.
     *
     * @param ready        the condition, re-checked after every wake-up
     * @param bell         the event queue whose doorbell writers ring (for blocking strategies)
     * @param timeoutNanos how long to wait at most
     * @return whether {@code ready} held
     */
    boolean await(BooleanSupplier ready, EventQueue bell, long timeoutNanos);

    /**
     * {@return the strategy's name, which {@link #named(String)} accepts; {@code "custom"} for a strategy
     * made outside this interface}
     */
    default String name() {
        return "custom";
    }

    /**
     * The strategy a name gives (the names are in the class comment; {@code busy} and {@code spin} are
     * accepted for {@code busy-spin}). Case does not matter; times are in ns.
     *
     * @param spec the name, e.g. {@code competitive}, {@code competitive:20000}, {@code park:1000:100000}
     * @return the strategy, whose {@link #name()} is the canonical form of {@code spec}
     * @throws IllegalArgumentException naming the choices if {@code spec} names no strategy or its times
     *                                  are not numbers or out of range
     */
    static WaitStrategy named(final String spec) {
        final String[] p = spec.trim().toLowerCase(java.util.Locale.ROOT).split(":", -1);
        try {
            switch (p[0]) {
                case "poll":
                    if (p.length == 1) {
                        return poll();
                    }
                    break;
                case "busy-spin":
                case "busy":
                case "spin":
                    if (p.length == 1) {
                        return busySpin();
                    }
                    break;
                case "yield":
                    if (p.length <= 2) {
                        return spinThenYield(p.length == 1 ? DEFAULT_SPIN_NANOS : nanos(p[1]));
                    }
                    break;
                case "park":
                    if (p.length == 1) {
                        return parkWithBackoff(1_000, 100_000);
                    }
                    if (p.length == 3) {
                        return parkWithBackoff(nanos(p[1]), nanos(p[2]));
                    }
                    break;
                case "block":
                    if (p.length == 1) {
                        return block();
                    }
                    break;
                case "competitive":
                    if (p.length <= 2) {
                        return competitive(p.length == 1 ? DEFAULT_SPIN_NANOS : nanos(p[1]));
                    }
                    break;
                default:
                    break;
            }
        } catch (final IllegalArgumentException e) {   // a time that is no number, or out of the factory's range
            throw new IllegalArgumentException("wait strategy '" + spec + "': " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("no wait strategy '" + spec + "'; choose poll, busy-spin, yield[:SPIN_NS],"
            + " park[:MIN_NS:MAX_NS], block or competitive[:SPIN_NS]");
    }

    private static long nanos(final String text) {
        final long n = Long.parseLong(text);
        if (n < 0) {
            throw new NumberFormatException(n + " ns is negative");
        }
        return n;
    }

    /**
     * Gives a strategy a name.
     *
     * @param name     what {@link #name()} returns
     * @param strategy the strategy
     * @return a strategy that waits as {@code strategy} does and is called {@code name}
     */
    private static WaitStrategy withName(final String name, final WaitStrategy strategy) {
        return new NamedWaitStrategy(name, strategy);
    }

    /** {@return a strategy that checks once, never waits} */
    static WaitStrategy poll() {
        return withName("poll", (ready, bell, timeout) -> ready.getAsBoolean());
    }

    /** {@return a strategy that spins on the condition (lowest latency; burns a core)} */
    static WaitStrategy busySpin() {
        return withName("busy-spin", (ready, bell, timeout) -> {
            if (ready.getAsBoolean()) {
                return true;
            }
            // the clock is read once per CLOCK_STRIDE checks: a read costs as much as several checks
            // (tens of nanoseconds under a hypervisor) and would delay noticing the condition
            final long deadline = System.nanoTime() + timeout;
            int spins = 0;
            while (true) {
                Thread.onSpinWait();
                if (ready.getAsBoolean()) {
                    return true;
                }
                if ((++spins & CLOCK_STRIDE_MASK) == 0 && System.nanoTime() - deadline >= 0) {
                    return ready.getAsBoolean();
                }
            }
        });
    }

    /**
     * A strategy that spins, then yields.
     *
     * @param spinNanos how long to spin before yielding, in ns, counted from the start of each wait
     * @return spins for {@code spinNanos}, then yields the CPU between checks
     */
    static WaitStrategy spinThenYield(final long spinNanos) {
        return withName(spinNanos == DEFAULT_SPIN_NANOS ? "yield" : "yield:" + spinNanos, (ready, bell, timeout) -> {
            final long start = System.nanoTime();
            final long deadline = start + timeout;
            while (true) {
                if (ready.getAsBoolean()) {
                    return true;
                }
                final long now = System.nanoTime();
                if (now - deadline >= 0) {
                    return false;
                }
                if (now - start < spinNanos) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        });
    }

    /**
     * A strategy that parks the thread for longer and longer.
     *
     * @param minNanos the first park, in ns; at least 1
     * @param maxNanos the longest park, in ns, at least {@code minNanos}; no park outlasts the time left
     *                 before the timeout
     * @return parks between checks, doubling the park from {@code minNanos} up to {@code maxNanos}
     * @throws IllegalArgumentException if {@code minNanos < 1} (a park of 0 would never back off: the
     *                                  strategy would spin on {@code parkNanos(0)}) or
     *                                  {@code maxNanos < minNanos}
     */
    static WaitStrategy parkWithBackoff(final long minNanos, final long maxNanos) {
        if (minNanos < 1 || maxNanos < minNanos) {
            throw new IllegalArgumentException("parkWithBackoff(" + minNanos + ", " + maxNanos + "): the first park"
                + " must be at least 1 ns and the longest at least the first");
        }
        final String name = minNanos == 1_000 && maxNanos == 100_000 ? "park" : "park:" + minNanos + ":" + maxNanos;
        return withName(name, (ready, bell, timeout) -> {
            final long deadline = System.nanoTime() + timeout;
            long park = minNanos;
            while (true) {
                if (ready.getAsBoolean()) {
                    return true;
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(Math.min(park, left));
                park = Math.min(maxNanos, park * 2);
            }
        });
    }

    /**
     * {@return a strategy that blocks in the kernel (futex on the queue's doorbell); uses no CPU while
     * waiting}
     */
    static WaitStrategy block() {
        return withName("block", (ready, bell, timeout) -> ready.getAsBoolean() || bell.block(ready, timeout));
    }

    /**
     * A strategy that spins, then blocks in the kernel.
     *
     * @param spinNanos how long to spin before blocking, in ns (at most the timeout); the analysis says one
     *                  block-and-wake, the measurement a shorter spin ({@link #DEFAULT_SPIN_NANOS})
     * @return spins for {@code spinNanos}, then blocks
     */
    static WaitStrategy competitive(final long spinNanos) {
        final String name = spinNanos == DEFAULT_SPIN_NANOS ? "competitive" : "competitive:" + spinNanos;
        return withName(name, (ready, bell, timeout) -> {
            final long start = System.nanoTime();
            do {
                if (ready.getAsBoolean()) {
                    return true;
                }
                Thread.onSpinWait();
            } while (System.nanoTime() - start < Math.min(spinNanos, timeout));
            final long left = timeout - (System.nanoTime() - start);
            return ready.getAsBoolean() || left > 0 && bell.block(ready, left);
        });
    }

    /** {@return {@link #competitive(long)} with {@link #DEFAULT_SPIN_NANOS}} */
    static WaitStrategy competitive() {
        return competitive(DEFAULT_SPIN_NANOS);
    }
}
