/**
 * The simulated non-coherent distributed-shared-memory network interface (NIC) of a software CLAN.
 *
 * <p>A {@link org.softclan.dsm.Fabric} is the place regions live on one host and are named. An
 * {@link org.softclan.dsm.Endpoint} is one attachment of a process to a fabric. An endpoint
 * <em>exports</em> a region of fixed size and holds its {@link org.softclan.dsm.InboundMapping}
 * (local memory others write into); another endpoint, usually in another JVM, <em>imports</em> it by
 * name and key and holds an {@link org.softclan.dsm.OutboundMapping} (remote memory it writes into).
 *
 * <p>Every transfer through an outbound mapping, programmed I/O ({@code putLong}, bulk puts) or
 * DMA ({@link org.softclan.dsm.DmaEngine}), goes through the NIC write path: bounds and state
 * checks, a {@link org.softclan.dsm.Link} that stores the bytes where they land, then the
 * {@link org.softclan.dsm.SnoopHook} that the Tripwire unit plugs into. Nothing in this package knows
 * a tripwire exists.
 *
 * <p>Regions are memory-mapped files (by default under {@code /dev/shm}); see
 * {@link org.softclan.dsm.RegionLayout} for the file layout.
 */
package org.softclan.dsm;
