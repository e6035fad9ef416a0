/**
 * JMH micro-benchmarks of the softclan layers, kept apart from the two-JVM harness
 * ({@code org.softclan.bench}) and packaged as {@code jmh/target/jmh.jar}.
 *
 * <p>{@link org.softclan.jmh.JmhMain} is the jar's main: the JMH command line, with the JVM flags
 * Chronicle Bytes needs on JDK 17+ added to every forked JVM. {@link org.softclan.jmh.WritePathBenchmark}
 * measures the NIC write path of {@code org.softclan.dsm} against a raw Chronicle store over the same
 * memory, one write per benchmark call; {@link org.softclan.jmh.PioBurstBenchmark} repeats its
 * ordered 8-byte write back to back; {@link org.softclan.jmh.TripwireBenchmark} the Tripwire unit's
 * write path, fired path and arming; {@link org.softclan.jmh.QueueBenchmark} a connection's message
 * queue (offer and poll in one thread, and a producer/consumer pair); {@link org.softclan.jmh.CodecBenchmark}
 * the RPC codecs on Chronicle Bytes.
 *
 * <p>All micro-benchmarks, with JSON results ({@link org.softclan.jmh.JmhCommand}; {@code --quick}: one
 * fork, short iterations, a few minutes):
 *
 * <pre>
 * ./vmmc bench jmh --quick --out target/bench-jmh      # writes target/bench-jmh/jmh.json
 * java -jar jmh/target/jmh.jar -rf json -rff target/jmh.json   # the annotations' full runs
 * </pre>
 */
package org.softclan.jmh;
