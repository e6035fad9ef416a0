/**
 * JMH micro-benchmarks of the softclan layers, packaged as {@code benchmarks/target/benchmarks.jar}.
 *
 * <p>{@link org.softclan.bench.JmhMain} is the jar's main: the JMH command line, with the JVM flags
 * Chronicle Bytes needs on JDK 17+ added to every forked JVM. {@link org.softclan.bench.WritePathBenchmark}
 * measures the NIC write path of {@code org.softclan.dsm} against a raw Chronicle store over the same
 * memory, one write per benchmark call; {@link org.softclan.bench.PioBurstBenchmark} repeats its
 * ordered 8-byte write back to back; {@link org.softclan.bench.QueueBenchmark} a connection's message queue
 * (offer and poll in one thread, and a producer/consumer pair); {@link org.softclan.bench.CodecBenchmark}
 * the RPC codecs on Chronicle Bytes.
 *
 * <p>All micro-benchmarks, with JSON results ({@link org.softclan.bench.JmhCommand}; {@code --quick}: one
 * fork, short iterations, a few minutes):
 *
 * <pre>
 * ./vmmc bench jmh --quick --out target/bench-jmh      # writes target/bench-jmh/jmh.json
 * java -jar benchmarks/target/benchmarks.jar -rf json -rff target/jmh.json   # the annotations' full runs
 * </pre>
 *
 * <p>Between two JVMs: {@code ./vmmc bench pingpong}, {@code compare}, {@code stream} and
 * {@code techniques} ({@link org.softclan.bench.peers}).
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar WritePath -rf json -rff target/jmh-writepath.json
 * </pre>
 */
package org.softclan.bench;
