package org.softclan.cli;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.ClosedException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.RegionTruncatedException;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Listener;
import org.softclan.vmmc.MessageHandler;
import org.softclan.vmmc.PeerGoneException;
import org.softclan.vmmc.PeerProtocolException;
import org.softclan.vmmc.SendTimeoutException;
import org.softclan.vmmc.Vmmc;

/**
 * The message-queue workers of {@code vmmc soak}: a writer that sends numbered, checksummed records
 * ({@link SoakRecord}) as fast as a light throttle lets it, and a reader that listens, accepts every
 * connection (a hostile peer may connect too), and counts what it receives on the writer's connection
 * with a {@link SequenceCheck}. A connection whose first message is not the hello with the soak's token
 * is a stranger's: what it delivers is counted apart, and its failure only drops it.
 */
final class SoakMqWorkers {
    /** Ring of each end: small, so that back-pressure is common. */
    static final int RING = 1 << 16;
    /** Timeout of each receive and send. */
    static final long WAIT_MS = 2_000;

    private SoakMqWorkers() {
    }

    static String reader(final SoakWorker w, final Path dir, final String service, final long token) throws Exception {
        w.line("exporting");
        try (Fabric fabric = Fabric.open(dir);
             Endpoint ep = fabric.openEndpoint("soak-mq-reader");
             Listener listener = Vmmc.listen(ep, service, new ConnectionContext().ringCapacity(RING))) {
            w.line("ready");
            return SoakEnding.acceptUntilEnded(w, listener::accept, (peer, ended) -> read(w, peer, token, ended),
                "soak-mq-read", WAIT_MS * 2);
        }
    }

    private static void read(final SoakWorker w, final Connection c, final long token,
                             final SoakEnding ended) {
        final byte[] buf = new byte[RING];
        final SequenceCheck check = new SequenceCheck();
        final boolean[] legit = new boolean[1];
        final boolean[] first = {true};
        final long[] closedAt = new long[1];
        final MessageHandler handler = (store, offset, length) -> {
            if (length > buf.length || length < 0) {
                w.stat(legit[0] ? "torn" : "stranger-msgs").incrementAndGet();
                return;
            }
            store.read(offset, buf, 0, length);
            if (first[0]) {
                first[0] = false;
                legit[0] = SoakRecord.isHello(buf, length, token);
                if (legit[0]) {
                    w.onCloseUnderWaiter(() -> {
                        closedAt[0] = System.nanoTime();
                        c.close();
                        w.timed("close-under-waiter", closedAt[0], Connection.CLOSE_WAIT_MS + SoakWorker.GRACE_MS);
                    });
                } else {
                    w.stat("stranger-conns").incrementAndGet();
                }
                return;
            }
            if (legit[0]) {
                final long seq = SoakRecord.decode(buf, length);
                check.accept(seq, seq >= 0);
            } else {
                w.stat("stranger-msgs").incrementAndGet();
            }
        };
        String reason = null;
        try {
            while (true) {
                if (legit[0] && w.stopping()) {
                    reason = "stopped";
                    break;
                }
                final long t0 = System.nanoTime();
                final int n = c.receive(handler, 64, WAIT_MS, TimeUnit.MILLISECONDS);
                w.timed("receive", t0, WAIT_MS + SoakWorker.GRACE_MS);
                if (legit[0]) {
                    publish(w, check);
                }
                if (n == 0 && legit[0]) {
                    w.stat("receive-timeouts").incrementAndGet();
                }
            }
        } catch (final PeerProtocolException e) {
            reason = "protocol-error " + e.getMessage();
        } catch (final PeerGoneException e) {
            reason = "peer-gone";
        } catch (final RegionTruncatedException e) {
            reason = "truncated " + e.getMessage();
        } catch (final ClosedException e) {
            if (closedAt[0] != 0) {
                final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt[0]);
                w.line("cuw ms=" + ms);
                w.timed("receive-after-close", closedAt[0], Connection.CLOSE_WAIT_MS + SoakWorker.GRACE_MS);
                reason = "closed-under-waiter";
            } else {
                reason = "closed";
            }
        } catch (final Throwable t) {
            if (legit[0]) {
                w.error("receiving", t);
            }
            reason = "error";
        } finally {
            try {
                c.close();
            } catch (final Throwable t) {
                w.error("closing " + (legit[0] ? "the peer's connection" : "a stranger's connection"), t);
            }
        }
        if (legit[0]) {
            publish(w, check);
            ended.end(reason);
        } else {
            w.stat("stranger-dropped").incrementAndGet();
            if ("peer-gone".equals(reason)) {
                w.line("unidentified-gone reason=" + reason);
            }
        }
    }

    private static void publish(final SoakWorker w, final SequenceCheck check) {
        w.stat("received").set(check.received());
        w.stat("lost").set(check.lost());
        w.stat("duplicated").set(check.duplicated());
        w.stat("reordered").set(check.reordered());
        w.stat("torn").set(check.torn());
        w.stat("highest").set(check.highest());
    }

    static String writer(final SoakWorker w, final Path dir, final String service, final long seed, final long token)
        throws Exception {
        try (Fabric fabric = Fabric.open(dir);
             Endpoint ep = fabric.openEndpoint("soak-mq-writer")) {
            w.line("connecting");
            final long t0 = System.nanoTime();
            final Connection c = Vmmc.connect(ep, service, new ConnectionContext().ringCapacity(RING), 10, TimeUnit.SECONDS);
            w.timed("connect", t0, 10_000 + SoakWorker.GRACE_MS);
            w.line("connected");
            final long[] closedAt = new long[1];
            w.onCloseUnderWaiter(() -> {
                closedAt[0] = System.nanoTime();
                c.close();
            });
            try (c) {
                final byte[] hello = SoakRecord.hello(token);
                c.send(hello, WAIT_MS, TimeUnit.MILLISECONDS);
                final SplittableRandom rnd = new SplittableRandom(seed);
                final int max = Math.min(c.maxMessage(), RING / 2) - SoakRecord.OVERHEAD;
                final byte[] buf = new byte[max + SoakRecord.OVERHEAD];
                long seq = 0;
                while (!w.stopping()) {
                    final int payload = rnd.nextInt(16) == 0 ? rnd.nextInt(max + 1) : rnd.nextInt(512);
                    final int n = SoakRecord.encode(seq + 1, payload, rnd, buf);
                    final long s0 = System.nanoTime();
                    try {
                        c.send(buf, 0, n, WAIT_MS, TimeUnit.MILLISECONDS);
                        seq++;
                        w.stat("sent").set(seq);
                    } catch (final SendTimeoutException e) {
                        w.stat("send-timeouts").incrementAndGet();
                    }
                    w.timed("send", s0, WAIT_MS + SoakWorker.GRACE_MS);
                    if ((seq & 31) == 0) {
                        w.pause(1);
                    }
                }
                return "stopped";
            } catch (final PeerProtocolException e) {
                return "protocol-error " + e.getMessage();
            } catch (final PeerGoneException e) {
                return "peer-gone";
            } catch (final RegionTruncatedException e) {
                return "truncated " + e.getMessage();
            } catch (final ClosedException e) {
                if (closedAt[0] != 0) {
                    w.line("cuw ms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt[0]));
                    return "closed-under-waiter";
                }
                throw e;
            }
        }
    }
}
