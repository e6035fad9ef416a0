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
    /** Bytes a connection wrote into its peer's ring (records and padding). */
    public static final int CONNECTION_BYTES_SENT = 20;
    /** Bytes a connection read from its own ring (records and padding). */
    public static final int CONNECTION_BYTES_RECEIVED = 21;
    /** Messages a connection handed to its receivers. */
    public static final int CONNECTION_MESSAGES_RECEIVED = 22;
    /** Bytes a connection sent that its peer has not yet been seen to read (a gauge: the ring's fill). */
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
    /** Requests an RPC server handed to its handlers. */
    public static final int RPC_REQUESTS = 33;
    /** Requests whose handler threw (answered with an error). */
    public static final int RPC_HANDLER_ERRORS = 34;
    /** Clients an RPC server serves now (a gauge). */
    public static final int RPC_CLIENTS = 35;
    /** Clients an RPC server dropped (gone, broken, or not reading their answers). */
    public static final int RPC_CLIENTS_DROPPED = 36;
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
            case TRIPWIRES_ARMED -> "tripwires-armed";
            case EVENTS_QUEUED -> "events-queued";
            case EVENT_OVERFLOWS -> "event-overflows";
            case EVENTS_DROPPED -> "events-dropped";
            case EVENTS_SKIPPED -> "events-skipped";
            case THREADS_BLOCKED -> "threads-blocked";
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
            case RPC_REQUESTS -> "rpc-requests";
            case RPC_HANDLER_ERRORS -> "rpc-handler-errors";
            case RPC_CLIENTS -> "rpc-clients";
            case RPC_CLIENTS_DROPPED -> "rpc-clients-dropped";
            case APPLICATION -> "application";
            default -> "type " + typeId;
        };
    }
}
