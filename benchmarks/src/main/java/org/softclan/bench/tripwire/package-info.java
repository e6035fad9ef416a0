/**
 * JMH micro-benchmarks of the Tripwire unit: its write path, fired path and arming
 * ({@link org.softclan.bench.tripwire.TripwireBenchmark}). Round trips between two JVMs through the unit
 * with each wait strategy, against a raw shared-memory spin and a bare futex, are transports of
 * {@code ./vmmc bench pingpong} and {@code bench compare} ({@link org.softclan.bench.peers}).
 */
package org.softclan.bench.tripwire;
