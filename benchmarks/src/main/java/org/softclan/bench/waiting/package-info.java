/**
 * {@code ./vmmc bench waiting}: the competitive-waiting experiment. Between two JVMs, messages arrive after gaps
 * from 1 us to 10 ms; for each gap and wait strategy, {@link org.softclan.bench.waiting.WaitingCommand}
 * reports the receiver's CPU time per message, the latency, and their sum beside the better pure strategy.
 * The sending JVM is a {@link org.softclan.bench.waiting.WaitingPeer}.
 */
package org.softclan.bench.waiting;
