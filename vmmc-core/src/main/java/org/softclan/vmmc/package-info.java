/**
 * The communication layers users program against: connection set-up by name, message queues, RPC
 * and byte streams, all built only from mappings and tripwires. Not built yet.
 */
package org.softclan.vmmc;
