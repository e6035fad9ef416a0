package org.softclan.vmmc.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;
import org.softclan.vmmc.ConnectedPair;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.PeerProtocolException;

/**
 * The two post tables alone, over a raw connection pair whose other end plays a hostile peer: the
 * receiver's {@link PostTable} checking DEPOSIT notices, and the sender's {@link PeerPostTable} checking
 * the words the peer wrote into its control area. A bad word breaks the stream with a
 * {@link PeerProtocolException} naming the structure, the offset and the rule, and nothing is filled.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PostValidationTest {
    private Fabric fabric;
    private Connection near;
    private Connection far;

    @BeforeEach
    void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        final ConnectedPair pair = ConnectedPair.open(fabric, "posts", new ConnectionContext());
        near = pair.accepted();
        far = pair.connected();
    }

    @AfterEach
    void tearDown() {
        near.close();
        far.close();
        fabric.close();
    }

    @Test
    void aDepositNoticeForAPostOutOfOrderOrTooLargeBreaksTheStreamAndFillsNothing() {
        final StreamEnd end = new StreamEnd(near, new ByteStreamContext());
        final PostTable posts = new PostTable(end, null, new ByteStreamContext());
        try {
            final PostedBuffer first = posts.post(100, false);
            final PostedBuffer second = posts.post(100, false);
            assertNull(posts.onDeposit(second.seq, 10), "posts are filled in the order posted");
            assertTrue(end.isBroken());
            final StreamPeerGoneException broken = assertThrows(StreamPeerGoneException.class, end::checkBroken);
            assertInstanceOf(PeerProtocolException.class, broken.getCause());
            assertTrue(broken.getMessage().contains("DEPOSIT frame post sequence is 2"), broken.getMessage());
            assertTrue(broken.getMessage().contains("#1"), broken.getMessage());
            assertFalse(first.isFilled());
            assertFalse(second.isFilled());
            assertEquals(0, posts.deliveredDirect());
        } finally {
            posts.closeDeposit();
        }
    }

    @Test
    void aPostLargerThanTheDepositRegionIsRefusedAndTakesNothing() {
        final StreamEnd end = new StreamEnd(near, new ByteStreamContext());
        final PostTable posts = new PostTable(end, null, new ByteStreamContext());
        try {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> posts.post(Integer.MAX_VALUE - 10, false));
            assertTrue(e.getMessage().contains("exceeds the deposit region"), e.getMessage());
            final PostedBuffer p = posts.post(100, false);
            assertEquals(0, p.offset, "the refused post took no range");
        } finally {
            posts.closeDeposit();
        }
    }

    @Test
    void aDepositNoticeOfMoreBytesThanThePostHoldsIsRejectedAndAGoodOneFills() {
        final StreamEnd end = new StreamEnd(near, new ByteStreamContext());
        final PostTable posts = new PostTable(end, null, new ByteStreamContext());
        try {
            final PostedBuffer p = posts.post(100, false);
            assertNull(posts.onDeposit(p.seq, 101));
            assertTrue(end.isBroken());
            assertThrows(StreamPeerGoneException.class, end::checkBroken);
            assertFalse(p.isFilled());

            final StreamEnd fresh = new StreamEnd(far, new ByteStreamContext());
            final PostTable good = new PostTable(fresh, null, new ByteStreamContext());
            try {
                final PostedBuffer q = good.post(100, false);
                assertEquals(q, good.onDeposit(q.seq, 100));
                assertTrue(q.isFilled());
                assertTrue(q.redirected(), "filled by the sender's deposit");
                assertFalse(fresh.isBroken());
                assertEquals(1, good.deliveredDirect());
            } finally {
                good.closeDeposit();
            }
        } finally {
            posts.closeDeposit();
        }
    }

    /** {@return the near end's (the sender's) view of the table the far end writes into its receive region} */
    private static PeerPostTable sendersView(final StreamEnd end) {
        return new PeerPostTable(end,
            new StreamWriter(end, new SendBuffers(end), new PagePool(end), SendTechnique.PIO));
    }

    @Test
    void aGarbageSlotStateInThePeersPostTableBreaksTheStreamNamingSlotAndOffset() throws Exception {
        final StreamEnd end = new StreamEnd(near, new ByteStreamContext());
        final PeerPostTable table = sendersView(end);
        final OutboundMapping peerWrites = far.outbound();   // the far end's stores into the near end's region
        assertEquals(-1, table.peek(), "nothing posted yet");
        peerWrites.putLongVolatile(StreamControlDescriptor.DEPOSIT_READY_OFFSET, 1);
        assertEquals(-1, table.peek(), "ready, but no post yet");
        // post #1 in its slot, but the state's kind bits are 0: no state the protocol has
        final long slot = StreamControlDescriptor.postSlotOffset(1);
        peerWrites.putLongVolatile(slot + StreamControlDescriptor.POST_STATE_OFFSET, 1L << 2);
        final StreamPeerGoneException e = assertThrows(StreamPeerGoneException.class, table::peek);
        assertInstanceOf(PeerProtocolException.class, e.getCause());
        assertTrue(e.getMessage().contains("post table state of slot 1 (offset " + slot + ")"), e.getMessage());
        assertTrue(end.isBroken());
    }

    @Test
    void aPostWhoseCapacityOrOffsetLeavesTheDepositRegionIsRejectedBeforeAnyStore() throws Exception {
        // the far end exports a real deposit region and posts #1 properly, then corrupts the offset
        final StreamEnd farEnd = new StreamEnd(far, new ByteStreamContext());
        final PostTable farPosts = new PostTable(farEnd, null, new ByteStreamContext());
        try {
            farPosts.post(4096, false);
            final StreamEnd end = new StreamEnd(near, new ByteStreamContext());
            final PeerPostTable table = sendersView(end);
            final long state = table.peek();
            assertEquals(StreamControlDescriptor.postState(1, StreamControlDescriptor.POSTED), state);
            table.inspect(state);
            assertEquals(4096, table.offeredCapacity());
            assertFalse(end.isBroken());

            final long slot = StreamControlDescriptor.postSlotOffset(1);
            far.outbound().putLong(slot + StreamControlDescriptor.POST_BUFFER_OFFSET, 1L << 40);
            final StreamPeerGoneException e = assertThrows(StreamPeerGoneException.class, () -> table.inspect(state));
            assertTrue(e.getMessage().contains("post table offset of post #1 (offset "
                + (slot + StreamControlDescriptor.POST_BUFFER_OFFSET) + ") is " + (1L << 40)), e.getMessage());
            assertTrue(end.isBroken());

            far.outbound().putLong(slot + StreamControlDescriptor.POST_BUFFER_OFFSET, 0);
            far.outbound().putLong(slot + StreamControlDescriptor.POST_CAPACITY_OFFSET, -5);
            final StreamPeerGoneException c = assertThrows(StreamPeerGoneException.class, () -> table.inspect(state));
            assertTrue(c.getMessage().contains("capacity of post #1"), c.getMessage());
            assertTrue(c.getMessage().contains("is -5"), c.getMessage());
            assertEquals(StreamControlDescriptor.postState(1, StreamControlDescriptor.POSTED),
                near.inbound().getLongAcquire(slot + StreamControlDescriptor.POST_STATE_OFFSET), "the post was not taken");
        } finally {
            farPosts.closeDeposit();
        }
    }
}
