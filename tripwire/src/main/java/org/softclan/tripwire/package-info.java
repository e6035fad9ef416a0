/**
 * The Tripwire unit: arms addresses and ranges of regions, matches every transfer the NIC snoops
 * against them, and fires synchronisation events (event-queue entries, counters, wake-ups). It plugs
 * into the {@link org.softclan.dsm.SnoopHook} of the {@code dsm} module. Not built yet.
 */
package org.softclan.tripwire;
