/** Runnable RPC demos (server and client as separate JVMs). Not built yet. */
package org.softclan.examples.rpc;
