package org.softclan.bench.peers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.ByteStreams;
import org.softclan.vmmc.stream.ByteStreamContext;
import org.softclan.vmmc.stream.Page;
import org.softclan.vmmc.stream.SendTechnique;
import org.softclan.vmmc.stream.SendTicket;
import org.softclan.vmmc.stream.StreamListener;

/**
 * {@code stream-<technique>}, one way only: this library's {@link ByteStream} with one
 * {@link SendTechnique}. The receiver listens on a service in the session's fabric and takes delivery
 * with {@link Config#receiveTechnique()}; both ends' receive ring is {@link Config#ringBytes()} and their
 * waits busy-spin or are competitive ({@link Config#busySpin()}). The sender writes each message with
 * {@link ByteStream#write} for the classical techniques, and with {@link ByteStream#send} for the others,
 * keeping up to one transfer per buffer slot in flight. Page exchange sends {@link Page}s, one per
 * slot, as its users do: the first send of a slot puts the whole message into the page, later ones only
 * what the rig changed in the slot's buffer (its {@value MessageCheck#HEADER}-byte header: the body is
 * filled once), through the page's copy-on-write checks, so a page still in flight is duplicated.
 */
final class ByteStreamTransport extends PeerTransport {
    private static final long CONNECT_SECONDS = 30;
    private static final long ACCEPT_SLICE_MS = 100;

    private final SendTechnique technique;

    ByteStreamTransport(final SendTechnique technique) {
        super("stream-" + technique.cliName(), "byte stream, send technique " + technique.cliName(), false, true);
        this.technique = technique;
    }

    private static ConnectionContext context(final Config c) {
        return new ConnectionContext().ringCapacity(c.ringBytes())
            .waitStrategy(c.busySpin() ? WaitStrategy.busySpin() : WaitStrategy.competitive());
    }

    @Override
    public Receiver receiver(final Config c, final Rig rig, final Map<String, String> toSender) {
        final String service = "tp-stream-" + rig.nextId();
        final StreamListener listener = ByteStreams.listen(rig.endpoint(), service, context(c));
        toSender.put("service", service);
        return new Receiver() {
            private ByteStream stream;

            @Override
            public void start(final Liveness peer) throws IOException {
                while (stream == null) {
                    peer.check();
                    stream = listener.accept(ACCEPT_SLICE_MS, TimeUnit.MILLISECONDS,
                        new ByteStreamContext().receiveTechnique(c.receiveTechnique()));
                }
            }

            @Override
            public int read(final ByteBuffer dst) throws IOException {
                return stream.read(dst);
            }

            @Override
            public void abort() {
                if (stream != null) {
                    stream.close();
                }
            }

            @Override
            public void close() {
                abort();
                listener.close();
            }
        };
    }

    @Override
    public Sender sender(final Config c, final Rig rig, final Map<String, String> fromReceiver, final int slots) {
        final ByteStream stream = ByteStreams.connect(rig.endpoint(), fromReceiver.get("service"), context(c),
            new ByteStreamContext().sendTechnique(technique), CONNECT_SECONDS, TimeUnit.SECONDS);
        final SendTicket[] tickets = new SendTicket[slots];
        final boolean pipelined = !technique.classicalSemantics();
        final Page[] pages = technique == SendTechnique.PAGE_EXCHANGE ? new Page[slots] : null;
        try {
            return new SlotSender(slots, technique == SendTechnique.DIRECT_DMA
                ? n -> stream.allocateSendBuffer(n).order(ByteOrder.LITTLE_ENDIAN) : Rig::pageAligned, c.size()) {
                @Override
                public void awaitFree(final int slot) throws IOException {
                    final SendTicket t = tickets[slot];
                    if (t != null) {
                        t.awaitReady(CONNECT_SECONDS, TimeUnit.SECONDS);
                        tickets[slot] = null;
                    }
                }

                @Override
                public void send(final int slot, final int size) throws IOException {
                    final ByteBuffer b = buffers[slot];
                    b.limit(size).position(0);
                    if (pages != null) {
                        Page page = pages[slot];
                        if (page == null) {
                            page = pages[slot] = stream.newPage(c.size());
                            page.put(0, b);   // the whole message, once
                        } else {
                            page.put(0, b.limit(MessageCheck.HEADER));   // what changed since its last send
                        }
                        stream.send(page, 0, size);
                    } else if (pipelined) {
                        tickets[slot] = stream.send(b);
                    } else {
                        stream.write(b);
                    }
                }

                @Override
                public void finish() throws IOException {
                    for (int s = 0; s < slots; s++) {
                        awaitFree(s);
                    }
                    stream.shutdownOutput();
                }

                @Override
                public void close() {
                    if (pages != null) {
                        for (final Page p : pages) {
                            if (p != null) {
                                p.close();
                            }
                        }
                    }
                    stream.close();
                }
            };
        } catch (final RuntimeException e) {
            stream.close();
            throw e;
        }
    }
}
