package org.softclan.tripwire.os;

import java.util.Locale;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The two Linux system calls this package makes, {@code futex(2)} and {@code membarrier(2)}, reached
 * through libc's {@code syscall(2)} bound with JNA direct mapping (a JNI call with primitive
 * arguments: no allocation, a few hundred nanoseconds including the system call).
 *
 * <p>Binding happens once, at class initialisation, and only on Linux x86_64 and aarch64, the
 * architectures whose system call numbers are known here. Anywhere else, or if JNA cannot bind libc,
 * {@link #isLinked()} is false and {@link #syscall} must not be called.
 *
 * <p>libc's {@code syscall} returns -1 and sets {@code errno} on failure. JNA saves {@code errno}
 * per thread right after every native call, so {@link #errno()} read straight after a call that
 * returned -1 is that call's error.
 */
final class LinuxSyscalls {
    /** {@code EPERM}: not permitted (for instance by a seccomp filter). */
    static final int EPERM = 1;
    /** {@code EINTR}: interrupted by a signal. */
    static final int EINTR = 4;
    /** {@code EAGAIN}: the futex word did not hold the expected value. */
    static final int EAGAIN = 11;
    /** {@code EFAULT}: the address is not mapped. */
    static final int EFAULT = 14;
    /** {@code EINVAL}: bad argument (misaligned word, bad timeout, unknown command). */
    static final int EINVAL = 22;
    /** {@code ENOSYS}: the kernel has no such system call. */
    static final int ENOSYS = 38;
    /** {@code ETIMEDOUT}: a futex wait's timeout expired. */
    static final int ETIMEDOUT = 110;

    /** System call number of {@code futex}, or -1 on an unsupported platform. */
    static final long SYS_FUTEX;
    /** System call number of {@code membarrier}, or -1 on an unsupported platform. */
    static final long SYS_MEMBARRIER;

    private static final boolean LINKED;
    private static final String UNAVAILABLE_REASON;

    static {
        final String os = System.getProperty("os.name", "");
        final String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        long futex = -1;
        long membarrier = -1;
        String reason = null;
        if (!os.startsWith("Linux")) {
            reason = "not Linux (os.name " + os + ")";
        } else if ("amd64".equals(arch) || "x86_64".equals(arch)) {
            futex = 202;
            membarrier = 324;
        } else if ("aarch64".equals(arch)) {
            futex = 98;
            membarrier = 283;
        } else {
            reason = "no system call numbers for os.arch " + arch;
        }
        if (reason == null) {
            try {
                Native.register(LinuxSyscalls.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
            } catch (final LinkageError | RuntimeException e) {
                reason = "JNA could not bind libc's syscall: " + e;
            }
        }
        SYS_FUTEX = futex;
        SYS_MEMBARRIER = membarrier;
        UNAVAILABLE_REASON = reason;
        LINKED = reason == null;
    }

    private LinuxSyscalls() {
    }

    /**
     * libc's {@code long syscall(long number, ...)} with six integer arguments (unused ones are
     * ignored by the kernel). Only call it when {@link #isLinked()}.
     *
     * @return the system call's result, or -1 with {@link #errno()} set
     */
    static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    /** @return whether {@link #syscall} is bound and the system call numbers are known */
    static boolean isLinked() {
        return LINKED;
    }

    /** @return why {@link #isLinked()} is false, or {@code null} if it is true */
    static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /** @return the calling thread's {@code errno} as saved after its last native call */
    static int errno() {
        return Native.getLastError();
    }

    /** @return a readable name for an {@code errno} value, for messages */
    static String errnoName(final int errno) {
        switch (errno) {
            case EPERM: return "EPERM";
            case EINTR: return "EINTR";
            case EAGAIN: return "EAGAIN";
            case EFAULT: return "EFAULT";
            case EINVAL: return "EINVAL";
            case ENOSYS: return "ENOSYS";
            case ETIMEDOUT: return "ETIMEDOUT";
            default: return "errno " + errno;
        }
    }
}
