package org.softclan.dsm.stat;

/**
 * The type ids of the counters in an endpoint's statistics file: what a counter counts, for readers that
 * group or filter them ({@code vmmc stat}). Labels say which object a counter belongs to.
 */
public final class StatTypes {
    /** Regions the endpoint exports now (a gauge). */
    public static final int REGIONS_EXPORTED = 1;
    /** Regions the endpoint imports now (a gauge). */
    public static final int REGIONS_IMPORTED = 2;
    /** Regions exported since the endpoint opened. */
    public static final int REGIONS_EXPORTED_TOTAL = 3;
    /** Regions imported since the endpoint opened. */
    public static final int REGIONS_IMPORTED_TOTAL = 4;
    /** Errors recorded in the endpoint's error log since it opened. */
    public static final int ERRORS = 5;
    /** Bytes the endpoint's threads stored into imported regions by programmed I/O. */
    public static final int PIO_BYTES_WRITTEN = 6;
    /** Bytes the endpoint's DMA engine wrote into regions (completed writes and ordered stores). */
    public static final int DMA_BYTES_WRITTEN = 7;
    /** Commands issued to the endpoint's DMA engine. */
    public static final int DMA_TRANSFERS_ISSUED = 8;
    /** Commands of the endpoint's DMA engine that completed. */
    public static final int DMA_TRANSFERS_COMPLETED = 9;
    /** Bytes the endpoint's DMA engine read from regions. */
    public static final int DMA_BYTES_READ = 50;
    /** Commands of the endpoint's DMA engine that failed. */
    public static final int DMA_TRANSFERS_FAILED = 51;
    /** Tripwires the endpoint's transfers fired (in any unit's tables). */
    public static final int TRIPWIRES_FIRED = 52;
    /** Tripwires a Tripwire unit has armed now (a gauge). */
    public static final int TRIPWIRES_ARMED = 10;
    /** Events in a unit's queue not yet polled (a gauge). */
    public static final int EVENTS_QUEUED = 11;
    /** Posts that found a unit's queue full: events lost (the queue's own count). */
    public static final int EVENT_OVERFLOWS = 12;
    /** Events a unit's poll dropped as unknown or forged. */
    public static final int EVENTS_DROPPED = 13;
    /** Event slots a unit's poll skipped (a poster claimed them and never published). */
    public static final int EVENTS_SKIPPED = 14;
    /** Threads blocked on a unit's queue now (a gauge). */
    public static final int THREADS_BLOCKED = 15;
    /** Events posted to a unit's queue (its tail: positions claimed by posters in any process). */
    public static final int EVENTS_POSTED = 16;
    /** Events a unit's owner consumed from its queue. */
    public static final int EVENTS_POLLED = 17;
    /** Blocking waits on a unit's queue by threads of its process. */
    public static final int BLOCKS = 18;
    /** Futex wake-ups received by threads blocked on a unit's queue. */
    public static final int WAKE_UPS = 19;
    /** Microseconds threads spent blocked on a unit's queue, summed. */
    public static final int BLOCKED_MICROS = 53;
    /** Bytes a connection wrote into its peer's ring (records and padding). */
    public static final int CONNECTION_BYTES_SENT = 20;
    /** Bytes a connection read from its own ring (records and padding). */
    public static final int CONNECTION_BYTES_RECEIVED = 21;
    /** Messages a connection handed to its receivers. */
    public static final int CONNECTION_MESSAGES_RECEIVED = 22;
    /**
     * Bytes a connection sent that its peer has not yet been seen to read (a gauge: the ring's fill at most;
     * the sender looks at the peer's read position only when it needs room, so it may be well below).
     */
    public static final int CONNECTION_IN_FLIGHT = 23;
    /** Sends that waited for room in the peer's ring. */
    public static final int CONNECTION_ROOM_WAITS = 24;
    /** Receives that waited for data. */
    public static final int CONNECTION_DATA_WAITS = 25;
    /** A connection's state: 0 open, 1 closed, 2 broken by its peer (a gauge). */
    public static final int CONNECTION_STATE = 26;
    /** Calls an RPC client made. */
    public static final int RPC_CALLS = 30;
    /** Calls of an RPC client in flight (a gauge). */
    public static final int RPC_IN_FLIGHT = 31;
    /** Calls of an RPC client that got no answer in time. */
    public static final int RPC_TIMEOUTS = 32;
    /** Calls of an RPC client that failed, one counter per kind of failure (named in the label; timeouts are {@link #RPC_TIMEOUTS}). */
    public static final int RPC_FAILURES = 37;
    /** Requests an RPC server handed to its handlers. */
    public static final int RPC_REQUESTS = 33;
    /** Requests whose handler threw (answered with an error). */
    public static final int RPC_HANDLER_ERRORS = 34;
    /** Clients an RPC server serves now (a gauge). */
    public static final int RPC_CLIENTS = 35;
    /** Clients an RPC server dropped (gone, broken, or not reading their answers). */
    public static final int RPC_CLIENTS_DROPPED = 36;
    /** Stream bytes a stream end sent. */
    public static final int STREAM_BYTES_SENT = 40;
    /** Sends and writes of a stream end that sent bytes. */
    public static final int STREAM_SENDS = 41;
    /** Sends of a stream end deposited straight into buffers its peer posted. */
    public static final int STREAM_DEPOSITS_SENT = 42;
    /** Microseconds a stream end's writes waited for room or a post (back-pressure). */
    public static final int STREAM_WRITE_BLOCKED_MICROS = 43;
    /** Frames a stream end received. */
    public static final int STREAM_FRAMES_RECEIVED = 44;
    /** Stream bytes a stream end received (in frames and deposits). */
    public static final int STREAM_BYTES_RECEIVED = 45;
    /** Socket connections of a process the socket layer accelerated. */
    public static final int SOCKETS_ACCELERATED = 60;
    /** Socket connections the socket layer left on TCP, one counter per reason (named in the label). */
    public static final int SOCKETS_FALLBACK = 61;
    /** Bytes accelerated sockets sent through shared memory. */
    public static final int SOCKETS_BYTES_SENT = 62;
    /** Bytes accelerated sockets received through shared memory. */
    public static final int SOCKETS_BYTES_RECEIVED = 63;
    /** Hand-shakes the socket layer's servers refused. */
    public static final int SOCKETS_HANDSHAKES_REFUSED = 64;
    /** A counter an application allocated for itself. */
    public static final int APPLICATION = 1000;

    private StatTypes() {
    }

    /**
     * {@return the short name of a type id, or {@code "type N"}}
     *
     * @param typeId the type id
     */
    public static String name(final int typeId) {
        return switch (typeId) {
            case REGIONS_EXPORTED -> "regions-exported";
            case REGIONS_IMPORTED -> "regions-imported";
            case REGIONS_EXPORTED_TOTAL -> "regions-exported-total";
            case REGIONS_IMPORTED_TOTAL -> "regions-imported-total";
            case ERRORS -> "errors";
            case PIO_BYTES_WRITTEN -> "pio-bytes-written";
            case DMA_BYTES_WRITTEN -> "dma-bytes-written";
            case DMA_TRANSFERS_ISSUED -> "dma-issued";
            case DMA_TRANSFERS_COMPLETED -> "dma-completed";
            case DMA_BYTES_READ -> "dma-bytes-read";
            case DMA_TRANSFERS_FAILED -> "dma-failed";
            case TRIPWIRES_FIRED -> "tripwires-fired";
            case TRIPWIRES_ARMED -> "tripwires-armed";
            case EVENTS_QUEUED -> "events-queued";
            case EVENT_OVERFLOWS -> "event-overflows";
            case EVENTS_DROPPED -> "events-dropped";
            case EVENTS_SKIPPED -> "events-skipped";
            case THREADS_BLOCKED -> "threads-blocked";
            case EVENTS_POSTED -> "events-posted";
            case EVENTS_POLLED -> "events-polled";
            case BLOCKS -> "blocks";
            case WAKE_UPS -> "wake-ups";
            case BLOCKED_MICROS -> "blocked-us";
            case CONNECTION_BYTES_SENT -> "conn-bytes-sent";
            case CONNECTION_BYTES_RECEIVED -> "conn-bytes-received";
            case CONNECTION_MESSAGES_RECEIVED -> "conn-messages-received";
            case CONNECTION_IN_FLIGHT -> "conn-in-flight";
            case CONNECTION_ROOM_WAITS -> "conn-room-waits";
            case CONNECTION_DATA_WAITS -> "conn-data-waits";
            case CONNECTION_STATE -> "conn-state";
            case RPC_CALLS -> "rpc-calls";
            case RPC_IN_FLIGHT -> "rpc-in-flight";
            case RPC_TIMEOUTS -> "rpc-timeouts";
            case RPC_FAILURES -> "rpc-failures";
            case RPC_REQUESTS -> "rpc-requests";
            case RPC_HANDLER_ERRORS -> "rpc-handler-errors";
            case RPC_CLIENTS -> "rpc-clients";
            case RPC_CLIENTS_DROPPED -> "rpc-clients-dropped";
            case STREAM_BYTES_SENT -> "stream-bytes-sent";
            case STREAM_SENDS -> "stream-sends";
            case STREAM_DEPOSITS_SENT -> "stream-deposits-sent";
            case STREAM_WRITE_BLOCKED_MICROS -> "stream-write-blocked-us";
            case STREAM_FRAMES_RECEIVED -> "stream-frames-received";
            case STREAM_BYTES_RECEIVED -> "stream-bytes-received";
            case SOCKETS_ACCELERATED -> "sockets-accelerated";
            case SOCKETS_FALLBACK -> "sockets-fallback";
            case SOCKETS_BYTES_SENT -> "sockets-bytes-sent";
            case SOCKETS_BYTES_RECEIVED -> "sockets-bytes-received";
            case SOCKETS_HANDSHAKES_REFUSED -> "sockets-handshakes-refused";
            case APPLICATION -> "application";
            default -> "type " + typeId;
        };
    }
}
