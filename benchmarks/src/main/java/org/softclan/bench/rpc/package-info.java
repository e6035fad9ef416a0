/**
 * {@code ./vmmc bench rpc}: null-RPC calls per second and latency between two JVMs, synchronous or with many
 * calls in flight, beside the same workload over TCP loopback ({@link org.softclan.bench.rpc.RpcBenchCommand}; the
 * server JVM is a {@link org.softclan.bench.rpc.RpcBenchPeer}).
 */
package org.softclan.bench.rpc;
