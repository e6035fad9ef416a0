/**
 * Two-process RPC latency: a null {@link org.softclan.vmmc.rpc.RpcClient} call against a raw shared-memory
 * ping-pong (the floor) and a TCP loopback request/response ({@link org.softclan.bench.rpc.RpcPingPong}).
 */
package org.softclan.bench.rpc;
