/**
 * Benchmarks of the Tripwire unit: JMH micro-benchmarks of its write path, fired path and arming
 * ({@link org.softclan.bench.tripwire.TripwireBenchmark}), and a two-process round-trip harness that
 * compares its wait strategies with a raw shared-memory spin and a bare futex
 * ({@link org.softclan.bench.tripwire.PingPong}).
 */
package org.softclan.bench.tripwire;
