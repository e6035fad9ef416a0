package org.softclan.vmmc.stream;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;

/**
 * A hostile byte-stream peer run in its own JVM by {@link HostileStreamPeerCrossProcessTest}: it
 * connects like any stream client (a real {@link ByteStream}), sends a legitimate prefix, then writes
 * garbage where the other end reads it: frames in its ring (sent as well-formed connection records),
 * the control area and post table of its receive region, and its deposit region.
 *
 * <pre>
 *   args: fabricDir service
 *   stdin: "run MODE SEED": connects a stream to `service`, prints "connected"; on "go" writes
 *          {@link #prefix()} with a plain stream write, prints "prefix"; on "garbage" writes the
 *          garbage of MODE, prints "written"; on "done" closes the stream, prints "closed".
 *   "quit": exits.
 * </pre>
 *
 * Frame modes (the other end reads): frame-type, empty-record, empty-data, eof-long, frame-oversize,
 * deposit-short, deposit-negative-seq, deposit-unposted, deposit-too-long, deposit-out-of-order.
 * Control modes (the other end writes): mode-word, ready-word, name-length, name-other, post-far-seq,
 * post-state, post-sender-taken, post-offset, post-capacity. And "random": random words over the
 * control area and post table, random bytes over the deposit region, and random invalid frames.
 */
public final class HostileStreamPeerMain {
    /** Bytes of the legitimate prefix. */
    static final int PREFIX = 1000;

    private HostileStreamPeerMain() {
    }

    /** @return the legitimate bytes sent before the garbage */
    static byte[] prefix() {
        final byte[] b = new byte[PREFIX];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    public static void main(final String[] args) throws Exception {
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("hostile-" + ProcessHandle.current().pid())) {
            System.out.println("ready");
            String line = in.readLine();
            while (line != null) {
                final String[] w = line.trim().split(" ");
                if (w[0].equals("quit")) {
                    break;
                }
                String next = null;
                if (w[0].equals("run")) {
                    next = run(ep, args[1], w[1], Long.parseLong(w[2]), in);
                }
                line = next != null ? next : in.readLine();
            }
        }
    }

    /** A line other than the one expected: the test gave up on this session; the line is its next command. */
    private static final class Abandoned extends Exception {
        private static final long serialVersionUID = 1L;
        final String line;

        Abandoned(final String line) {
            super(line, null, false, false);
            this.line = line;
        }
    }

    private static void expect(final BufferedReader in, final String word) throws Exception {
        final String line = in.readLine();
        if (line == null || !line.trim().equals(word)) {
            throw new Abandoned(line);
        }
    }

    /** @return a command that arrived instead of the session's next step, or null */
    private static String run(final Endpoint ep, final String service, final String mode, final long seed,
                              final BufferedReader in) throws Exception {
        // control modes: this end receives pre-posted, legitimately, before the garbage
        final ByteStreamContext ctx = new ByteStreamContext().writeTimeout(20, TimeUnit.SECONDS);
        if (isControlMode(mode)) {
            ctx.receiveTechnique(ReceiveTechnique.PRE_POSTED);
        }
        final ByteStream s = ByteStreams.connect(ep, service, new ConnectionContext(), ctx, 30, TimeUnit.SECONDS);
        try {
            run(ep, s, mode, seed, in);
            return null;
        } catch (final Abandoned a) {
            System.out.println("abandoned");
            return a.line;
        } finally {
            s.close();
            System.out.println("closed");
        }
    }

    private static void run(final Endpoint ep, final ByteStream s, final String mode, final long seed,
                            final BufferedReader in) throws Exception {
        {
            System.out.println("connected");
            expect(in, "go");
            if (isControlMode(mode)) {
                s.post(4096);   // this end receives pre-posted (made so by run): one post before the garbage
            }
            s.write(ByteBuffer.wrap(prefix()));
            System.out.println("prefix");
            expect(in, "garbage");
            try {
                garbage(ep, s, mode, seed);
                System.out.println("written");
            } catch (final RuntimeException | java.io.IOException cutOff) {
                System.out.println("written, cut off: " + cutOff);
            }
            expect(in, "done");
        }
    }

    /** {@return whether {@code mode} writes garbage into the control area (this end then receives PRE_POSTED)} */
    private static boolean isControlMode(final String mode) {
        return !mode.equals("random") && !mode.startsWith("deposit-") && !isFrameMode(mode);
    }

    private static boolean isFrameMode(final String mode) {
        return switch (mode) {
            case "frame-type", "empty-record", "empty-data", "eof-long", "frame-oversize" -> true;
            default -> false;
        };
    }

    private static void frame(final ByteStream s, final byte[] frame) {
        s.connection().send(frame, 10, TimeUnit.SECONDS);
    }

    private static byte[] deposit(final long seq, final long bytes) {
        return ByteBuffer.allocate(StreamFrameDescriptor.DEPOSIT_FRAME_LENGTH).order(ByteOrder.nativeOrder())
            .put(0, StreamFrameDescriptor.DEPOSIT).putLong(8, seq).putLong(16, bytes).array();
    }

    /** Posts of the other end that are POSTED now, lowest sequence first, as {seq, offset}. */
    private static long[][] posted(final InboundMapping mine) {
        long[][] found;
        {
            found = new long[0][];
            for (int i = 0; i < ByteStream.POST_SLOTS; i++) {
                final long slot = StreamControlDescriptor.postSlotOffset(i);
                final long state = mine.getLongAcquire(slot);
                if (state != 0 && (state & 3) == StreamControlDescriptor.POSTED) {
                    final long[][] more = java.util.Arrays.copyOf(found, found.length + 1);
                    more[found.length] = new long[] {state >>> 2, mine.getLong(slot + StreamControlDescriptor.POST_BUFFER_OFFSET)};
                    found = more;
                }
            }
            java.util.Arrays.sort(found, (a, b) -> Long.compare(a[0], b[0]));
        }
        return found;
    }

    /** The other end's deposit region, imported with the name and key it wrote into this end's control area. */
    private static OutboundMapping theirDeposit(final Endpoint ep, final InboundMapping mine) {
        if (mine.getLongAcquire(StreamControlDescriptor.DEPOSIT_READY_OFFSET) == 0) {
            return null;
        }
        final int len = mine.getInt(StreamControlDescriptor.DEPOSIT_NAME_OFFSET);
        final byte[] name = new byte[len];
        mine.get(StreamControlDescriptor.DEPOSIT_NAME_OFFSET + 4, name, 0, len);
        return ep.importRegion(new String(name, StandardCharsets.UTF_8), mine.getLong(StreamControlDescriptor.DEPOSIT_KEY_OFFSET));
    }

    private static long slot(final long seq) {
        return StreamControlDescriptor.postSlotOffset(seq);
    }

    private static void garbage(final Endpoint ep, final ByteStream s, final String mode, final long seed)
        throws Exception {
        final OutboundMapping theirs = s.connection().outbound();   // the other end's receive region
        final InboundMapping mine = s.connection().inbound();       // the other end writes its posts here
        switch (mode) {
            case "frame-type" -> frame(s, new byte[] {9, 1, 2, 3});
            case "empty-record" -> frame(s, new byte[0]);
            case "empty-data" -> frame(s, new byte[] {StreamFrameDescriptor.DATA});
            case "eof-long" -> frame(s, new byte[] {StreamFrameDescriptor.EOF, 0, 0});
            case "frame-oversize" -> {
                final byte[] f = new byte[StreamFrameDescriptor.MAX_FRAME + 64];
                java.util.Arrays.fill(f, (byte) 0x5A);
                f[0] = StreamFrameDescriptor.DATA_LAST;
                frame(s, f);
            }
            case "deposit-short" -> frame(s, new byte[] {StreamFrameDescriptor.DEPOSIT, 0, 0, 0, 0, 0, 0, 0, 1, 0});
            case "deposit-negative-seq" -> frame(s, deposit(-3, 8));
            case "deposit-unposted" -> frame(s, deposit(1_000_000, 8));
            case "deposit-too-long" -> {
                final long[][] p = posted(mine);
                frame(s, deposit(p.length > 0 ? p[0][0] : 1, 1L << 40));
            }
            case "deposit-out-of-order" -> {
                // deposit into the post after the next one (posted or not), with bytes that would show if delivered
                final long[][] p = posted(mine);
                final OutboundMapping dep = theirDeposit(ep, mine);
                final long seq = p.length > 1 ? p[1][0] : p.length == 1 ? p[0][0] + 1 : 2;
                if (dep != null && p.length > 1) {
                    final byte[] marker = new byte[16];
                    java.util.Arrays.fill(marker, (byte) 0x77);
                    dep.put(p[1][1], marker);
                }
                frame(s, deposit(seq, 16));
            }
            case "mode-word" -> theirs.putLongVolatile(StreamControlDescriptor.MODE_OFFSET, 77);
            case "ready-word" -> {
                theirs.putLongVolatile(StreamControlDescriptor.MODE_OFFSET, ReceiveTechnique.REDIRECTION.ordinal() + 1);
                theirs.putLongVolatile(StreamControlDescriptor.DEPOSIT_READY_OFFSET, 5);
            }
            case "name-length" -> theirs.putInt(StreamControlDescriptor.DEPOSIT_NAME_OFFSET, 100_000);
            case "name-other" -> {
                // the other end's own receive region: it exists, but is not this end's deposit region
                final byte[] name = theirs.regionName().getBytes(StandardCharsets.UTF_8);
                theirs.putInt(StreamControlDescriptor.DEPOSIT_NAME_OFFSET, name.length);
                theirs.put(StreamControlDescriptor.DEPOSIT_NAME_OFFSET + 4, name);
            }
            case "post-far-seq" -> {
                for (int i = 0; i < ByteStream.POST_SLOTS; i++) {
                    final long seq = i + ((long) ByteStream.POST_SLOTS << 50);
                    theirs.putLongVolatile(slot(seq), seq << 2 | StreamControlDescriptor.RECEIVER_TAKEN);
                }
            }
            case "post-state" -> theirs.putLongVolatile(slot(1), 1L << 2);
            case "post-sender-taken" -> theirs.putLongVolatile(slot(1), 1L << 2 | StreamControlDescriptor.SENDER_TAKEN);
            case "post-offset" -> theirs.putLongVolatile(slot(1) + 8, 1L << 40);
            case "post-capacity" -> theirs.putLongVolatile(slot(1) + 16, -5);
            case "random" -> random(ep, s, theirs, mine, seed);
            default -> throw new IllegalArgumentException("mode " + mode);
        }
        s.connection().nudgePeer();
    }

    private static void random(final Endpoint ep, final ByteStream s, final OutboundMapping theirs,
                               final InboundMapping mine, final long seed) {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final OutboundMapping dep = theirDeposit(ep, mine);
        for (int round = 0; round < 300; round++) {
            // the control area and post table of the other end (it reads them when it writes)
            for (int k = 0; k < 8; k++) {
                final int at = 8 * rnd.nextInt((Connection.CONTROL_BYTES - 8) / 8);
                final long v = switch (rnd.nextInt(4)) {
                    case 0 -> rnd.nextLong();
                    case 1 -> rnd.nextLong(-4, 4);
                    case 2 -> (rnd.nextLong(0, 1 << 12) << 2) | rnd.nextInt(4);
                    default -> 64L * rnd.nextInt(1 << 20);
                };
                theirs.putLong(Connection.controlOffset(at), v);
            }
            // its deposit region: the peer may write there anyway
            if (dep != null) {
                final long at = rnd.nextLong(dep.size() - 8) & ~7L;
                dep.putLong(at, rnd.nextLong());
            }
            // a frame no ByteStream sends
            final byte[] f;
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    f = new byte[rnd.nextInt(1, 64)];
                    rnd.nextBytes(f);
                    f[0] = (byte) rnd.nextInt(4, 256);
                }
                case 1 -> f = deposit(rnd.nextLong(), rnd.nextLong());
                case 2 -> f = deposit(rnd.nextLong(-64, 0), rnd.nextInt(1, 4096));
                case 3 -> f = new byte[] {StreamFrameDescriptor.EOF, (byte) rnd.nextInt()};
                default -> f = new byte[] {rnd.nextBoolean() ? StreamFrameDescriptor.DATA : StreamFrameDescriptor.DATA_LAST};
            }
            if (!s.connection().offer(f, 0, f.length)) {
                break;   // the other end stopped reading: it found the garbage
            }
        }
    }
}
