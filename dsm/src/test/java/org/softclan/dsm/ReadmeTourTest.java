package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The API tour printed in the README, compiled and run here so it cannot rot. */
class ReadmeTourTest {
    @Test
    void tour() throws Exception {
        // --- README tour begins
        try (Fabric fabric = Fabric.createTemporary()) {           // or Fabric.open(Path.of("/dev/shm/app"))
            Endpoint server = fabric.openEndpoint("server");
            Endpoint client = fabric.openEndpoint("client");       // usually in another JVM

            // The server exports 1 MiB of its memory; the client imports it by name and key.
            InboundMapping inbox = server.export("inbox", 1 << 20, 0xC1A9L);
            OutboundMapping remote = client.importRegion("inbox", 0xC1A9L);

            // Watch every transfer the NIC moves (the Tripwire unit plugs in here).
            remote.snoopHook((mapping, offset, length, direction) -> { /* match tripwires */ });

            // PIO: the client's stores land in the server's memory.
            byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
            remote.put(64, hello);                                  // bulk, plain
            remote.putLongRelease(0, hello.length);                 // release: data before length

            // DMA: from registered memory, asynchronously; a later PIO store is ordered after it.
            RegisteredMemory staging = client.allocate(4096);
            staging.putLong(0, 42);
            DmaTransfer dma = client.dma().write(staging, 0, remote, 4096, 4096);
            remote.putLongRelease(8, 1);                            // lands after the DMA's data
            dma.join(1, TimeUnit.SECONDS);

            // The server reads its own memory: acquire, then the data.
            long length = inbox.getLongAcquire(0);
            byte[] got = new byte[(int) length];
            inbox.get(64, got, 0, got.length);
            assertEquals("hello", new String(got, StandardCharsets.UTF_8));
            assertEquals(42, inbox.getLong(4096));
        }                                                           // closes and removes everything
        // --- README tour ends
    }
}
