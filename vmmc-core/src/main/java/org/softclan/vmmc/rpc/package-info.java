/**
 * Typed request/response calls on connections and tripwires: {@link org.softclan.vmmc.rpc.RpcServer}
 * runs handlers for {@link org.softclan.vmmc.rpc.RpcMethod}s, {@link org.softclan.vmmc.rpc.RpcClient}
 * calls them synchronously or asynchronously, with per-call timeouts, many calls in flight, and
 * handler errors and server death reported to the caller.
 */
package org.softclan.vmmc.rpc;
