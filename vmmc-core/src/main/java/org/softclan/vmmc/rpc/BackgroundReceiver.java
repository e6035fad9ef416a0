package org.softclan.vmmc.rpc;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.PeerGoneException;

/**
 * An {@link RpcClient}'s background receiver thread ({@link RpcClient.Context#backgroundReceiver}): completes
 * asynchronous calls while no caller is waiting in {@link RpcClient#call} (a caller receives for itself then;
 * this thread stays off the connection so the server need not wake it), fails those whose deadline passed,
 * publishes batched requests nobody published within about {@value RpcClient#UNPUBLISHED_MICROS} us, and
 * notices the server's death. It idles on the client's idle monitor ({@link RpcClient#idle}) while another
 * thread receives or nothing is awaited, and receives only under the client's receive lock, which it only
 * ever tries. It ends when the client closes or fails; an interrupt does not end it (the JDK's own service
 * threads, such as the {@code Cleaner}'s, do the same).
 */
final class BackgroundReceiver {
    private static final long UNPUBLISHED_NANOS = TimeUnit.MICROSECONDS.toNanos(RpcClient.UNPUBLISHED_MICROS);

    private final RpcClient client;
    private final WaitStrategy receiverStrategy;
    /** What wakes the background receiver: an answer, a thread that receives for itself, or a close. */
    private final BooleanSupplier receiverWake;
    /**
     * {@link RequestSender#unpublishedSince} as the background receiver saw it before its wait (its thread's
     * alone): a batch begun or published meanwhile ends the wait, so the next one is bounded by the batch's age.
     */
    private long receiverSawUnpublished;
    private final Thread thread;

    /**
     * Makes the thread, not started.
     *
     * @param client           the client whose calls it completes (its sender and receive side made already)
     * @param receiverStrategy how the thread waits ({@link RpcClient.Context#receiverStrategy})
     */
    BackgroundReceiver(final RpcClient client, final WaitStrategy receiverStrategy) {
        this.client = client;
        this.receiverStrategy = receiverStrategy;
        this.receiverWake = () -> client.connection.hasMessage()
            || client.callers.get() > 0 && client.receiveLock.isLocked() || client.closed
            || client.sender.unpublishedSince != receiverSawUnpublished;
        this.thread = new Thread(this::receiveLoop, "rpc-" + client.service + "-receive");
        thread.setDaemon(true);
    }

    /** Starts the thread. */
    void start() {
        thread.start();
    }

    /**
     * Waits for the thread to end (the client is closed, and its idle monitor notified); an interrupt of the
     * waiting thread ends the wait early, its interrupt status set again.
     *
     * @param millis the longest wait
     */
    void join(final long millis) {
        try {
            thread.join(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Completes asynchronous calls while no caller is waiting in {@link RpcClient#call} (a caller receives for
     * itself then; this thread stays off the connection so the server need not wake it).
     */
    private void receiveLoop() {
        try {
            receiveRounds();
        } catch (final InternalError | org.softclan.dsm.DsmException e) {
            // a region of this client cut from outside (or closed under the wait): the calls in flight fail
            if (!client.closed) {
                client.failAll(new RpcException(RpcException.Kind.SERVER_GONE, "client of '" + client.service
                    + "' stopped: " + e));
            }
        }
    }

    private void receiveRounds() {
        while (!client.closed && client.failure == null) {
            // nothing of the client's interrupts this thread: a stray interrupt (a framework stopping every thread
            // it sees) must neither end it, leaving the calls in flight without a receiver, nor leave its flag set,
            // which makes every wait below return at once (a busy loop); it ends when the client closes or fails
            Thread.interrupted();
            final long since = client.sender.unpublishedSince;
            if (since != 0 && System.nanoTime() - since >= UNPUBLISHED_NANOS) {
                client.sender.tryFlush();   // batched requests nobody published: their answers would never come
            }
            // idle while another thread receives, or nothing is awaited; a caller that waits for room to send
            // (holding no lock) leaves the receiving, and the deadlines, to this thread
            if (client.callers.get() > 0 && client.receiveLock.isLocked() || client.asyncInFlight.get() == 0) {
                synchronized (client.idle) {
                    try {
                        client.idle.wait(client.sender.unpublishedSince != 0 ? 1 : 10);
                    } catch (final InterruptedException e) {
                        // a stray interrupt: cleared (see above), the loop goes on
                    }
                }
                continue;
            }
            final long now = System.nanoTime();
            final long saw = client.sender.unpublishedSince;
            receiverSawUnpublished = saw;
            receiverStrategy.await(receiverWake, client.connection.unit().events(),
                Math.min(client.deadlines.untilNext(now),
                    saw != 0 ? UNPUBLISHED_NANOS : TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS)));
            final boolean batchChanged = client.sender.unpublishedSince != saw;
            if (client.receiveLock.tryLock()) {
                try {
                    if (client.connection.hasMessage()) {
                        client.responses.receiveNow();
                    } else {
                        client.deadlines.sweepExpired(System.nanoTime());
                        if (client.callers.get() == 0 && !client.closed && !batchChanged) {
                            client.connection.checkPeer();   // not on every batch's wake-up: after a wait that ran out
                        }
                    }
                } catch (final PeerGoneException e) {
                    client.failAll(new RpcException(RpcException.Kind.SERVER_GONE, "server of '" + client.service
                        + "' is gone: " + e.getMessage()));
                } catch (final RuntimeException e) {
                    if (!client.closed) {
                        client.failAll(new RpcException(RpcException.Kind.SERVER_GONE, "client of '" + client.service
                            + "' stopped: " + e));
                    }
                } finally {
                    client.receiveLock.unlock();
                }
            }
        }
    }
}
