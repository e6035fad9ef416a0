package org.softclan.sockets;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.softclan.vmmc.stream.ByteStream;

/**
 * A non-blocking connect of a {@link LayerSocketChannel}: the hand-shake with the server's process
 * ({@link SocketLayer#offer}) and then the TCP connect, made on a thread of the layer's pool so that
 * the program's {@code connect} returns {@code false} at once, as the JDK's does. An event loop's thread
 * never waits for a peer's ack (a process that registered the port's service and never acks would
 * otherwise hold it for the hand-shake's time-out).
 *
 * <p>Phases: {@link #BUSY} (hand-shake or TCP connect under way), {@link #READY} (the TCP connect
 * completed or failed: the channel is ready for {@code OP_CONNECT}, its selector reports it from here),
 * {@link #TCP_PENDING} (the TCP connect is in progress: the JDK's selector reports its completion as for
 * any TCP connect). The result fields are written before the volatile phase and read after it. When the
 * connect ends, {@code onDone} runs on the pool's thread (the channel wakes the selectors it is
 * registered with).
 */
final class NonBlockingConnect {
    static final int BUSY = 0;
    static final int READY = 1;
    static final int TCP_PENDING = 2;

    /** Connects started and not yet taken by {@code finishConnect} or a close, in this process. */
    private static final AtomicInteger OPEN = new AtomicInteger();
    /** At most this many hand-shakes at once; a connect beyond them goes on TCP at once. */
    static final int MAX_THREADS = 64;
    /** Daemon threads made on demand, kept 10 s when idle: connects are rare next to reads and writes. */
    private static final ExecutorService POOL = new ThreadPoolExecutor(0, MAX_THREADS, 10, TimeUnit.SECONDS,
        new SynchronousQueue<>(), r -> {
            final Thread t = new Thread(r, "softclan-sockets-connect");
            t.setDaemon(true);
            return t;
        });

    final InetSocketAddress remote;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicBoolean taken = new AtomicBoolean();
    private volatile int phase = BUSY;
    private ByteStream stream;
    private FallbackReason reason = FallbackReason.HANDSHAKE_FAILED;
    private boolean connected;
    private Exception failure;

    /** A connect to {@code remote}, counted open until taken or abandoned; {@link #start} it. */
    NonBlockingConnect(final InetSocketAddress remote) {
        this.remote = remote;
        OPEN.incrementAndGet();
    }

    /**
     * Starts the hand-shake and the TCP connect of {@code tcp} on the pool. The caller publishes this
     * object first (its channel's field), so that {@code onDone} finds it.
     *
     * @param offer  the hand-shake (blocking; never throws: its failures are a fallback reason)
     * @param onDone run on the pool's thread once the phase is no longer {@link #BUSY}
     * @throws java.util.concurrent.RejectedExecutionException if {@value #MAX_THREADS} hand-shakes are
     *         under way (then {@link #abandon()} this one and connect over TCP)
     */
    void start(final SocketChannel tcp, final Supplier<SocketLayer.Attempt> offer, final Runnable onDone) {
        POOL.execute(() -> run(tcp, offer, onDone));
    }

    private void run(final SocketChannel tcp, final Supplier<SocketLayer.Attempt> offer, final Runnable onDone) {
        try {
            SocketLayer.Attempt a;
            try {
                a = offer.get();
            } catch (final RuntimeException e) {
                SocketLayer.STATS.error("hand-shake with the server of " + remote + ": " + e);
                a = new SocketLayer.Attempt(null, FallbackReason.HANDSHAKE_FAILED);
            }
            synchronized (this) {
                stream = a.stream();
                reason = a.reason();
            }
            boolean c = false;
            Exception f = null;
            try {
                c = tcp.connect(remote);
            } catch (final IOException | RuntimeException e) {
                f = e;   // the program's finishConnect throws it, as the JDK's connect would have
            }
            synchronized (this) {
                connected = c;
                failure = f;
                if ((f != null || taken.get()) && stream != null) {
                    // failed, or the channel closed meanwhile: the server drops the stream it kept for this port
                    stream.close();
                    stream = null;
                }
            }
            phase = c || f != null ? READY : TCP_PENDING;
        } finally {
            if (phase == BUSY) {
                phase = READY;   // an Error above: finishConnect reports the missing result
            }
            ended.countDown();
            onDone.run();
        }
    }

    /** {@return whether a connect of this process awaits its {@code finishConnect} (a cheap check for selectors)} */
    static boolean anyOpen() {
        return OPEN.get() > 0;
    }

    /** {@return {@link #BUSY}, {@link #READY} or {@link #TCP_PENDING}} */
    int phase() {
        return phase;
    }

    /**
     * Waits for the phase to leave {@link #BUSY} (a blocking channel's {@code finishConnect}), looking
     * at {@code open} every 10 ms.
     *
     * @return {@code true} once it has; {@code false} if {@code open} turned false or the thread was
     *         interrupted (its flag set again)
     */
    boolean await(final java.util.function.BooleanSupplier open) {
        try {
            while (!ended.await(10, TimeUnit.MILLISECONDS)) {
                if (!open.getAsBoolean()) {
                    return false;
                }
            }
            return true;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The outcome, for {@code finishConnect}: call once the phase is not {@link #BUSY}. */
    synchronized Result take() {
        release();
        final Result r = new Result(stream, reason, connected, failure);
        stream = null;
        return r;
    }

    /** What the connect came to: the stream (or {@code null}: TCP), why, and the TCP connect's outcome. */
    record Result(ByteStream stream, FallbackReason reason, boolean connected, Exception failure) {
    }

    /**
     * The channel closed: its stream, if the connect made one and nobody took it, is closed (now, or by
     * the pool's thread when the hand-shake ends).
     */
    synchronized void abandon() {
        release();
        if (stream != null) {
            stream.close();
            stream = null;
        }
    }

    private void release() {
        if (taken.compareAndSet(false, true)) {
            OPEN.decrementAndGet();
        }
    }
}
