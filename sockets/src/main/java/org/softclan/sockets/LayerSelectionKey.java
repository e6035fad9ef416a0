package org.softclan.sockets;

import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectionKey;

/** A registration: the program's key; {@link #inner} the registration of its JDK channel below. */
final class LayerSelectionKey extends AbstractSelectionKey {
    private final LayerSelector selector;
    private final SelectableChannel channel;
    /** The channel as the layer's socket channel, or {@code null}. */
    final LayerSocketChannel layer;
    volatile SelectionKey inner;
    volatile int interest;
    int ready;

    LayerSelectionKey(final LayerSelector selector, final SelectableChannel channel, final int ops) {
        this.selector = selector;
        this.channel = channel;
        this.layer = channel instanceof LayerSocketChannel l ? l : null;
        this.interest = ops;
    }

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    @Override
    public Selector selector() {
        return selector;
    }

    @Override
    public int interestOps() {
        ensureValid();
        return interest;
    }

    @Override
    public SelectionKey interestOps(final int ops) {
        ensureValid();
        if ((ops & ~channel.validOps()) != 0) {
            throw new IllegalArgumentException("interest " + ops + " is not a subset of " + channel.validOps());
        }
        interest = ops;
        final SelectionKey k = inner;
        if (k != null && k.isValid()) {
            try {
                k.interestOps(innerInterest());
            } catch (final CancelledKeyException closedBelow) {
                // the JDK channel was closed: this key is cancelled with it
            }
        }
        return this;
    }

    /** {@return the operations the JDK selector watches for on the channel below} */
    int innerInterest() {
        if (layer != null) {
            if (layer.accelerated()) {
                return layer.tcpInterest();
            }
            final int phase = layer.connectPhase();
            if (phase == NonBlockingConnect.BUSY || phase == NonBlockingConnect.READY) {
                return 0;   // not connecting below (yet), or done: the layer reports OP_CONNECT
            }
        }
        return interest;
    }

    @Override
    public int readyOps() {
        ensureValid();
        return ready;
    }

    private void ensureValid() {
        if (!isValid()) {
            throw new CancelledKeyException();
        }
    }
}
