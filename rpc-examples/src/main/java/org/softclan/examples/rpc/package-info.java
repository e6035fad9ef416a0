/**
 * The RPC demo: a key-value store served over VMMC RPC ({@link org.softclan.examples.rpc.KvServer}) and a
 * client that runs a scripted workload and a timed loop against it, checking every answer against a
 * local model ({@link org.softclan.examples.rpc.KvClient}). Server and client normally run as separate
 * JVMs on one fabric; {@code ./vmmc demo rpc} starts both.
 */
package org.softclan.examples.rpc;
