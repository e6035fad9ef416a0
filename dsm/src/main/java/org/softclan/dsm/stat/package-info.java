/**
 * An endpoint's statistics in a file any process can read: counters (Agrona's, as in Aeron's CnC file)
 * and a distinct-error log, written by the owner's publisher thread ({@link org.softclan.dsm.stat.EndpointStats})
 * and read by {@link org.softclan.dsm.stat.StatReader} ({@code vmmc stat}). Layout:
 * {@link org.softclan.dsm.stat.StatFileDescriptor}.
 */
package org.softclan.dsm.stat;
