package org.softclan.sockets;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelectionKey;
import java.nio.channels.spi.AbstractSelector;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.softclan.tripwire.EventQueue;
import org.softclan.tripwire.WaitStrategy;

/**
 * The layer's {@link Selector}: one {@code select} over the layer's accelerated channels, whose
 * readiness is in shared memory, and every other channel (the layer's channels that fell back to TCP,
 * the JDK's pipes, datagram and Unix domain channels), which a JDK selector underneath watches.
 *
 * <p>A select first looks without waiting (the accelerated channels' streams, then the JDK selector's
 * {@code selectNow}); if nothing is ready and accelerated channels are registered, it spins for the
 * layer's spin window ({@code softclan.sockets.spinMicros}, as a socket's read), looking again; then it
 * blocks in the JDK selector while a watcher thread blocks on the Tripwire unit's doorbell that the
 * accelerated channels' peers ring when they write or free room: an arrival that makes a registered
 * channel ready wakes the JDK selector ({@link Selector#wakeup()}). A selector with nothing ready uses
 * no CPU after its spin window. A select returns 0 only when woken by {@link #wakeup()}, interrupted or
 * timed out: a wake-up with nothing ready for the program (an arrival for another interest, the end of
 * a TCP connection whose stream still holds bytes) waits again.
 *
 * <p>Each accelerated channel also keeps its TCP connection registered in the JDK selector for reading:
 * its end means the peer closed or died, which makes the channel readable (the read reports the end of
 * stream, or {@code Connection reset} for a peer that died); a peer whose TCP connection ended is
 * looked at again every {@value #LIVENESS_MS} ms until its stream ended or its process is gone.
 *
 * <p>Thread safety as for the JDK's selectors: the key sets are guarded by the selector (selected keys
 * also by the selected-key set), {@link #wakeup()} and registration from any thread.
 */
final class LayerSelector extends AbstractSelector {
    /** How often a blocked select looks at peers whose TCP connection ended while they were alive (ms). */
    static final long LIVENESS_MS = 100;
    private final Selector jdk;
    private final Set<SelectionKey> keys = ConcurrentHashMap.newKeySet();
    private final Set<SelectionKey> publicKeys = Collections.unmodifiableSet(keys);
    private final Set<SelectionKey> selected = new HashSet<>();
    private final Set<SelectionKey> publicSelected = new Ungrowable(selected);
    /** Keys of the layer's socket channels (copy on write: the watcher reads it without a lock). */
    private volatile LayerSelectionKey[] layerKeys = new LayerSelectionKey[0];
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /** Set while a select blocks in the JDK selector: the watcher then wakes it on a layer arrival. */
    private volatile boolean watching;
    private volatile EventQueue bell;
    /** The doorbell a select blocks on (only accelerated channels registered), for {@link #wakeup()}. */
    private volatile EventQueue blockedOn;
    /** Whether a select spins before it blocks (the selecting thread's). */
    private final SpinPolicy spin = new SpinPolicy();
    /** The doorbell's file was cut from outside: selects poll the streams instead of waiting on it. */
    private volatile boolean bellBroken;
    private final FloodGuard selectFlood = new FloodGuard();
    private final FloodGuard watchFlood = new FloodGuard();

    /**
     * A wait on the doorbell failed: the unit closed (the endpoint is closing: the next round finds the
     * doorbell again) or a file was cut from outside. A cut ring fails its own channel (each accelerated
     * channel's regions are looked at); a cut doorbell makes this selector poll from now on, never die.
     */
    private void bellFailed(final EventQueue b, final Throwable e) {
        bell = null;
        if (e instanceof Error && !(e instanceof InternalError)) {
            throw (Error) e;
        }
        boolean intact;
        try {
            intact = b.isIntact();
        } catch (final RuntimeException | InternalError cut) {
            intact = false;
        }
        if (!intact) {
            bellBroken = true;
            // a fault the JVM still holds back from this thread's touches of the cut doorbell must come out
            // here, not inside the channels' checks below, which would take it for a cut of their own regions
            // and break connections that are whole (slow, a thread start: once per selector)
            org.softclan.dsm.RegionFaults.takeHeldBack();
            SocketLayer.STATS.error("the doorbell " + b + " was cut from outside: the selector polls every ms");
        }
        for (final LayerSelectionKey k : layerKeys) {
            if (k.isValid() && k.layer.accelerated()) {
                try {
                    k.layer.recheckPeer();
                } catch (final RuntimeException | InternalError cut) {
                    k.layer.breakOff();
                }
            }
        }
    }

    /** When the JDK selector was last looked at (ns; the selecting thread's). */
    private long lastJdkPoll;
    private Thread watcher;

    LayerSelector(final LayerSelectorProvider provider, final Selector jdk) {
        super(provider);
        this.jdk = jdk;
    }

    // ------------------------------------------------------------------------- registration

    @Override
    protected SelectionKey register(final AbstractSelectableChannel ch, final int ops, final Object att) {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
        final SelectableChannel below;
        if (ch instanceof LayerSocketChannel l) {
            below = l.tcp();
        } else if (ch instanceof LayerServerSocketChannel l) {
            below = l.tcp();
        } else if (ch.provider() != provider()) {
            below = ch;   // a JDK channel: watched by the JDK selector as it is
        } else {
            throw new IllegalSelectorException();
        }
        final LayerSelectionKey k = new LayerSelectionKey(this, ch, ops);
        k.attach(att);
        keys.add(k);
        if (k.layer != null) {
            synchronized (keys) {
                final LayerSelectionKey[] a = java.util.Arrays.copyOf(layerKeys, layerKeys.length + 1);
                a[a.length - 1] = k;
                layerKeys = a;
            }
            k.layer.registeredWith(this, jdk);
        }
        try {
            k.inner = below.register(jdk, k.innerInterest(), k);
        } catch (final ClosedChannelException e) {
            k.cancel();
            throw new IllegalStateException("softclan sockets: the channel below " + ch + " is closed", e);
        }
        return k;
    }

    /** Deregisters the cancelled keys; {@return whether any was} */
    private boolean processCancelled() {
        final Set<SelectionKey> cancelled = cancelledKeys();
        final List<LayerSelectionKey> gone;
        synchronized (cancelled) {
            if (cancelled.isEmpty()) {
                return false;
            }
            gone = new ArrayList<>(cancelled.size());
            for (final SelectionKey k : cancelled) {
                gone.add((LayerSelectionKey) k);
            }
            cancelled.clear();
        }
        boolean layer = false;
        for (final LayerSelectionKey k : gone) {
            keys.remove(k);
            selected.remove(k);
            final SelectionKey below = k.inner;
            if (below != null) {
                below.cancel();
            }
            layer |= k.layer != null;
            deregister(k);
        }
        if (layer) {
            synchronized (keys) {
                final List<LayerSelectionKey> live = new ArrayList<>();
                for (final LayerSelectionKey k : layerKeys) {
                    if (k.isValid()) {
                        live.add(k);
                    }
                }
                layerKeys = live.toArray(new LayerSelectionKey[0]);
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------- selecting

    @Override
    public Set<SelectionKey> keys() {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
        return publicKeys;
    }

    @Override
    public Set<SelectionKey> selectedKeys() {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
        return publicSelected;
    }

    @Override
    public int selectNow() throws IOException {
        return select(-1);
    }

    @Override
    public int select() throws IOException {
        return select(0L, false);
    }

    @Override
    public int select(final long timeout) throws IOException {
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout " + timeout);
        }
        return select(timeout, false);
    }

    private int select(final int now) throws IOException {
        return select(0L, true);
    }

    private int select(final long timeoutMillis, final boolean now) throws IOException {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
        synchronized (this) {
            synchronized (publicSelected) {
                try {
                    return doSelect(timeoutMillis, now);
                } catch (final InternalError late) {
                    return faulted(late);
                }
            }
        }
    }

    /**
     * A fault of an earlier look at a stream whose file was cut from outside, which the JVM delivered
     * later in this select (it names no memory, and may come out anywhere, even in {@code end()}): the
     * accelerated channels whose regions were cut are marked broken and reported ready (their read or
     * write fails), the others go on. A fault that is no cut region's is thrown on.
     */
    private int faulted(final InternalError late) {
        if (org.softclan.dsm.RegionFaults.explain(late) == null) {
            throw late;
        }
        for (final LayerSelectionKey k : layerKeys) {
            if (k.isValid() && k.layer.accelerated()) {
                k.layer.breakOffIfCut();
            }
        }
        wakeupPending.set(false);
        return pollLayer();
    }

    private int doSelect(final long timeoutMillis, final boolean now) throws IOException {
        SocketLayer.STATS.selects.increment();
        final boolean flushed = processCancelled();
        syncInterest();
        if (!anyAccelerated()) {
            final int connects = NonBlockingConnect.anyOpen() ? pollConnects() : 0;
            if (connects > 0) {
                wakeupPending.set(false);
                return connects + pollJdk();
            }
            return selectJdk(timeoutMillis, now);
        }
        // with nothing but accelerated channels, the JDK selector holds only their TCP connections' liveness
        // watches: it is looked at every LIVENESS_MS, not at every select (a system call each)
        final boolean onlyLayer = onlyLayerBell() != null;
        int n = pollLayer();
        if (!onlyLayer || flushed || jdkPollDue()) {
            n += pollJdk();
        }
        if (now || n > 0) {
            SocketLayer.STATS.selectsImmediate.increment();
            wakeupPending.set(false);
            return n;
        }
        final long begin = System.nanoTime();
        final long deadline = timeoutMillis == 0 ? Long.MAX_VALUE : begin + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        final boolean layer = onlyLayer || anyAccelerated();
        if (layer && spin.shouldSpin()) {
            final long spinEnd = Math.min(deadline, begin + SocketLayer.SPIN_NANOS);
            int i = 0;
            while (n == 0 && !wakeupPending.get() && System.nanoTime() < spinEnd) {
                Thread.onSpinWait();
                n = pollLayer();
                if ((++i & 15) == 0 && (!onlyLayer || jdkPollDue())) {
                    n += pollJdk();
                }
            }
            spin.spun(n > 0);
            if (n > 0) {
                SocketLayer.STATS.selectsSpun.increment();
                wakeupPending.set(false);
                spin.learnWait(System.nanoTime() - begin);
                return n;
            }
        }
        while (true) {
            if (wakeupPending.getAndSet(false) || Thread.currentThread().isInterrupted()) {
                return n;
            }
            long waitMillis = 0;   // forever
            if (deadline != Long.MAX_VALUE) {
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return n;
                }
                waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
            }
            final boolean lookAgain = layer && awaitingPeerDeath();
            if (lookAgain) {
                waitMillis = waitMillis == 0 ? LIVENESS_MS : Math.min(waitMillis, LIVENESS_MS);
            }
            if (layer && bellBroken) {
                // no doorbell to wait on (its file was cut): look at the streams every millisecond
                waitMillis = waitMillis == 0 ? 1 : Math.min(waitMillis, 1);
            }
            final EventQueue onlyBell = layer ? onlyLayerBell() : null;
            if (onlyBell != null) {
                // nothing but accelerated channels: wait on the doorbell itself (one wake-up, not two); the
                // TCP connections' ends are looked at between slices
                final long slice = TimeUnit.MILLISECONDS.toNanos(waitMillis == 0 ? LIVENESS_MS : Math.min(waitMillis, LIVENESS_MS));
                boolean woken = false;
                SocketLayer.STATS.selectBlocks.increment();
                final FloodGuard flood = selectFlood;
                flood.reset();
                try {
                    begin();
                    blockedOn = onlyBell;
                    woken = WaitStrategy.block().await(
                        () -> wakeupPending.get() || !isOpen() || layerReady() || flood.tooMany(), onlyBell, slice);
                } catch (final RuntimeException | InternalError e) {
                    bellFailed(onlyBell, e);
                } finally {
                    blockedOn = null;
                    end();
                }
                flood.backOffIfFlooded();
                n = !woken || jdkPollDue() ? pollJdk() : 0;
            } else {
                final int got;
                SocketLayer.STATS.selectBlocks.increment();
                try {
                    begin();
                    if (layer) {
                        arm();
                    }
                    got = waitMillis == 0 ? jdk.select() : jdk.select(waitMillis);
                } finally {
                    watching = false;
                    end();
                }
                lastJdkPoll = System.nanoTime();
                n = mergeJdk(got);
            }
            if (processCancelled()) {
                n += pollJdk();   // the JDK selector deregisters the channels below now
            }
            syncInterest();
            if (lookAgain) {
                for (final LayerSelectionKey k : layerKeys) {
                    if (k.isValid() && k.layer.accelerated() && k.layer.awaitsPeerDeath()) {
                        k.layer.recheckPeer();
                    }
                }
            }
            n += pollLayer();
            if (n > 0 || !isOpen()) {
                wakeupPending.set(false);
                spin.learnWait(System.nanoTime() - begin);
                return n;
            }
        }
    }

    /**
     * A select with no accelerated channel registered: the JDK selector's own, once (a selector of
     * channels that all fell back costs what the JDK's does, plus the copy of its selected keys).
     */
    private int selectJdk(final long timeoutMillis, final boolean now) throws IOException {
        if (now) {
            wakeupPending.set(false);
            return pollJdk();
        }
        final long deadline = timeoutMillis == 0 ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            final int got;
            try {
                begin();
                if (deadline == Long.MAX_VALUE) {
                    got = jdk.select();
                } else {
                    final long left = deadline - System.nanoTime();
                    got = left <= 0 ? jdk.selectNow() : jdk.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)));
                }
            } finally {
                end();
            }
            lastJdkPoll = System.nanoTime();
            int n = mergeJdk(got);
            if (NonBlockingConnect.anyOpen()) {
                syncInterest();   // a connect that ended leaves the JDK selector's interest to be set
                n += pollConnects();
            }
            if (processCancelled()) {
                n += pollJdk();
            }
            if (n > 0 || wakeupPending.getAndSet(false) || System.nanoTime() - deadline >= 0
                || Thread.currentThread().isInterrupted() || !isOpen()) {
                wakeupPending.set(false);
                return n;
            }
            // woken with nothing for the program: a connect that ended changed what is watched below
        }
    }

    /**
     * A non-blocking connect of a registered channel ended (on the layer's pool thread): the select
     * looks again, without the program's {@link #wakeup()} (which would make it return 0).
     */
    void connectEnded() {
        jdk.wakeup();
    }

    /** {@return whether the JDK selector was last looked at {@value #LIVENESS_MS} ms ago or more} */
    private boolean jdkPollDue() {
        return System.nanoTime() - lastJdkPoll >= TimeUnit.MILLISECONDS.toNanos(LIVENESS_MS);
    }

    /** Looks at the JDK selector without waiting; {@return the keys whose ready set grew} */
    private int pollJdk() throws IOException {
        lastJdkPoll = System.nanoTime();
        return mergeJdk(jdk.selectNow());
    }

    /** Sets the JDK selector's interest for the layer's channels (an accelerated one's TCP watch may have ended). */
    private void syncInterest() {
        for (final LayerSelectionKey k : layerKeys) {
            final SelectionKey below = k.inner;
            if (k.isValid() && below != null && below.isValid()) {
                final int want = k.innerInterest();
                try {
                    if (below.interestOps() != want) {
                        below.interestOps(want);
                    }
                } catch (final CancelledKeyException closedBelow) {
                    // the channel below closed: this key goes with it
                }
            }
        }
    }

    /** Adds the JDK selector's selected keys to this one's; {@return the keys whose ready set grew} */
    private int mergeJdk(final int got) {
        if (got == 0 && jdk.selectedKeys().isEmpty()) {
            return 0;
        }
        int n = 0;
        final Iterator<SelectionKey> it = jdk.selectedKeys().iterator();
        while (it.hasNext()) {
            final SelectionKey below = it.next();
            it.remove();
            final LayerSelectionKey k = (LayerSelectionKey) below.attachment();
            if (k == null || !k.isValid() || !below.isValid()) {
                continue;
            }
            if (k.layer != null && k.layer.accelerated()) {
                k.layer.onTcpReadable();   // the TCP connection's end: the stream's readiness says the rest
                continue;
            }
            n += ready(k, below.readyOps() & k.interest);
        }
        return n;
    }

    /** Looks at the accelerated channels' streams; {@return the keys whose ready set grew} */
    private int pollLayer() {
        int n = 0;
        for (final LayerSelectionKey k : layerKeys) {
            if (k.isValid() && k.layer.accelerated() && k.interest != 0) {
                n += ready(k, k.layer.readyOps(k.interest));
            }
        }
        return NonBlockingConnect.anyOpen() ? n + pollConnects() : n;
    }

    /** Reports {@code OP_CONNECT} for the layer's channels whose non-blocking connect ended; {@return the keys whose ready set grew} */
    private int pollConnects() {
        int n = 0;
        for (final LayerSelectionKey k : layerKeys) {
            if (k.isValid() && (k.interest & SelectionKey.OP_CONNECT) != 0
                && k.layer.connectPhase() == NonBlockingConnect.READY) {
                n += ready(k, SelectionKey.OP_CONNECT);
            }
        }
        return n;
    }

    private int ready(final LayerSelectionKey k, final int ops) {
        if (ops == 0) {
            return 0;
        }
        if (selected.add(k)) {
            k.ready = ops;
            return 1;
        }
        final int before = k.ready;
        k.ready |= ops;
        return k.ready != before ? 1 : 0;
    }

    private boolean anyAccelerated() {
        for (final LayerSelectionKey k : layerKeys) {
            if (k.isValid() && k.layer.accelerated()) {
                return true;
            }
        }
        return false;
    }

    private boolean awaitingPeerDeath() {
        for (final LayerSelectionKey k : layerKeys) {
            if (k.isValid() && k.layer.accelerated() && k.layer.awaitsPeerDeath()) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@return the doorbell to block on if every key with an interest is an accelerated channel's, else
     * {@code null} (the JDK selector must be waited on)}
     */
    private EventQueue onlyLayerBell() {
        for (final SelectionKey k : keys) {
            final LayerSelectionKey key = (LayerSelectionKey) k;
            if (key.isValid() && key.interest != 0 && (key.layer == null || !key.layer.accelerated())) {
                return null;
            }
        }
        return findBell();
    }

    /** {@return the doorbell the accelerated channels' peers ring, found at the first one} */
    private EventQueue findBell() {
        if (bellBroken) {
            return null;
        }
        if (bell == null) {
            for (final LayerSelectionKey k : layerKeys) {
                if (k.isValid() && k.layer.accelerated()) {
                    bell = k.layer.bell();   // one Tripwire unit per endpoint: every stream of the layer rings it
                    break;
                }
            }
        }
        return bell;
    }

    /** Whether an accelerated channel is ready for its key's interest (the watcher's condition). */
    private boolean layerReady() {
        for (final LayerSelectionKey k : layerKeys) {
            if (k.isValid() && k.layer.accelerated() && k.interest != 0 && k.layer.readyOps(k.interest) != 0) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------- the watcher

    /** Lets the watcher wake the JDK selector on a layer arrival (starting it the first time). */
    private void arm() {
        if (findBell() == null) {
            return;
        }
        watching = true;
        if (watcher == null) {
            watcher = new Thread(this::watch, "softclan-sockets-selector-watcher");
            watcher.setDaemon(true);
            watcher.start();
        } else {
            LockSupport.unpark(watcher);
        }
    }

    private void watch() {
        final WaitStrategy block = WaitStrategy.block();
        final long slice = TimeUnit.MILLISECONDS.toNanos(LIVENESS_MS);
        while (isOpen()) {
            final EventQueue b = bell;
            if (!watching || b == null) {
                LockSupport.parkNanos(this, slice);
                continue;
            }
            try {
                watchFlood.reset();
                block.await(() -> !watching || !isOpen() || layerReady() || watchFlood.tooMany(), b, slice);
                if (watching && isOpen() && layerReady()) {
                    watching = false;
                    jdk.wakeup();
                }
                watchFlood.backOffIfFlooded();
            } catch (final RuntimeException | InternalError e) {
                // the unit closed under the wait (the endpoint is closing), or its file was cut: never die,
                // and let the select blocked in the JDK selector look again (it polls without a doorbell)
                bellFailed(b, e);
                jdk.wakeup();
                LockSupport.parkNanos(this, slice);
            }
        }
    }

    @Override
    public Selector wakeup() {
        SocketLayer.STATS.selectorWakeups.increment();
        wakeupPending.set(true);
        // a select blocked on the doorbell sees the flag when rung; one about to block on either sees it
        // before it blocks (it publishes what it blocks on, then reads the flag); the JDK selector's own
        // wake-up is sticky, and a stale one costs a select one more look, never a return without cause
        final EventQueue b = blockedOn;
        if (b == null) {
            jdk.wakeup();
        } else {
            try {
                b.wakeLocalWaiters();   // its other waiters look at their conditions again and wait on
            } catch (final RuntimeException unitClosed) {
                // the select's slice ends it
            }
        }
        return this;
    }

    @Override
    protected void implCloseSelector() throws IOException {
        wakeup();
        synchronized (this) {
            synchronized (publicSelected) {
                for (final SelectionKey k : new ArrayList<>(keys)) {
                    k.cancel();
                    final SelectionKey below = ((LayerSelectionKey) k).inner;
                    if (below != null) {
                        below.cancel();
                    }
                    deregister((AbstractSelectionKey) k);
                }
                keys.clear();
                selected.clear();
                layerKeys = new LayerSelectionKey[0];
                jdk.close();
            }
        }
        final Thread w = watcher;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }
}
