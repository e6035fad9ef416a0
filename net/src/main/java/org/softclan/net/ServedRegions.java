package org.softclan.net;

import static org.softclan.net.LinkMessageDescriptor.KIND_BYTES;
import static org.softclan.net.LinkMessageDescriptor.KIND_LONG_RELEASE;
import static org.softclan.net.LinkMessageDescriptor.KIND_LONG_VOLATILE;
import static org.softclan.net.LinkMessageDescriptor.MAX_NAME_LENGTH;
import static org.softclan.net.LinkMessageDescriptor.STATUS_ACCESS_DENIED;
import static org.softclan.net.LinkMessageDescriptor.STATUS_BOUNDS;
import static org.softclan.net.LinkMessageDescriptor.STATUS_FAILED;
import static org.softclan.net.LinkMessageDescriptor.STATUS_MALFORMED;
import static org.softclan.net.LinkMessageDescriptor.STATUS_NO_SUCH_REGION;
import static org.softclan.net.LinkMessageDescriptor.STATUS_OK;
import static org.softclan.net.LinkMessageDescriptor.STATUS_STALE;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.NoSuchRegionException;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegionAccessException;
import org.softclan.dsm.RegionBoundsException;
import org.softclan.dsm.StaleRegionException;

/**
 * The owner's side of the link: the local regions peer hosts looked up, each imported once by the
 * agent's endpoint (so the agent's stores go through the same NIC write path as a local importer's:
 * bounds, generation, and the snoop that fires the region's tripwires on this host). Used by the agent's
 * duty thread only.
 */
final class ServedRegions implements AutoCloseable {
    /** One local region as served to peers: the agent's import and the key it was imported with. */
    private record Served(OutboundMapping mapping, long key) {
    }

    /** The outcome of one request: a status, and a text or nothing. */
    record Outcome(int status, String text) {
        static final Outcome OK = new Outcome(STATUS_OK, "");
    }

    private final Endpoint endpoint;
    private final Map<String, Served> byName = new HashMap<>();
    private byte[] scratch = new byte[4096];
    /** The last name {@link #nameAt} decoded, and its bytes. */
    private String lastName;
    private byte[] lastNameBytes;

    ServedRegions(final Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    /**
     * A peer host asks to import {@code name} with {@code key}: imports it here (once per generation) and
     * answers with its size and generation.
     *
     * @return the outcome; on success {@code sizeAndGeneration} holds the size and the generation
     */
    Outcome lookup(final String name, final long key, final long[] sizeAndGeneration) {
        if (!Fabric.isValidRegionName(name)) {
            return new Outcome(STATUS_MALFORMED, "'" + name + "' is not a region name");
        }
        if (Fabric.isReservedRegionName(name) && !connectable(name, key)) {
            // event queues (a write there would forge events) and whatever else the layers keep: not served
            return new Outcome(STATUS_ACCESS_DENIED, "region '" + name + "' is internal to this host");
        }
        Served s = byName.get(name);
        if (s != null && !valid(s.mapping)) {
            forget(name);
            s = null;
        }
        if (s != null && s.key != key) {
            return new Outcome(STATUS_ACCESS_DENIED, "wrong access key for region '" + name + "'");
        }
        if (s == null) {
            final OutboundMapping m;
            try {
                m = endpoint.importRegion(name, key);
            } catch (final NoSuchRegionException e) {
                return new Outcome(STATUS_NO_SUCH_REGION, e.getMessage());
            } catch (final RegionAccessException e) {
                return new Outcome(STATUS_ACCESS_DENIED, e.getMessage());
            } catch (final DsmException | IllegalArgumentException e) {
                return new Outcome(STATUS_FAILED, e.getMessage());
            }
            s = new Served(m, key);
            byName.put(name, s);
        }
        sizeAndGeneration[0] = s.mapping.size();
        sizeAndGeneration[1] = s.mapping.generation();
        return Outcome.OK;
    }

    /**
     * {@return whether a reserved name is one a connection across hosts needs}: a listen region
     * ({@code SERVICE.listen}, which any process that can import it may connect through, as on this host)
     * or a connection's receive ring ({@code cx-}/{@code sx-}, with the random key its answer gave; never
     * with key 0). Event queues ({@code evq-}) are never served: a peer that wrote there would forge events.
     */
    static boolean connectable(final String name, final long key) {
        return name.endsWith(".listen") || (name.startsWith("cx-") || name.startsWith("sx-")) && key != 0;
    }

    /** Drops the import of a region that is gone or exported anew: its memory is not kept mapped. */
    private void forget(final String name) {
        final Served s = byName.remove(name);
        if (s != null) {
            s.mapping.close();
        }
    }

    private static boolean valid(final OutboundMapping m) {
        try {
            return !m.isClosed() && m.isValid();
        } catch (final RuntimeException e) {
            return false;
        }
    }

    /**
     * Applies a WRITE from a peer host: checks the region was looked up with the same key and is still the
     * generation named, then stores through the agent's import (which checks the bounds and alignment and
     * snoops the write).
     *
     * @return the outcome; anything but OK means nothing was stored
     */
    Outcome write(final String name, final long generation, final long key, final long offset, final int kind,
                  final DirectBuffer data, final int dataOffset, final int length) {
        final Served s = byName.get(name);
        final Outcome refused = check(s, name, generation, key);
        if (refused != null) {
            return refused;
        }
        try {
            switch (kind) {
                case KIND_BYTES -> {
                    final byte[] array = data.byteArray();
                    if (array != null) {
                        // a message reassembled from fragments (the assembler's heap buffer): stored from there
                        s.mapping.put(offset, array, (int) (data.addressOffset() - org.agrona.BufferUtil.ARRAY_BASE_OFFSET)
                            + dataOffset, length);
                    } else {
                        // one fragment, in the term's native memory: through the scratch array (small: below one datagram)
                        if (scratch.length < length) {
                            scratch = new byte[Math.max(length, 2 * scratch.length)];
                        }
                        data.getBytes(dataOffset, scratch, 0, length);
                        s.mapping.put(offset, scratch, 0, length);
                    }
                }
                case KIND_LONG_RELEASE, KIND_LONG_VOLATILE -> {
                    if (length != Long.BYTES) {
                        return new Outcome(STATUS_MALFORMED, "an ordered store of " + length + " bytes");
                    }
                    final long value = data.getLong(dataOffset);
                    if (kind == KIND_LONG_RELEASE) {
                        s.mapping.putLongRelease(offset, value);
                    } else {
                        s.mapping.putLongVolatile(offset, value);
                    }
                }
                default -> {
                    return new Outcome(STATUS_MALFORMED, "write kind " + kind);
                }
            }
        } catch (final IllegalArgumentException | DsmException e) {
            return refused(e, name);
        }
        return Outcome.OK;
    }

    /**
     * Serves a READ: {@code length} bytes at {@code offset} into {@code into[0]} (grown as needed); an
     * aligned 8-byte read is one acquire load.
     */
    Outcome read(final String name, final long generation, final long key, final long offset, final int length,
                 final byte[][] into) {
        final Served s = byName.get(name);
        final Outcome refused = check(s, name, generation, key);
        if (refused != null) {
            return refused;
        }
        if (into[0].length < length) {
            into[0] = new byte[length];
        }
        try {
            if (length == Long.BYTES && (offset & 7) == 0) {
                final long v = s.mapping.getLongAcquire(offset);
                for (int i = 0; i < Long.BYTES; i++) {
                    into[0][i] = (byte) (v >>> (8 * i));   // little-endian, as the reply's other longs
                }
            } else {
                s.mapping.get(offset, into[0], 0, length);
            }
        } catch (final IllegalArgumentException | DsmException e) {
            return refused(e, name);
        }
        return Outcome.OK;
    }

    /**
     * Serves an atomic on the aligned long at {@code offset}: {@link LinkMessageDescriptor#OP_CAS} (operands
     * expected, update; answers 1 if it stored, else 0) or {@link LinkMessageDescriptor#OP_ADD} (operand
     * delta; answers the long before), the 8-byte answer in {@code into[0]}, little-endian.
     */
    Outcome atomic(final String name, final long generation, final long key, final long offset, final int op,
                   final long a, final long c, final byte[][] into) {
        final Served s = byName.get(name);
        final Outcome refused = check(s, name, generation, key);
        if (refused != null) {
            return refused;
        }
        final long v;
        try {
            v = op == LinkMessageDescriptor.OP_CAS ? (s.mapping.compareAndSetLong(offset, a, c) ? 1 : 0)
                : s.mapping.getAndAddLong(offset, a);
        } catch (final IllegalArgumentException | DsmException e) {
            return refused(e, name);
        }
        for (int i = 0; i < Long.BYTES; i++) {
            into[0][i] = (byte) (v >>> (8 * i));
        }
        return Outcome.OK;
    }

    /** {@return the outcome of a store or load the import refused} (a stale import is dropped) */
    private Outcome refused(final RuntimeException e, final String name) {
        if (e instanceof RegionBoundsException) {
            return new Outcome(STATUS_BOUNDS, e.getMessage());
        }
        if (e instanceof StaleRegionException) {
            forget(name);
            return new Outcome(STATUS_STALE, e.getMessage());
        }
        return new Outcome(STATUS_FAILED, e.getMessage());
    }

    /**
     * {@return the region name a WRITE carries}, without allocating when it is the previous write's (the
     * usual case: a stream of writes to one region); {@code null} if it is no name (see {@link #name})
     */
    String nameAt(final DirectBuffer b, final int offset, final int length) {
        final byte[] last = lastNameBytes;
        if (last != null && last.length == length) {
            int i = 0;
            while (i < length && b.getByte(offset + i) == last[i]) {
                i++;
            }
            if (i == length) {
                return lastName;
            }
        }
        final String n = name(b, offset, length);
        if (n != null) {
            lastName = n;
            lastNameBytes = n.getBytes(StandardCharsets.US_ASCII);
        }
        return n;
    }

    private static Outcome check(final Served s, final String name, final long generation, final long key) {
        if (s == null) {
            return new Outcome(STATUS_STALE, "region '" + name + "' is not served (never looked up, or gone since)");
        }
        if (s.key != key) {
            return new Outcome(STATUS_ACCESS_DENIED, "region '" + name + "': wrong key");
        }
        if (s.mapping.generation() != generation) {
            return new Outcome(STATUS_STALE, "region '" + name + "' is generation " + s.mapping.generation()
                + ", the write named " + generation);
        }
        return null;
    }

    /** {@return a name from a message, or null if it is not 1..255 printable US-ASCII bytes} */
    static String name(final DirectBuffer b, final int offset, final int length) {
        if (length < 1 || length > MAX_NAME_LENGTH) {
            return null;
        }
        final byte[] bytes = new byte[length];
        b.getBytes(offset, bytes);
        for (final byte c : bytes) {
            if (c < 0x21 || c > 0x7E) {
                return null;
            }
        }
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        for (final Served s : byName.values()) {
            s.mapping.close();
        }
        byName.clear();
    }
}
