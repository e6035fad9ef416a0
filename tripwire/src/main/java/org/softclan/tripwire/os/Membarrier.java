package org.softclan.tripwire.os;

import java.lang.invoke.VarHandle;

/**
 * An asymmetric memory barrier across processes: Linux {@code membarrier(2)}, which lets a rarely
 * running thread impose a full memory barrier on the threads of other processes, so that their
 * frequent path needs none.
 *
 * <p><b>The problem.</b> A writer stores into a shared region and then checks whether the address is
 * armed; an armer arms the address and then checks whether the data is already there:
 *
 * <pre>
 *   writer (fast path, often)          armer (slow path, rarely)
 *   store data                         store armed-bitmap
 *   load  armed-bitmap                 load  data
 * </pre>
 *
 * Each side must see the other's store, or the event is lost (the writer does not fire, and the
 * armer does not notice the data). On x86 (TSO) a store may still sit in the core's store buffer when
 * the following load of another address executes, so both loads can read the old values: store-load
 * reordering, which only a full fence ({@code mfence} or a locked instruction) on <em>both</em> sides
 * prevents. aarch64 allows the same and more. A fence on every write is what the writer cannot
 * afford.
 *
 * <p><b>The remedy.</b> Every process that writes into shared regions calls
 * {@link #registerGlobalExpedited()} once, at start. The armer does {@code store armed-bitmap;}
 * {@link #globalBarrier()}{@code ; load data}. With {@code MEMBARRIER_CMD_GLOBAL_EXPEDITED} the kernel
 * interrupts every CPU currently running a thread of a registered process and has it execute a full
 * barrier (threads not running passed through one when they were switched out), and only then
 * returns. In any writer thread that barrier falls either before its load, which then sees the armed
 * bit (the armer's store was globally visible before the barriers were sent), or after its store,
 * which has then left the store buffer, so the armer's load sees the data. Both cannot miss, yet the
 * writer's fast path has no fence. Where only {@code MEMBARRIER_CMD_GLOBAL} exists, it gives the same
 * guarantee for all processes without registration, but waits for a scheduler grace period
 * (milliseconds).
 *
 * <p>The barrier acts on the processor only: the writer's two accesses must also stay in program
 * order in the compiled code. Make the store a release store and the load a volatile load of native
 * memory (for instance {@code UnsafeMemory.MEMORY.writeOrderedInt} then {@code readVolatileInt}):
 * HotSpot keeps such accesses in program order (it brackets raw-memory accesses with compiler
 * barriers), and on x86 compiles both to plain moves with no fence, which is exactly the
 * store-buffer case the barrier covers.
 *
 * <p><b>When unavailable</b> ({@link #isAvailable()} false: not Linux x86_64/aarch64, an old kernel,
 * or a seccomp filter refusing the call), {@link #globalBarrier()} is only a local full fence and
 * writers must put a full fence ({@link #fullFence()}) between their store and their load. Support is
 * decided by the kernel, so processes on one host normally agree; if they might not (for instance
 * different seccomp profiles), the layer above must tell writers to fence, for instance with a flag
 * in the shared region. A writer whose {@link #registerGlobalExpedited()} returns false must fence.
 */
public final class Membarrier {
    /** {@code MEMBARRIER_CMD_QUERY}: returns the bit mask of supported commands. */
    static final int CMD_QUERY = 0;
    /** {@code MEMBARRIER_CMD_GLOBAL}: barrier on all threads of all processes, after a grace period. */
    static final int CMD_GLOBAL = 1;
    /** {@code MEMBARRIER_CMD_GLOBAL_EXPEDITED}: barrier on running threads of registered processes. */
    static final int CMD_GLOBAL_EXPEDITED = 1 << 1;
    /** {@code MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED}: register this process for the above. */
    static final int CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;
    /** {@code MEMBARRIER_CMD_PRIVATE_EXPEDITED}: barrier on this process's own threads. */
    static final int CMD_PRIVATE_EXPEDITED = 1 << 3;
    /** {@code MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED}: register for the above. */
    static final int CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;

    private static final int NO_COMMAND = -1;

    private static final String UNAVAILABLE_REASON;
    private static final int SUPPORTED;
    private static final int BARRIER_COMMAND;

    static {
        String reason = LinuxSyscalls.unavailableReason();
        int supported = 0;
        if (reason == null) {
            try {
                final long r = LinuxSyscalls.syscall(LinuxSyscalls.SYS_MEMBARRIER, CMD_QUERY, 0L, 0L, 0L, 0L, 0L);
                if (r < 0) {
                    reason = "MEMBARRIER_CMD_QUERY failed: " + LinuxSyscalls.errnoName(LinuxSyscalls.errno());
                } else {
                    supported = (int) r;
                }
            } catch (final LinkageError | RuntimeException e) {
                reason = "membarrier probe failed: " + e;
            }
        }
        int command = NO_COMMAND;
        if (reason == null) {
            if ((supported & CMD_GLOBAL_EXPEDITED) != 0 && (supported & CMD_REGISTER_GLOBAL_EXPEDITED) != 0) {
                command = CMD_GLOBAL_EXPEDITED;
            } else if ((supported & CMD_GLOBAL) != 0) {
                command = CMD_GLOBAL;
            } else {
                reason = "the kernel supports neither MEMBARRIER_CMD_GLOBAL_EXPEDITED nor MEMBARRIER_CMD_GLOBAL"
                    + " (query mask 0x" + Integer.toHexString(supported) + ")";
            }
        }
        UNAVAILABLE_REASON = reason;
        SUPPORTED = supported;
        BARRIER_COMMAND = command;
    }

    private Membarrier() {
    }

    /**
     * Tells whether the kernel offers a global barrier.
     *
     * @return whether {@link #globalBarrier()} is a real cross-process barrier; if false, writers must
     *         fence (see the class comment)
     */
    public static boolean isAvailable() {
        return BARRIER_COMMAND != NO_COMMAND;
    }

    /**
     * Tells which kind of global barrier {@link #globalBarrier()} issues.
     *
     * @return whether {@link #globalBarrier()} uses the expedited command (microseconds, covers only
     *         registered processes) rather than the grace-period one (milliseconds, covers all)
     */
    public static boolean isExpedited() {
        return BARRIER_COMMAND == CMD_GLOBAL_EXPEDITED;
    }

    /** {@return which command {@link #globalBarrier()} issues, or why there is none, for logs} */
    public static String describe() {
        switch (BARRIER_COMMAND) {
            case CMD_GLOBAL_EXPEDITED: return "membarrier(2) MEMBARRIER_CMD_GLOBAL_EXPEDITED";
            case CMD_GLOBAL: return "membarrier(2) MEMBARRIER_CMD_GLOBAL";
            default: return "unavailable (local full fence only): " + UNAVAILABLE_REASON;
        }
    }

    /** @return the kernel's {@code MEMBARRIER_CMD_QUERY} mask, 0 if it could not be asked */
    static int supportedCommands() {
        return SUPPORTED;
    }

    /**
     * Registers this process so that every {@link #globalBarrier()} (of any process) from now on acts
     * on its threads, including threads started later. Call it once, before the first write into a
     * shared region, in every process that writes; calling it again is harmless. It is a system call
     * and a full barrier for the calling thread.
     *
     * @return true if this process's writers may now omit their fence: registered for the expedited
     *         barrier, or not needing registration because {@link #globalBarrier()} uses
     *         {@code MEMBARRIER_CMD_GLOBAL}; false if membarrier is unavailable or registration
     *         failed, in which case this process's writers must fence
     */
    public static boolean registerGlobalExpedited() {
        if (BARRIER_COMMAND == CMD_GLOBAL) {
            return true;
        }
        if (BARRIER_COMMAND != CMD_GLOBAL_EXPEDITED) {
            return false;
        }
        return LinuxSyscalls.syscall(LinuxSyscalls.SYS_MEMBARRIER, CMD_REGISTER_GLOBAL_EXPEDITED, 0L, 0L, 0L, 0L,
            0L) == 0;
    }

    /**
     * The armer's barrier. When it returns, every thread of every registered process (every process,
     * with the non-expedited command) has executed a full memory barrier since the call began: stores
     * it made before that point are visible to the caller's later loads, and the caller's stores
     * before the call are visible to its loads after that point. It is also a full barrier for the
     * calling thread. Costs a system call and inter-processor interrupts (expedited: microseconds),
     * or a scheduler grace period (non-expedited: milliseconds).
     *
     * <p>If {@link #isAvailable()} is false this is only {@link #fullFence()}: a barrier for the
     * calling thread, which is the armer's half of the protocol when writers fence.
     *
     * @throws IllegalStateException if the kernel rejects the command it reported as supported
     */
    public static void globalBarrier() {
        if (BARRIER_COMMAND == NO_COMMAND) {
            VarHandle.fullFence();
            return;
        }
        final long r = LinuxSyscalls.syscall(LinuxSyscalls.SYS_MEMBARRIER, BARRIER_COMMAND, 0L, 0L, 0L, 0L, 0L);
        if (r != 0) {
            throw new IllegalStateException(describe() + " failed: " + LinuxSyscalls.errnoName(LinuxSyscalls.errno()));
        }
    }

    /**
     * A full fence for the calling thread ({@link VarHandle#fullFence()}): no load or store before it
     * is reordered with any load or store after it. What writers use when membarrier is unavailable.
     */
    public static void fullFence() {
        VarHandle.fullFence();
    }
}
