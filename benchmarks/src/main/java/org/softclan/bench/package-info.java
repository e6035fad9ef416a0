/**
 * The two-JVM benchmark harness, {@code ./vmmc bench} ({@link org.softclan.bench.BenchMain}):
 * {@code pingpong}, {@code compare}, {@code stream} and {@code techniques}, on one rig and one
 * transport SPI ({@link org.softclan.bench.peers}). Packaged as {@code benchmarks/target/benchmarks.jar}.
 *
 * <p>The JMH micro-benchmarks are a module of their own ({@code jmh}, package {@code org.softclan.jmh}):
 * {@code ./vmmc bench jmh} runs them from {@code jmh/target/jmh.jar}, so this harness carries no JMH.
 */
package org.softclan.bench;
