package org.softclan.tripwire;

import java.io.RandomAccessFile;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * Child JVM of {@link CutQueueTest} (started with {@code -Xint}, as cold code runs): a unit's event queue
 * whose file is cut while a thread of this JVM is blocked on it, then rung as a writer would, then
 * blocked on again. Prints what each step ended in, then "survived"; a SIGBUS ends the JVM before that.
 * Args: fabric directory.
 */
public final class CutQueueMain {
    private CutQueueMain() {
    }

    public static void main(final String[] args) throws Exception {
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("cut-queue")) {
            final TripwireUnit unit = TripwireUnit.open(ep);
            final EventQueue q = unit.events();
            final CountDownLatch inside = new CountDownLatch(1);
            final Thread waiter = new Thread(() -> {
                inside.countDown();
                System.out.println("first block: " + outcome(() -> q.block(() -> false, 3_000_000_000L)));
            });
            waiter.start();
            inside.await();
            // the waiter is counted in the shared waiter word (it then re-checks and sleeps in the kernel)
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (q.sharedWaiters() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            System.out.println("waiter counted: " + (q.sharedWaiters() != 0));
            try (RandomAccessFile f = new RandomAccessFile(fabric.region(q.regionName()).orElseThrow().file().toFile(),
                "rw")) {
                f.setLength(4096);   // the queue's words lie past the first page: all of them are gone
            }
            System.out.println("ring: " + outcome(() -> {
                q.ring();
                return true;
            }));
            waiter.join(TimeUnit.SECONDS.toMillis(10));
            System.out.println("second block: " + outcome(() -> q.block(() -> false, 100_000_000L)));
            // a watched region cut under a second unit: arming there and disarming there take the table's
            // lock, an atomic, unless they see the cut first
            final TripwireUnit other = TripwireUnit.open(ep);
            final org.softclan.dsm.InboundMapping region = ep.export("watched", 1 << 16);
            final Tripwire armed = other.arm(region, Tripwire.Options.word(0));
            try (RandomAccessFile f = new RandomAccessFile(fabric.region("watched").orElseThrow().file().toFile(), "rw")) {
                f.setLength(4096);
            }
            System.out.println("arm on the cut region: " + outcome(() -> other.arm(region, Tripwire.Options.word(64)) != null));
            System.out.println("disarm on the cut region: " + outcome(() -> {
                armed.disarm();
                return true;
            }));
            System.out.println("survived");
            System.out.flush();
            Runtime.getRuntime().halt(0);   // the cut queue is not unmapped by a close that could touch it
        }
    }

    private static String outcome(final java.util.function.BooleanSupplier step) {
        try {
            return "returned " + step.getAsBoolean();
        } catch (final RuntimeException | InternalError e) {
            return e.getClass().getSimpleName();
        }
    }
}
