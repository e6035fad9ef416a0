package org.softclan.tripwire.os;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;

import java.util.concurrent.locks.LockSupport;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * Blocking and waking on a 32-bit word of shared memory, across processes: Linux {@code futex(2)}
 * ({@code FUTEX_WAIT} / {@code FUTEX_WAKE}) on a word inside a {@code MAP_SHARED} file mapping, such
 * as a region of a {@code dsm} fabric. The kernel keys such a futex by file and offset, so every
 * process that maps the file reaches the same wait queue, whatever address it is mapped at. The
 * private (single-process) futex flag is deliberately not used.
 *
 * <p><b>Protocol</b>, as for any futex: a waiter reads the word, decides it must sleep, and calls
 * {@link #wait(long, int, long) wait(address, valueItRead, timeout)}; the kernel sleeps only if the
 * word still holds that value, atomically with respect to {@link #wake}. A waker first changes the
 * word, then calls {@code wake}. So no wake-up is lost: either the waiter's kernel check sees the new
 * value ({@link #VALUE_CHANGED}) or the waiter is queued before the wake looks for it. Every return
 * is a hint, never a guarantee: callers loop, re-reading the word.
 *
 * <pre>{@code
 * int v;
 * while ((v = UnsafeMemory.MEMORY.readVolatileInt(address)) == IDLE) {
 *     Futex.wait(address, v, Futex.NO_TIMEOUT);
 * }
 * }</pre>
 *
 * <p><b>Memory order</b>: each system call is a full two-way barrier for the calling thread. A
 * waiter that returns {@link #WOKEN} because of a {@link #wake} sees every store the waker made before
 * calling {@code wake} (the kernel's wait-queue lock orders the two). The fallback reads the word with
 * volatile loads, so a fallback waiter that sees the new value also sees what the waker stored before
 * a release (or volatile) store of it.
 *
 * <p><b>Fallback</b>: where the futex is unavailable (not Linux x86_64/aarch64, JNA cannot bind libc,
 * the system call is refused, or {@code -Dsoftclan.futex.disable=true}), {@code wait} parks the thread
 * in slices of {@link #FALLBACK_SLICE_NANOS} and re-reads the word with a volatile load after each,
 * returning when it changes or the timeout expires; {@link #wake} does nothing. This is correct across
 * processes (it relies only on the shared word) but wakes up some ten thousand times a second, so a
 * blocked waiter costs some CPU (about a tenth of a core measured on a 2-CPU Linux VM) and notices a
 * change up to one slice late; a change undone within one slice can be missed, which a caller that
 * loops re-reading the word would not act on anyway.
 *
 * <p><b>Interruption</b>: {@link Thread#interrupt()} does not end a wait already blocked in the
 * kernel; a thread whose interrupt status is set when it calls {@code wait} (or, in the fallback, at
 * the end of a slice) returns {@link #INTERRUPTED} without clearing the status. Use timeouts where an
 * interrupt must be noticed promptly.
 *
 * <p>No method allocates after the first timed wait of each thread (which allocates that thread's
 * 16-byte native {@code timespec}).
 */
public final class Futex {
    /** Outcome of {@link #wait(long, int, long)}: woken by {@link #wake}, or spuriously; re-read the word. */
    public static final int WOKEN = 0;
    /** Outcome of {@link #wait(long, int, long)}: the word did not hold the expected value; no sleep. */
    public static final int VALUE_CHANGED = 1;
    /** Outcome of {@link #wait(long, int, long)}: the timeout expired with no wake-up. */
    public static final int TIMED_OUT = 2;
    /** Outcome of {@link #wait(long, int, long)}: a signal interrupted it, or the interrupt status is set. */
    public static final int INTERRUPTED = 3;

    /** A timeout for {@link #wait(long, int, long)} meaning "no timeout" (any negative value means the same). */
    public static final long NO_TIMEOUT = -1L;
    /** A count for {@link #wake} that wakes every waiter. */
    public static final int WAKE_ALL = Integer.MAX_VALUE;
    /** System property that, when {@code true} at class initialisation, forces the parking fallback. */
    public static final String DISABLE_PROPERTY = "softclan.futex.disable";
    /** How long the fallback parks between two reads of the word: 100 µs. */
    public static final long FALLBACK_SLICE_NANOS = 100_000L;

    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final int FUTEX_WAKE_OP = 5;
    /**
     * The operation {@link #incrementAndWakeAll} gives {@code FUTEX_WAKE_OP}: add 1 to the word
     * ({@code FUTEX_OP_ADD}, argument 1), then compare the old value with 0 ({@code FUTEX_OP_CMP_EQ}),
     * which only decides whether waiters of the second address are woken too; it is the same address.
     */
    private static final int OP_ADD_ONE = (1 << 28) | (0 << 24) | (1 << 12);
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private static final String UNAVAILABLE_REASON = probe();
    private static final boolean NATIVE = UNAVAILABLE_REASON == null;
    private static final ThreadLocal<Timespec> TIMESPEC = ThreadLocal.withInitial(Timespec::new);

    /** One thread's native {@code struct timespec} (two 64-bit fields); JNA frees it once unreachable. */
    private static final class Timespec {
        final Memory memory = new Memory(16);
        final long address = Pointer.nativeValue(memory);
    }

    private Futex() {
    }

    /**
     * Tells whether this process has the kernel's futex or runs on the fallback.
     *
     * @return whether {@link #wait(long, int, long)} and {@link #wake} use the kernel's futex; if
     *         false they use the parking fallback described in the class comment
     */
    public static boolean isAvailable() {
        return NATIVE;
    }

    /** {@return what this class uses, and why the futex is not used if it is not, for logs} */
    public static String describe() {
        return NATIVE ? "futex(2) (shared, FUTEX_WAIT/FUTEX_WAKE)"
            : "parking fallback, " + FALLBACK_SLICE_NANOS / 1000 + " us slices: " + UNAVAILABLE_REASON;
    }

    /**
     * Sleeps while the 32-bit word at {@code address} holds {@code expected}, until a {@link #wake}
     * on the same word (from any process mapping it), the timeout, or a signal. The comparison and the
     * sleep are atomic with respect to {@code wake}. Spurious returns are possible: re-read the word.
     *
     * <p>Memory order: with the futex, the call is a full barrier for the calling thread, and after
     * {@link #WOKEN} caused by a wake the thread sees every store the waker made before its
     * {@code wake} call. The fallback's checks are volatile loads of the word.
     *
     * @param address      absolute native address of a 4-byte-aligned int in shared (or private)
     *                     memory that stays mapped during the call
     * @param expected     the value the caller read; the thread sleeps only if the word still holds it
     * @param timeoutNanos relative timeout (monotonic clock); 0 checks and returns at once; negative
     *                     (e.g. {@link #NO_TIMEOUT}) waits with no timeout
     * @return {@link #WOKEN}, {@link #VALUE_CHANGED}, {@link #TIMED_OUT} or {@link #INTERRUPTED}
     * @throws IllegalArgumentException if {@code address} is not 4-byte aligned
     * @throws IllegalStateException    if the kernel rejects the call (for instance {@code EFAULT} for
     *                                  an unmapped address)
     */
    public static int wait(final long address, final int expected, final long timeoutNanos) {
        checkAligned(address);
        if (Thread.currentThread().isInterrupted()) {
            return INTERRUPTED;
        }
        return NATIVE ? futexWait(address, expected, timeoutNanos) : parkingWait(address, expected, timeoutNanos);
    }

    /**
     * Wakes up to {@code count} threads (of any process) sleeping in {@link #wait(long, int, long)}
     * on the word at {@code address}. Change the word before calling it. In the fallback this does
     * nothing and returns 0: fallback waiters notice the change itself.
     *
     * <p>Memory order: with the futex, the call is a full barrier for the calling thread, and a thread
     * it wakes sees every store made before the call. The fallback does nothing: its waiters rely on
     * the store that changed the word (make it a release or volatile store).
     *
     * @param address absolute native address of a 4-byte-aligned int
     * @param count   most threads to wake, at least 1; {@link #WAKE_ALL} for all
     * @return the number of threads woken (0 if none was waiting)
     * @throws IllegalArgumentException if {@code address} is not 4-byte aligned or {@code count < 1}
     * @throws IllegalStateException    if the kernel rejects the call
     */
    public static int wake(final long address, final int count) {
        checkAligned(address);
        if (count < 1) {
            // the kernel would wake one thread for a count of 0
            throw new IllegalArgumentException("wake count must be at least 1, was " + count);
        }
        if (!NATIVE) {
            return 0;
        }
        final long woken = LinuxSyscalls.syscall(LinuxSyscalls.SYS_FUTEX, address, FUTEX_WAKE, count, 0L, 0L, 0L);
        if (woken < 0) {
            throw failure("FUTEX_WAKE", address, LinuxSyscalls.errno());
        }
        return (int) woken;
    }

    /**
     * Adds 1 to the word and wakes every thread waiting on it, as one system call ({@code FUTEX_WAKE_OP}):
     * the kernel makes the add (atomic, a full barrier), so memory that is gone (the mapped file was cut
     * short by another process) is an {@code EFAULT} answer here, not a {@code SIGBUS} in this JVM, which
     * an atomic instruction run by the JVM's interpreter on JDK 17 is (the JVM turns a fault of an
     * ordinary {@code Unsafe} load or store into an {@link InternalError}, not that of a compare-and-set).
     * In the fallback: an atomic add ({@code Unsafe.getAndAddInt}) and no wake.
     *
     * @param address absolute native address of a 4-byte-aligned int in a shared mapping
     * @return false if the word's memory is gone ({@code EFAULT}: nothing was added or woken), else true
     * @throws IllegalArgumentException if {@code address} is not 4-byte aligned
     * @throws IllegalStateException    if the kernel rejects the call for another reason
     */
    public static boolean incrementAndWakeAll(final long address) {
        checkAligned(address);
        if (!NATIVE) {
            UNSAFE.getAndAddInt(null, address, 1);
            return true;
        }
        final long r = LinuxSyscalls.syscall(LinuxSyscalls.SYS_FUTEX, address, FUTEX_WAKE_OP, WAKE_ALL, 0L,
            address, OP_ADD_ONE);
        if (r >= 0) {
            return true;
        }
        final int errno = LinuxSyscalls.errno();
        if (errno == LinuxSyscalls.EFAULT) {
            return false;
        }
        throw failure("FUTEX_WAKE_OP", address, errno);
    }

    /**
     * Names an outcome of {@link #wait(long, int, long)}.
     *
     * @param outcome a result of {@link #wait(long, int, long)}
     * @return its constant's name, for messages
     */
    public static String outcomeName(final int outcome) {
        switch (outcome) {
            case WOKEN: return "WOKEN";
            case VALUE_CHANGED: return "VALUE_CHANGED";
            case TIMED_OUT: return "TIMED_OUT";
            case INTERRUPTED: return "INTERRUPTED";
            default: return "UNKNOWN(" + outcome + ")";
        }
    }

    private static int futexWait(final long address, final int expected, final long timeoutNanos) {
        long timespec = 0L;
        if (timeoutNanos >= 0) {
            timespec = TIMESPEC.get().address;
            UNSAFE.putLong(timespec, timeoutNanos / NANOS_PER_SECOND);
            UNSAFE.putLong(timespec + 8, timeoutNanos % NANOS_PER_SECOND);
        }
        final long r = LinuxSyscalls.syscall(LinuxSyscalls.SYS_FUTEX, address, FUTEX_WAIT, expected, timespec, 0L, 0L);
        if (r == 0) {
            return WOKEN;
        }
        final int errno = LinuxSyscalls.errno();
        switch (errno) {
            case LinuxSyscalls.EAGAIN: return VALUE_CHANGED;
            case LinuxSyscalls.ETIMEDOUT: return TIMED_OUT;
            case LinuxSyscalls.EINTR: return INTERRUPTED;
            default: throw failure("FUTEX_WAIT", address, errno);
        }
    }

    /**
     * The portable fallback of {@link #wait(long, int, long)}, reachable directly for tests: parks in
     * slices of {@link #FALLBACK_SLICE_NANOS}, re-reading the word with a volatile load after each.
     *
     * @return {@link #VALUE_CHANGED} if the word differs on entry, {@link #WOKEN} if it changed while
     *         parked, {@link #TIMED_OUT} or {@link #INTERRUPTED}
     */
    static int parkingWait(final long address, final int expected, final long timeoutNanos) {
        if (UNSAFE.getIntVolatile(null, address) != expected) {
            return VALUE_CHANGED;
        }
        final long start = timeoutNanos >= 0 ? System.nanoTime() : 0L;
        while (true) {
            long slice = FALLBACK_SLICE_NANOS;
            if (timeoutNanos >= 0) {
                final long left = timeoutNanos - (System.nanoTime() - start);
                if (left <= 0) {
                    return TIMED_OUT;
                }
                slice = Math.min(slice, left);
            }
            LockSupport.parkNanos(slice);
            if (UNSAFE.getIntVolatile(null, address) != expected) {
                return WOKEN;
            }
            if (Thread.currentThread().isInterrupted()) {
                return INTERRUPTED;
            }
        }
    }

    private static void checkAligned(final long address) {
        if ((address & 3) != 0) {
            throw new IllegalArgumentException("futex word address 0x" + Long.toHexString(address)
                + " is not 4-byte aligned");
        }
    }

    private static IllegalStateException failure(final String op, final long address, final int errno) {
        return new IllegalStateException(op + " on 0x" + Long.toHexString(address) + " failed: "
            + LinuxSyscalls.errnoName(errno));
    }

    /** @return null if the futex works here, else why not */
    private static String probe() {
        if (Boolean.getBoolean(DISABLE_PROPERTY)) {
            return "disabled by -D" + DISABLE_PROPERTY + "=true";
        }
        if (!LinuxSyscalls.isLinked()) {
            return LinuxSyscalls.unavailableReason();
        }
        final long scratch = UNSAFE.allocateMemory(8);
        try {
            UNSAFE.putIntVolatile(null, scratch, 0);
            final long woken = LinuxSyscalls.syscall(LinuxSyscalls.SYS_FUTEX, scratch, FUTEX_WAKE, 1, 0L, 0L, 0L);
            if (woken != 0) {
                return "FUTEX_WAKE probe returned " + woken
                    + (woken < 0 ? " (" + LinuxSyscalls.errnoName(LinuxSyscalls.errno()) + ")" : "");
            }
            // the word is 0, so waiting for 1 must fail at once with EAGAIN: checks errno is readable too
            final long r = LinuxSyscalls.syscall(LinuxSyscalls.SYS_FUTEX, scratch, FUTEX_WAIT, 1, 0L, 0L, 0L);
            final int errno = LinuxSyscalls.errno();
            if (r != -1 || errno != LinuxSyscalls.EAGAIN) {
                return "FUTEX_WAIT probe returned " + r + " (" + LinuxSyscalls.errnoName(errno) + "), expected EAGAIN";
            }
            return null;
        } catch (final LinkageError | RuntimeException e) {
            return "futex probe failed: " + e;
        } finally {
            UNSAFE.freeMemory(scratch);
        }
    }
}
