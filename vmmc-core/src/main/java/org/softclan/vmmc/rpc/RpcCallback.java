package org.softclan.vmmc.rpc;

/**
 * Receives the outcome of an asynchronous call made with a callback
 * ({@link RpcClient#callAsync(RpcMethod, Object, long, java.util.concurrent.TimeUnit, RpcCallback)}): the
 * allocation-free alternative to a {@link java.util.concurrent.CompletableFuture}: the client takes the
 * call's record from a pool and gives it back as the call completes, just before the callback runs.
 *
 * <p>Runs once per call, on the thread that completes it: a thread in {@link RpcClient#call},
 * {@link RpcClient#poll} or {@link RpcClient#receive}, the background receiver, a thread that sweeps an
 * expired deadline, a thread that finds the server gone or closes the client, or the calling thread itself
 * if the request could not be sent; with the background receiver on, not necessarily the caller's thread.
 * As for a future's dependent actions, it may send further calls with {@code callAsync} (which then does not
 * wait for room in the server's ring: a full ring fails that call with {@code NOT_SENT}), but not
 * {@code call}, {@code poll} or {@code receive} (refused there). An exception it throws goes to the running
 * thread's uncaught exception handler (the thread goes on receiving).
 *
 * @param <R> the result type
 */
@FunctionalInterface
public interface RpcCallback<R> {
    /**
     * The call's outcome: exactly one of {@code result} and {@code failure} is meaningful.
     *
     * @param result  the result, as the method's response codec decoded it (may be {@code null} when the codec
     *                allows it, and is {@code null} on failure)
     * @param failure why there is no result, or {@code null} if the call succeeded; {@link RpcException#kind()}
     *                says which of the failures of {@link RpcClient#callAsync(RpcMethod, Object, long,
     *                java.util.concurrent.TimeUnit)} it is
     */
    void onComplete(R result, RpcException failure);
}
