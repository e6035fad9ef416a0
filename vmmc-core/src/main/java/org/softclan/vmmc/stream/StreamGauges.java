package org.softclan.vmmc.stream;

import org.agrona.concurrent.status.AtomicCounter;
import org.softclan.dsm.stat.CounterGroup;
import org.softclan.dsm.stat.StatTypes;

/**
 * A stream end's counters in its endpoint's statistics file ({@code vmmc stat}), beside its connection's:
 * stream bytes and sends, frames and bytes received, deposits and time blocked on back-pressure. The labels
 * name the send technique and receive technique the stream was made with. Set by the publisher from plain
 * fields the writer and reader keep under their own locks (read racily: a figure may be one publication
 * behind, never torn on a 64-bit JVM), so a send or a poll pays one plain add.
 */
final class StreamGauges {
    private final CounterGroup group;

    StreamGauges(final StreamEnd end, final StreamWriter writer, final StreamReader reader, final PostTable posts) {
        final String of = ", stream " + end.connection.name() + " (send " + writer.sendTechnique() + ", receive "
            + posts.receiveTechnique() + ")";
        group = new CounterGroup(end.endpoint.stats());
        final AtomicCounter bytesSent = group.counter("stream bytes sent" + of, StatTypes.STREAM_BYTES_SENT);
        final AtomicCounter sends = group.counter("sends" + of, StatTypes.STREAM_SENDS);
        final AtomicCounter deposits = group.counter("sends deposited into the peer's posted buffers" + of,
            StatTypes.STREAM_DEPOSITS_SENT);
        final AtomicCounter blocked = group.counter("us writes waited for room or a post" + of,
            StatTypes.STREAM_WRITE_BLOCKED_MICROS);
        final AtomicCounter frames = group.counter("frames received" + of, StatTypes.STREAM_FRAMES_RECEIVED);
        final AtomicCounter bytesReceived = group.counter("stream bytes received" + of, StatTypes.STREAM_BYTES_RECEIVED);
        group.beforePublish(() -> {
            bytesSent.setRelease(writer.bytesSent());
            sends.setRelease(writer.sends());
            deposits.setRelease(writer.depositsSent());
            blocked.setRelease(writer.writeBlockedNanos() / 1_000);
            frames.setRelease(reader.framesReceived());
            bytesReceived.setRelease(reader.bytesReceived());
        });
    }

    /** Removes the counters. Idempotent. */
    void close() {
        group.close();
    }
}
