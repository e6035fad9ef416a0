package org.softclan.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.aeron.Aeron;
import io.aeron.Image;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.Header;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Who a message came from: its image's source address against the peer's, per message, with no allocation; and
 * the duty cycle's look for HELLOs due allocates nothing while a peer is not connected (then it looks on every cycle).
 */
class PeerHostsTest {
    private static PeerHosts hosts() {
        return new PeerHosts("me", "me".getBytes(StandardCharsets.US_ASCII), Map.of("peer", "127.0.0.1:40123"),
            TimeUnit.SECONDS.toNanos(1), 0, null, null, new AgentCounters());
    }

    private static Image image(final String source) {
        final Image image = mock(Image.class);
        when(image.sourceIdentity()).thenReturn(source);
        return image;
    }

    @Test
    void aMessageIsMatchedToItsHostByItsImagesSourceAddress() {
        final PeerHosts hosts = hosts();
        final Header fromPeer = new Header(0, 16, image("127.0.0.1:51234"));
        assertTrue(hosts.fromHost(fromPeer, "peer"));
        assertFalse(hosts.fromHost(fromPeer, "stranger"), "not a peer");
        assertFalse(hosts.fromHost(new Header(0, 16, image("127.0.0.2:51234")), "peer"), "another address");
        assertFalse(hosts.fromHost(new Header(0, 16, image("[::1]:51234")), "peer"), "another address, IPv6");
        assertFalse(hosts.fromHost(new Header(0, 16, "not an image"), "peer"), "no image");
    }

    @Test
    void matchingMessagesToHostsAllocatesNothingAfterAnImagesFirstMessage() {
        final PeerHosts hosts = hosts();
        final Image image = image("127.0.0.1:51234");
        final Header header = new Header(0, 16, image);
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int matched = 0;
        for (int i = 0; i < 20_000; i++) {   // warm-up: the first message of the image works its address out
            matched += hosts.fromHost(header, "peer") && hosts.sessionHost(1_000_000 + i) == null ? 1 : 0;
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            // a session id outside the small-Integer cache: a boxed key would allocate
            matched += hosts.fromHost(header, "peer") && hosts.sessionHost(1_000_000 + i) == null ? 1 : 0;
        }
        final long bytes = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(120_000, matched);
        assertTrue(bytes < 10_000, bytes + " bytes allocated over 100 000 messages");
        when(image.isEndOfStream()).thenReturn(true);
        hosts.imageLost(image);   // forgotten with its image; a new image of the same source is looked at anew
        assertTrue(hosts.fromHost(new Header(0, 16, image("127.0.0.1:51235")), "peer"));
        assertNull(hosts.sessionHost(0));
    }

    @Test
    void lookingForHellosDueWhileAPeerIsNotConnectedAllocatesNothing(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path dir) {
        try (MediaDriver driver = MediaDriver.launch(new MediaDriver.Context().aeronDirectoryName(dir.resolve("aeron")
                .toString()).threadingMode(ThreadingMode.SHARED).dirDeleteOnStart(true).dirDeleteOnShutdown(true));
             Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()))) {
            final PeerHosts hosts = new PeerHosts("me", "me".getBytes(StandardCharsets.US_ASCII), Map.of("peer",
                "127.0.0.1:40125", "other", "127.0.0.1:40127"), TimeUnit.SECONDS.toNanos(1), 0, null, null,
                new AgentCounters());
            hosts.connect(aeron);   // publications to addresses where nobody listens: never connected
            final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            int work = 0;
            for (int i = 0; i < 20_000; i++) {
                work += hosts.greetIfDue();
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                work += hosts.greetIfDue();   // each looks at every peer: not greeted, so due on every cycle
            }
            final long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals(0, work, "no HELLO sent: no peer is connected");
            assertFalse(hosts.isGreeted("peer"));
            assertTrue(bytes < 10_000, bytes + " bytes allocated over 100 000 duty cycles");
        }
    }
}
