/**
 * The one benchmark rig: every measurement between two JVMs on one host, its systems under test, the
 * child JVM and its protocol, and the report and chart writers.
 *
 * <ul>
 *   <li>{@code ./vmmc bench pingpong} ({@link org.softclan.bench.peers.PingPongCommand}): one transport's
 *       round trips, HdrHistogram percentiles in microseconds.</li>
 *   <li>{@code ./vmmc bench compare} ({@link org.softclan.bench.peers.CompareCommand}): every transport in
 *       turn, each in fresh JVMs; a Markdown table with each p50's ratio to raw's, a CSV, {@code .hgrm}
 *       files and an SVG chart, then one-way throughput of every stream transport.</li>
 *   <li>{@code ./vmmc bench stream} ({@link org.softclan.bench.peers.StreamCommand}) and
 *       {@code ./vmmc bench techniques} ({@link org.softclan.bench.peers.TechniquesCommand}): one-way
 *       throughput (MB/s, GB/s, messages/s), or latency at a fixed rate.</li>
 * </ul>
 *
 * <p>Each system under test ({@link org.softclan.bench.peers.Transports}) is one
 * {@link org.softclan.bench.peers.PeerTransport} with both ends of each measurement it takes part in: a
 * client and an echo side for round trips, and for those that have them a receiver and a sender for
 * one-way throughput. The other side always runs in a child JVM ({@link org.softclan.bench.peers.PeerMain},
 * driven through a {@link org.softclan.bench.peers.PeerProcess}): {@link org.softclan.bench.peers.PingPongRunner}
 * runs round trips, {@link org.softclan.bench.peers.ThroughputBench} one-way streams, whose receiver checks
 * every message ({@link org.softclan.bench.peers.MessageCheck}); resources a session's one-way
 * measurements share are in a {@link org.softclan.bench.peers.Rig}. One chart writer,
 * {@link org.softclan.bench.peers.Chart}, draws the percentile and the throughput charts.
 *
 * <p>Round trips: {@code raw}, {@code tripwire-spin} and {@code tripwire-block} are shared mappings of the
 * dsm layer with no queue, {@code futex} the same with a bare futex (the floor of {@code tripwire-block});
 * {@code queue} and {@code rpc} are the library's message queue and RPC; {@code aeron-ipc}, {@code tcp}
 * and {@code uds} are the peers. Compare runs those by default; {@code tripwire-yield},
 * {@code tripwire-competitive}, {@code tripwire-park} (the Tripwire unit's other wait strategies) and
 * {@code rpc-competitive} (RPC's default strategy) only when named. Every request and response carries
 * the whole payload, checked on both sides ({@link org.softclan.bench.peers.Payload}).
 *
 * <p>One way: {@code raw} (a bare SPSC byte ring in a shared region, the floor), {@code stream-<technique>}
 * (a byte stream with that send technique), {@code aeron-ipc}, {@code tcp}, {@code uds}. {@code --ring}
 * (default 64 MiB, Aeron's default IPC term length) is the raw ring, the stream's receive ring, the Aeron
 * term length and the sockets' buffer sizes. Latencies at a fixed rate subtract the sender's intended
 * send time ({@link java.lang.System#nanoTime()} in the sending JVM) from the receiver's {@code nanoTime};
 * on Linux both read {@code CLOCK_MONOTONIC}, which the run checks and reports
 * ({@link org.softclan.bench.peers.ThroughputBench.Session#checkClock}).
 */
package org.softclan.bench.peers;
