/**
 * Operating-system primitives for processes that share {@code dsm} regions: {@link
 * org.softclan.tripwire.os.Futex}, a cross-process block/wake on a 32-bit word of a shared mapping
 * (Linux {@code futex(2)}, with a parking fallback elsewhere), and {@link
 * org.softclan.tripwire.os.Membarrier}, an asymmetric memory barrier (Linux {@code membarrier(2)})
 * that lets the rare side of a store/load handshake pay for the fence the frequent side omits.
 *
 * <p>Both reach the kernel through libc's {@code syscall(2)} with JNA direct mapping and probe once,
 * at class initialisation, whether the call works; each reports it with {@code isAvailable()} and
 * {@code describe()}. Addresses are absolute native addresses, as given by a Chronicle view of a
 * mapping ({@code InboundMapping.localBytes().addressForRead(offset)}).
 */
package org.softclan.tripwire.os;
