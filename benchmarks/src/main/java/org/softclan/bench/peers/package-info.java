/**
 * The library measured against its peers between two JVMs on one host: the one benchmark rig (systems
 * under test, the child JVM and its protocol, the chart writer) and the round-trip latency commands.
 *
 * <ul>
 *   <li>{@code ./vmmc bench pingpong --transport T [--size BYTES] [--warmup N] [--iterations N] [--rate N]}
 *       ({@link org.softclan.bench.peers.PingPongCommand}): one transport, warm-up then measurement,
 *       HdrHistogram percentiles in microseconds.</li>
 *   <li>{@code ./vmmc bench compare [--size 32] [--iterations N] [--out DIR]}
 *       ({@link org.softclan.bench.peers.CompareCommand}): every transport in turn, each in fresh JVMs;
 *       a Markdown table with each p50's ratio to raw's, a CSV, {@code .hgrm} files and an SVG chart.</li>
 * </ul>
 *
 * <p>Each system under test ({@link org.softclan.bench.peers.Transports}) is one
 * {@link org.softclan.bench.peers.PeerTransport} with both ends of each measurement it takes part in: a
 * client and an echo side for round trips, and for those that have them a receiver and a sender for
 * one-way throughput ({@code org.softclan.bench.throughput}). The other side always runs in a child JVM
 * ({@link org.softclan.bench.peers.PeerMain}, driven through a {@link org.softclan.bench.peers.PeerProcess});
 * resources a session's one-way measurements share are in a {@link org.softclan.bench.peers.Rig}. One chart
 * writer, {@link org.softclan.bench.peers.Chart}, draws the percentile and the throughput charts.
 *
 * <p>Round trips: {@code raw}, {@code tripwire-spin} and {@code tripwire-block} are shared mappings of the dsm layer with no queue, {@code futex} the same with a
 * bare futex (the floor of {@code tripwire-block}); {@code queue} and {@code rpc} are the library's
 * message queue and RPC; {@code aeron-ipc}, {@code tcp} and {@code uds} are the peers. Compare runs
 * those by default; {@code tripwire-yield}, {@code tripwire-competitive}, {@code tripwire-park} (the
 * Tripwire unit's other wait strategies) and {@code rpc-competitive} (RPC's default strategy) only when
 * named. Every request and response carries the whole payload, checked on both sides
 * ({@link org.softclan.bench.peers.Payload}).
 */
package org.softclan.bench.peers;
