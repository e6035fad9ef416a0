/**
 * The communication layers users program against, built only from mappings and tripwires:
 * connection set-up by name ({@link org.softclan.vmmc.Vmmc}, {@link org.softclan.vmmc.Listener}),
 * CLAN distributed message queues ({@link org.softclan.vmmc.Connection}), typed RPC
 * ({@code org.softclan.vmmc.rpc}) and byte streams with the JDK channel and stream interfaces
 * ({@code org.softclan.vmmc.stream}).
 */
package org.softclan.vmmc;
