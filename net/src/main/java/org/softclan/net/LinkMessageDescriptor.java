package org.softclan.net;

/**
 * The layout of the messages NIC agents exchange over the link (one Aeron message each, little-endian,
 * the machine's order on every host this library runs on). Every message starts with the same 16-byte
 * header; the rest depends on its type. Names (regions, hosts) are US-ASCII, at most
 * {@value #MAX_NAME_LENGTH} bytes. Everything a message says is checked by the receiving agent before it
 * is acted on: a peer host is as untrusted as a peer process.
 *
 * <pre>
 * header (every message)
 *   0  int   type         one of the *_TYPE constants
 *   4  int   version      {@value #VERSION}
 *   8  long  request id   matches a reply to its request; 0 for one-way messages
 *
 * LOOKUP (importer's agent to owner's agent): may this host import region NAME with KEY?
 *  16  long  key
 *  24  int   length of the asking host's name
 *  28  int   length of the region's name
 *  32        host name, then region name
 *
 * LOOKUP_REPLY
 *  16  int   status       STATUS_*
 *  20  int   length of the text (the region's description, or why not)
 *  24  long  size of the region's data area, bytes
 *  32  long  generation
 *  40        text
 *
 * WRITE (one-way): a burst, or one ordered store, into the owner's region
 *  16  long  generation   the one the importer looked up: a region exported anew refuses it
 *  24  long  key          the key the importer presented (checked on every write)
 *  32  long  offset       from the start of the region's data area
 *  40  int   kind         KIND_*
 *  44  int   length of the region's name
 *  48  int   length of the data
 *  52  int   reserved (0)
 *  56        region name, then data
 *
 * READ (importer's agent to owner's agent)
 *  16  long  generation
 *  24  long  key
 *  32  long  offset
 *  40  int   length to read
 *  44  int   length of the asking host's name
 *  48  int   length of the region's name
 *  52  int   operation    OP_READ (0): plain loads, or an acquire load for 8 aligned bytes; OP_CAS, OP_ADD:
 *                         an atomic on the aligned long at offset (length 8), its operands after the names
 *  56        host name, then region name, then the operands: OP_CAS expected, update (2 longs); OP_ADD delta
 *
 * READ_REPLY
 *  16  int   status
 *  20  int   length of the data (or of the text when the status is not OK)
 *  24        data or text (OP_CAS: a long, 1 if it stored, else 0; OP_ADD: the long before the addition)
 *
 * HELLO (one-way, when a publication connects and then every half timeout): which host publishes on this
 * Aeron session, and which launch of its agent
 *  16  long  launch id    random, one per agent launch: a new one means the peer's agent restarted
 *  24  int   length of the host's name
 *  28        host name
 *
 * LIST (importer's agent to owner's agent): which regions may this host import?
 *  16  int   length of the asking host's name
 *  20        host name
 *
 * LIST_REPLY
 *  16  int   status
 *  20  int   count of entries
 *  24  int   1 if more regions exist than fit in one message, else 0
 *  28  int   reserved (0)
 *  32        entries, each: long size, long generation, int name length, name
 *
 * SYNC (importer's agent to owner's agent): answered once everything sent before it was applied
 *  16  int   length of the asking host's name
 *  20        host name
 *
 * SYNC_REPLY
 *  16  int   status (OK)
 *  20  int   0
 *
 * REFUSED (one-way, owner's agent to the host whose write it refused): the importer revokes its mapping
 *  16  int   status       STATUS_STALE or STATUS_ACCESS_DENIED
 *  20  int   length of the region's name
 *  24  long  generation   the one the refused write named
 *  32        region name
 * </pre>
 */
final class LinkMessageDescriptor {
    static final int VERSION = 1;
    static final int MAX_NAME_LENGTH = 255;

    static final int LOOKUP_TYPE = 1;
    static final int LOOKUP_REPLY_TYPE = 2;
    static final int WRITE_TYPE = 3;
    static final int READ_TYPE = 4;
    static final int READ_REPLY_TYPE = 5;
    static final int HELLO_TYPE = 6;
    static final int REFUSED_TYPE = 7;
    static final int LIST_TYPE = 8;
    static final int LIST_REPLY_TYPE = 9;
    static final int SYNC_TYPE = 10;
    static final int SYNC_REPLY_TYPE = 11;

    static final int TYPE_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int REQUEST_ID_OFFSET = 8;
    static final int HEADER_LENGTH = 16;

    static final int LOOKUP_KEY_OFFSET = 16;
    static final int LOOKUP_HOST_LENGTH_OFFSET = 24;
    static final int LOOKUP_NAME_LENGTH_OFFSET = 28;
    static final int LOOKUP_NAMES_OFFSET = 32;

    static final int REPLY_STATUS_OFFSET = 16;
    static final int REPLY_TEXT_LENGTH_OFFSET = 20;
    static final int LOOKUP_REPLY_SIZE_OFFSET = 24;
    static final int LOOKUP_REPLY_GENERATION_OFFSET = 32;
    static final int LOOKUP_REPLY_TEXT_OFFSET = 40;

    static final int WRITE_GENERATION_OFFSET = 16;
    static final int WRITE_KEY_OFFSET = 24;
    static final int WRITE_OFFSET_OFFSET = 32;
    static final int WRITE_KIND_OFFSET = 40;
    static final int WRITE_NAME_LENGTH_OFFSET = 44;
    static final int WRITE_DATA_LENGTH_OFFSET = 48;
    static final int WRITE_NAME_OFFSET = 56;

    static final int READ_GENERATION_OFFSET = 16;
    static final int READ_KEY_OFFSET = 24;
    static final int READ_OFFSET_OFFSET = 32;
    static final int READ_LENGTH_OFFSET = 40;
    static final int READ_HOST_LENGTH_OFFSET = 44;
    static final int READ_NAME_LENGTH_OFFSET = 48;
    static final int READ_OP_OFFSET = 52;
    static final int READ_NAMES_OFFSET = 56;

    /** READ operations: plain loads (or one acquire load of an aligned long). */
    static final int OP_READ = 0;
    /** READ operations: compare-and-set of an aligned long (operands: expected, update). */
    static final int OP_CAS = 1;
    /** READ operations: get-and-add of an aligned long (operand: delta). */
    static final int OP_ADD = 2;

    static final int HELLO_LAUNCH_OFFSET = 16;
    static final int HELLO_HOST_LENGTH_OFFSET = 24;
    static final int HELLO_HOST_OFFSET = 28;

    static final int LIST_HOST_LENGTH_OFFSET = 16;
    static final int LIST_HOST_OFFSET = 20;
    static final int LIST_REPLY_COUNT_OFFSET = 20;
    static final int LIST_REPLY_TRUNCATED_OFFSET = 24;
    static final int LIST_REPLY_ENTRIES_OFFSET = 32;
    /** Bytes of an entry before its name: size, generation, name length. */
    static final int LIST_ENTRY_HEADER_LENGTH = 20;

    static final int SYNC_HOST_LENGTH_OFFSET = 16;
    static final int SYNC_HOST_OFFSET = 20;
    static final int SYNC_REPLY_LENGTH = 24;

    static final int REFUSED_STATUS_OFFSET = 16;
    static final int REFUSED_NAME_LENGTH_OFFSET = 20;
    static final int REFUSED_GENERATION_OFFSET = 24;
    static final int REFUSED_NAME_OFFSET = 32;

    static final int READ_REPLY_DATA_OFFSET = 24;

    /** WRITE kinds: plain stores of the data (a burst). */
    static final int KIND_BYTES = 0;
    /** WRITE kinds: a release store of the 8 data bytes as one aligned long (every earlier write first). */
    static final int KIND_LONG_RELEASE = 1;
    /** WRITE kinds: a volatile store of the 8 data bytes as one aligned long. */
    static final int KIND_LONG_VOLATILE = 2;

    static final int STATUS_OK = 0;
    static final int STATUS_NO_SUCH_REGION = 1;
    static final int STATUS_ACCESS_DENIED = 2;
    static final int STATUS_STALE = 3;
    static final int STATUS_BOUNDS = 4;
    static final int STATUS_MALFORMED = 5;
    static final int STATUS_FAILED = 6;

    private LinkMessageDescriptor() {
    }

    /** {@return a status's name, for messages} */
    static String statusName(final int status) {
        return switch (status) {
            case STATUS_OK -> "ok";
            case STATUS_NO_SUCH_REGION -> "no such region";
            case STATUS_ACCESS_DENIED -> "access denied";
            case STATUS_STALE -> "stale generation";
            case STATUS_BOUNDS -> "out of bounds";
            case STATUS_MALFORMED -> "malformed";
            case STATUS_FAILED -> "failed";
            default -> "status " + status;
        };
    }
}
