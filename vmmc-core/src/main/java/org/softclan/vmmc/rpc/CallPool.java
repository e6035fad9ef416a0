package org.softclan.vmmc.rpc;

import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;

/**
 * An {@link RpcClient}'s records of asynchronous calls with a callback, free for reuse: taken by senders, given
 * back as each call completes. A shared client's pool is Agrona's lock-free bounded array queue (neither
 * allocates nor takes a lock, where a JDK {@code ArrayBlockingQueue} took its lock twice per call); an exclusive
 * client's ({@link RpcClient.Context#exclusive}) a plain stack of its owner thread's, with no atomic operation.
 */
final class CallPool {
    /** The shared client's queue, or {@code null}. */
    private final ManyToManyConcurrentArrayQueue<PendingCall> queue;
    /** The exclusive client's stack, or {@code null}. */
    private final PendingCall[] stack;
    private int top;

    /**
     * @param capacity  records kept for reuse at most (beyond, a completed record is left to the collector)
     * @param exclusive whether one thread only takes and gives back
     */
    CallPool(final int capacity, final boolean exclusive) {
        this.queue = exclusive ? null : new ManyToManyConcurrentArrayQueue<>(capacity);
        this.stack = exclusive ? new PendingCall[capacity] : null;
    }

    /** {@return a free record, or a new one if none is free} */
    PendingCall take() {
        final PendingCall p;
        if (stack != null) {
            p = top > 0 ? stack[--top] : null;
        } else {
            p = queue.poll();
        }
        return p != null ? p : new PendingCall(0, null, null, null);
    }

    /** Gives a record back; a full pool leaves it to the collector. */
    void offer(final PendingCall p) {
        if (stack == null) {
            queue.offer(p);
        } else if (top < stack.length) {
            stack[top++] = p;
        }
    }
}
