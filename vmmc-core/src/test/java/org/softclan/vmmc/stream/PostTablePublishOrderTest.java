package org.softclan.vmmc.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.vmmc.Connection;

/**
 * The order in which the {@link PostTable} publishes into the peer's control area: every word a post
 * or the deposit region's announcement describes is stored before the ordered store that publishes
 * it, and the peer is nudged last.
 */
class PostTablePublishOrderTest {
    @Test
    void aPostWritesOffsetAndCapacityBeforeItsStateAndTheDepositNameBeforeTheReadyFlag() {
        final Connection connection = mock(Connection.class);
        final OutboundMapping tx = mock(OutboundMapping.class);
        final InboundMapping rx = mock(InboundMapping.class);
        final Endpoint endpoint = mock(Endpoint.class);
        final InboundMapping deposit = mock(InboundMapping.class);
        when(connection.outbound()).thenReturn(tx);
        when(connection.inbound()).thenReturn(rx);
        when(connection.maxMessage()).thenReturn(1 << 20);
        when(tx.endpoint()).thenReturn(endpoint);
        when(rx.regionName()).thenReturn("near");
        when(endpoint.exportInternal(anyString(), anyLong(), anyLong(), anyLong())).thenReturn(deposit);
        doReturn(mock(BytesStore.class)).when(deposit).localBytes();
        when(deposit.regionName()).thenReturn("near-dep");

        final ByteStreamContext ctx = new ByteStreamContext();
        final PostTable posts = new PostTable(new StreamEnd(connection, ctx), null, ctx);
        final PostedBuffer p = posts.post(100, false);
        assertEquals(1, p.seq);

        final long slot = StreamControlDescriptor.postSlotOffset(1);
        final InOrder order = inOrder(tx, connection);
        order.verify(tx).putLong(eq(StreamControlDescriptor.DEPOSIT_KEY_OFFSET), anyLong());
        order.verify(tx).putInt(StreamControlDescriptor.DEPOSIT_NAME_OFFSET, "near-dep".length());
        order.verify(tx).put(eq(StreamControlDescriptor.DEPOSIT_NAME_BYTES_OFFSET), any(byte[].class));
        order.verify(tx).putLongRelease(StreamControlDescriptor.DEPOSIT_READY_OFFSET, 1);
        order.verify(tx).putLong(slot + StreamControlDescriptor.POST_BUFFER_OFFSET, 0);
        order.verify(tx).putLong(slot + StreamControlDescriptor.POST_CAPACITY_OFFSET, 100);
        order.verify(tx).putLongRelease(slot + StreamControlDescriptor.POST_STATE_OFFSET,
            StreamControlDescriptor.postState(1, StreamControlDescriptor.POSTED));
        order.verify(connection).nudgePeer();
        order.verifyNoMoreInteractions();
    }
}
