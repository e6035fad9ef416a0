package org.softclan.vmmc.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Listener;
import org.softclan.vmmc.Vmmc;

/**
 * The RPC frame as both ends see it: a request's header as {@link RpcClient} writes it, read field by
 * field at the descriptor's offsets by a server written by hand, and a response from that server with a
 * status no {@link RpcServer} writes, which fails the call as a protocol violation naming the status.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RpcFrameDescriptorTest {
    private Fabric fabric;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void theHeaderHelpersWriteTheFieldsAtTheDescribedOffsets() {
        final Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        RpcFrameDescriptor.writeRequestHeader(b, 0x0102030405060708L, 77);
        assertEquals(RpcFrameDescriptor.HEADER_LENGTH, b.readRemaining());
        assertEquals(0x0102030405060708L, b.readLong(RpcFrameDescriptor.CALL_ID_OFFSET));
        assertEquals(77, b.readInt(RpcFrameDescriptor.METHOD_ID_OFFSET));
        assertEquals(0, b.readInt(RpcFrameDescriptor.RESERVED_OFFSET));
        b.clear();
        RpcFrameDescriptor.writeResponseHeader(b, -5, RpcFrameDescriptor.NO_METHOD);
        assertEquals(-5, RpcFrameDescriptor.callId(b.bytesStore(), 0));
        assertEquals(RpcFrameDescriptor.NO_METHOD, RpcFrameDescriptor.status(b.bytesStore(), 0));
        assertEquals(16, RpcFrameDescriptor.body(0));
        b.releaseLast();
    }

    @Test
    void aResponseWithAStatusNoServerWritesFailsTheCallNamingTheStatus() throws Exception {
        final Endpoint serverEp = fabric.openEndpoint("fake-server");
        final Endpoint clientEp = fabric.openEndpoint("client");
        try (Listener listener = Vmmc.listen(serverEp, "fake", new ConnectionContext())) {
            final CompletableFuture<Connection> accepted = CompletableFuture.supplyAsync(
                () -> listener.accept(10, TimeUnit.SECONDS));
            try (RpcClient client = RpcClient.connect(clientEp, "fake", new RpcClient.Context(), 10, TimeUnit.SECONDS);
                 Connection server = accepted.get(10, TimeUnit.SECONDS)) {
                final CompletableFuture<String> call = CompletableFuture.supplyAsync(
                    () -> client.call(RpcTest.ECHO, "hello", 10, TimeUnit.SECONDS));
                final AtomicLong callId = new AtomicLong();
                final int[] method = new int[1];
                assertEquals(1, server.receive((buf, off, len) -> {
                    callId.set(RpcFrameDescriptor.callId(buf, off));
                    method[0] = RpcFrameDescriptor.methodId(buf, off);
                }, 1, 10, TimeUnit.SECONDS));
                assertEquals(RpcTest.ECHO.id(), method[0]);
                final byte[] answer = new byte[RpcFrameDescriptor.HEADER_LENGTH];
                final Bytes<?> b = Bytes.wrapForWrite(answer);
                RpcFrameDescriptor.writeResponseHeader(b, callId.get(), 7);
                server.send(answer, 10, TimeUnit.SECONDS);
                final Exception e = assertThrows(Exception.class, () -> call.get(10, TimeUnit.SECONDS));
                final RpcException rpc = (RpcException) e.getCause();
                assertEquals(RpcException.Kind.REMOTE_ERROR, rpc.kind());
                assertMentions(rpc, "broke the protocol", "status 7");
            }
        }
    }
}
