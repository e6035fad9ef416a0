/**
 * {@code ./vmmc bench compare --hosts 2}: round trips and throughput between two hosts (two network
 * namespaces joined by a veth pair, {@link org.softclan.net.HostPair}), through the NIC agents and beside raw
 * Aeron UDP and TCP across the same veth. {@link org.softclan.bench.hosts.HostsComparison} runs it; each host
 * is a {@link org.softclan.bench.hosts.HostBenchPeer} JVM.
 */
package org.softclan.bench.hosts;
