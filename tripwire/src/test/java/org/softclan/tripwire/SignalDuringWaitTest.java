package org.softclan.tripwire;

import static org.softclan.dsm.testing.TestThreads.isIn;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.os.Futex;

/**
 * A handled signal delivered to a thread blocked on an event queue. Before, the futex wait's EINTR was
 * taken for the end of the wait: {@code await(block(), 10 s)} returned false after about a second with no
 * event and no interrupt. Now EINTR is retried to the deadline; only a Java interrupt ends the wait early.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SignalDuringWaitTest {
    /** The native thread id of the thread whose name (as the kernel keeps it, 15 characters) is {@code name}. */
    private static long tidOf(final String name) throws Exception {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (final Path t : (Iterable<Path>) tasks::iterator) {
                final String comm;
                try {
                    comm = Files.readString(t.resolve("comm"));
                } catch (final java.nio.file.NoSuchFileException ended) {
                    continue;   // a thread of this JVM that ended between the listing and the read
                }
                if (comm.trim().equals(name)) {
                    return Long.parseLong(t.getFileName().toString());
                }
            }
        }
        return -1;
    }

    /**
     * Installs a SIGHUP handler that does nothing, through {@code sun.misc.Signal} reached by reflection
     * (the API is internal, and named in source it is a compiler warning that cannot be suppressed).
     */
    private static void ignoreHangUps() throws ReflectiveOperationException {
        final Class<?> signal = Class.forName("sun.misc.Signal");
        final Class<?> handler = Class.forName("sun.misc.SignalHandler");
        final Object nothing = java.lang.reflect.Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler},
            (proxy, method, args) -> switch (method.getName()) {
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> "a SIGHUP handler that does nothing";
                default -> null;   // handle(Signal): nothing
            });
        signal.getMethod("handle", signal, handler).invoke(null, signal.getConstructor(String.class).newInstance("HUP"),
            nothing);
    }

    @Test
    void aSignalToABlockedWaiterDoesNotEndTheWaitBeforeItsDeadline() throws Exception {
        Assumptions.assumeTrue(Futex.isAvailable(), "needs the futex (the fallback parks and sees no EINTR)");
        Assumptions.assumeTrue("amd64".equals(System.getProperty("os.arch")), "tgkill's number is x86-64's");
        // a handler, so the signal interrupts the system call instead of ending the JVM
        ignoreHangUps();
        try (Fabric fabric = Fabric.createTemporary()) {
            final Endpoint ep = fabric.openEndpoint("waiter");
            try (TripwireUnit unit = TripwireUnit.open(ep)) {
                final long timeoutNanos = TimeUnit.SECONDS.toNanos(3);
                final AtomicLong waited = new AtomicLong();
                final CompletableFuture<Boolean> result = new CompletableFuture<>();
                final Thread waiter = new Thread(() -> {
                    final long start = System.nanoTime();
                    final boolean got = unit.events().await(WaitStrategy.block(), timeoutNanos, TimeUnit.NANOSECONDS);
                    waited.set(System.nanoTime() - start);
                    result.complete(got);
                }, "eintr-waiter");
                waiter.start();
                long tid = -1;
                while (tid < 0 || !isIn(waiter, "Futex.wait")) {
                    tid = tidOf("eintr-waiter");
                    Thread.onSpinWait();
                }
                int delivered = 0;
                for (int i = 0; i < 5 && !result.isDone(); i++) {
                    final Process kill = new ProcessBuilder("python3", "-c",
                        "import ctypes,sys; l=ctypes.CDLL(None, use_errno=True);"
                            + " sys.exit(0 if l.syscall(234, int(sys.argv[1]), int(sys.argv[2]), 1) == 0 else 1)",
                        Long.toString(ProcessHandle.current().pid()), Long.toString(tid)).inheritIO().start();
                    delivered += kill.waitFor() == 0 ? 1 : 0;   // fails only once the thread has ended
                }
                assertTrue(delivered > 0, "no signal could be delivered to the waiter");
                assertFalse(result.get(30, TimeUnit.SECONDS), "no event was posted");
                assertTrue(waited.get() >= timeoutNanos, "the wait ended after " + TimeUnit.NANOSECONDS.toMillis(waited.get())
                    + " ms, before its " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms deadline, with no event");
            }
        }
    }
}
