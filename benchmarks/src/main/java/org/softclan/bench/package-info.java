/**
 * JMH micro-benchmarks of the softclan layers, packaged as {@code benchmarks/target/benchmarks.jar}.
 *
 * <p>{@link org.softclan.bench.JmhMain} is the jar's main: the JMH command line, with the JVM flags
 * Chronicle Bytes needs on JDK 17+ added to every forked JVM. {@link org.softclan.bench.WritePathBenchmark}
 * measures the NIC write path of {@code org.softclan.dsm} against a raw Chronicle store over the same
 * memory, one write per benchmark call; {@link org.softclan.bench.PioBurstBenchmark} repeats its
 * ordered 8-byte write back to back.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar WritePath -rf json -rff target/jmh-writepath.json
 * </pre>
 */
package org.softclan.bench;
