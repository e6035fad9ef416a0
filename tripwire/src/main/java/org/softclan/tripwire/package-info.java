/**
 * The Tripwire unit: arms addresses and ranges of regions, matches every transfer the NIC snoops
 * against them, and fires synchronisation events (event-queue entries, counters, wake-ups). It plugs
 * into the {@link org.softclan.dsm.SnoopHook} of the {@code dsm} module; {@code os} holds the futex and
 * membarrier system calls it waits and fences with.
 */
package org.softclan.tripwire;
