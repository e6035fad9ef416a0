/**
 * One-way throughput between two JVMs on one host: {@code ./vmmc bench stream} and
 * {@code ./vmmc bench techniques}.
 *
 * <p>{@link org.softclan.bench.throughput.ThroughputBench} is the one-way runner: a
 * {@link org.softclan.bench.throughput.ThroughputBench.Session} starts a child JVM
 * ({@link org.softclan.bench.peers.PeerProcess}, the same child as the round trips') once and measures any
 * number of {@link org.softclan.bench.throughput.Config}s, each giving a
 * {@link org.softclan.bench.throughput.Result} (MB/s, GB/s, messages/s; at a fixed rate an HdrHistogram of
 * latencies from the intended send times). The receiver checks every message ({@code MessageCheck}): byte
 * count, sequence numbers, sampled body bytes, and with {@code --checksum} a CRC32C of everything, compared
 * with the sender's.
 *
 * <p>Transports are the round trips' systems under test that have one-way ends
 * ({@link org.softclan.bench.peers.Transports#oneWay()}, each one {@link org.softclan.bench.peers.PeerTransport}
 * with both ends): {@code raw} (a bare SPSC byte ring in a shared region, the floor),
 * {@code stream-<technique>} (a byte stream with that send technique), {@code aeron-ipc}, {@code tcp},
 * {@code uds}. Ring sizes: {@code --ring} (default 64 MiB, Aeron's default IPC term length) is the raw
 * ring, the stream's receive ring, the Aeron term length and the sockets' buffer sizes.
 *
 * <pre>
 * ./vmmc bench stream --transport raw,stream-pio,aeron-ipc,tcp,uds --size 65536
 * ./vmmc bench stream --transport raw,stream-pio --size 1024 --rate 100000 --seconds 5
 * ./vmmc bench techniques --out target/bench-techniques
 * </pre>
 *
 * <p><b>Clocks</b>: latencies at a fixed rate subtract the sender's intended send time, read from
 * {@link java.lang.System#nanoTime()} in the sending JVM, from the receiver's {@code nanoTime}. On Linux
 * both read {@code CLOCK_MONOTONIC}, one clock for every process of the host; the run checks it
 * ({@link org.softclan.bench.throughput.ThroughputBench.Session#checkClock}) and prints the outcome.
 */
package org.softclan.bench.throughput;
