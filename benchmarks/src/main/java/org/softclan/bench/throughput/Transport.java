package org.softclan.bench.throughput;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import org.softclan.vmmc.stream.SendTechnique;

/**
 * A way to move bytes one way between two JVMs on one host, as named on the command line:
 * {@code raw}, {@code stream-<send technique>} (e.g. {@code stream-pio}), {@code aeron-ipc},
 * {@code tcp}, {@code uds}.
 */
public final class Transport {
    /** The families of transports. */
    public enum Kind {
        /** A bare single-producer single-consumer byte ring in a shared region: the floor. */
        RAW,
        /** A {@code org.softclan.vmmc.stream.ByteStream} with one send technique. */
        STREAM,
        /** Aeron {@code aeron:ipc} with an embedded media driver. */
        AERON_IPC,
        /** A TCP connection over the loopback interface. */
        TCP,
        /** A Unix domain stream socket. */
        UDS
    }

    private final Kind kind;
    private final SendTechnique technique;

    private Transport(final Kind kind, final SendTechnique technique) {
        this.kind = kind;
        this.technique = technique;
    }

    /** @return the bare shared-memory ring */
    public static Transport raw() {
        return new Transport(Kind.RAW, null);
    }

    /**
     * @param technique the sender's technique
     * @return a byte stream sending with {@code technique}
     */
    public static Transport stream(final SendTechnique technique) {
        return new Transport(Kind.STREAM, Objects.requireNonNull(technique, "technique"));
    }

    /** @return Aeron IPC */
    public static Transport aeronIpc() {
        return new Transport(Kind.AERON_IPC, null);
    }

    /** @return TCP loopback */
    public static Transport tcp() {
        return new Transport(Kind.TCP, null);
    }

    /** @return Unix domain sockets */
    public static Transport uds() {
        return new Transport(Kind.UDS, null);
    }

    /** @return every transport, in the order tables list them */
    public static List<Transport> all() {
        final List<Transport> all = new ArrayList<>();
        all.add(raw());
        for (final SendTechnique t : SendTechnique.values()) {
            all.add(stream(t));
        }
        all.add(aeronIpc());
        all.add(tcp());
        all.add(uds());
        return Collections.unmodifiableList(all);
    }

    /**
     * @param name a {@link #cliName()}, any case
     * @return the transport
     * @throws IllegalArgumentException naming the choices if there is none of that name
     */
    public static Transport parse(final String name) {
        for (final Transport t : all()) {
            if (t.cliName().equalsIgnoreCase(name.trim())) {
                return t;
            }
        }
        final StringBuilder names = new StringBuilder();
        for (final Transport t : all()) {
            names.append(names.length() == 0 ? "" : ", ").append(t.cliName());
        }
        throw new IllegalArgumentException("no transport '" + name + "'; choose one of " + names);
    }

    /** @return the family */
    public Kind kind() {
        return kind;
    }

    /** @return the send technique of a {@link Kind#STREAM} transport, else null */
    public SendTechnique technique() {
        return technique;
    }

    /** @return the name used on command lines and in tables */
    public String cliName() {
        switch (kind) {
            case RAW:
                return "raw";
            case STREAM:
                return "stream-" + technique.cliName();
            case AERON_IPC:
                return "aeron-ipc";
            case TCP:
                return "tcp";
            default:
                return "uds";
        }
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof Transport && ((Transport) o).kind == kind && ((Transport) o).technique == technique;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Objects.hashCode(technique);
    }

    @Override
    public String toString() {
        return cliName();
    }
}
