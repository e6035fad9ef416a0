package org.softclan.net;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.UnavailableImageHandler;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentInvoker;

/**
 * A {@link NicAgent}'s Aeron: its embedded media driver (INVOKER mode, its directory under the fabric, the
 * socket buffers and window of {@link NicAgent#SOCKET_BUFFER_LENGTH}, optionally Aeron's loss generators), the
 * Aeron client (its conductor an invoker too), the subscription on the agent's listen address, and the
 * reassembly of fragmented messages. The driver and the client do their work on the thread that runs the
 * agent's duty cycle ({@link #invokeDriver}, {@link #invokeClient}, {@link #poll}); the publications to peers
 * are {@link PeerHosts}'.
 */
final class AeronTransport implements AutoCloseable {
    private final MediaDriver driver;
    private final AgentInvoker driverInvoker;
    private final Aeron aeron;
    private final AgentInvoker clientInvoker;
    private final Subscription subscription;
    /** Reassembles fragmented messages, per session, for the agent's handler. */
    private final FragmentAssembler assembler;
    private final UnavailableImageHandler imageLost;

    /**
     * Launches the driver, connects the client and subscribes; on a failure closes what it made (the client,
     * then the driver) and throws.
     *
     * @param dir          the driver's directory (deleted on start and on close)
     * @param listen       the UDP address and port the agent receives on, {@code ADDR:PORT}
     * @param timeoutNanos the agent's timeout, ns: the image liveness timeout (at least
     *                     {@link NicAgent#MIN_LIVENESS_NS})
     * @param dataLoss     fraction of incoming data frames dropped (tests), or 0
     * @param controlLoss  fraction of incoming control frames dropped (tests), or 0
     * @param lossSeed     the loss generators' seed
     * @param errors       told of the driver's and the client's errors
     * @param handler      handed each (reassembled) message
     * @param imageLost    told when an image went unavailable (after its reassembly buffer is freed)
     */
    AeronTransport(final String dir, final String listen, final long timeoutNanos, final double dataLoss,
                   final double controlLoss, final long lossSeed, final ErrorHandler errors,
                   final FragmentHandler handler, final UnavailableImageHandler imageLost) {
        this.assembler = new FragmentAssembler(handler);
        this.imageLost = imageLost;
        MediaDriver d = null;
        Aeron a = null;
        try {
            final MediaDriver.Context dc = new MediaDriver.Context().aeronDirectoryName(dir).dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true).threadingMode(ThreadingMode.INVOKER)
                .publicationTermBufferLength(NicAgent.TERM_LENGTH).ipcTermBufferLength(NicAgent.TERM_LENGTH)
                .imageLivenessTimeoutNs(Math.max(timeoutNanos, NicAgent.MIN_LIVENESS_NS))
                .socketRcvbufLength(NicAgent.SOCKET_BUFFER_LENGTH).socketSndbufLength(NicAgent.SOCKET_BUFFER_LENGTH)
                .initialWindowLength(NicAgent.SOCKET_BUFFER_LENGTH)
                .errorHandler(errors);
            if (dataLoss > 0 || controlLoss > 0) {
                dc.receiveChannelEndpointSupplier((channel, dispatcher, status, context) ->
                    new io.aeron.driver.ext.DebugReceiveChannelEndpoint(channel, dispatcher, status, context,
                        new io.aeron.driver.ext.RandomLossGenerator(dataLoss, lossSeed),
                        new io.aeron.driver.ext.RandomLossGenerator(controlLoss, lossSeed + 1)));
            }
            d = MediaDriver.launch(dc);
            a = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir).driverAgentInvoker(d.sharedAgentInvoker())
                .useConductorAgentInvoker(true).errorHandler(errors));
            this.subscription = a.addSubscription("aeron:udp?endpoint=" + listen, NicAgent.STREAM_ID, image -> { },
                this::onImageLost);
        } catch (final RuntimeException | Error t) {
            NicAgent.closeQuietly(a);   // its subscription with it
            NicAgent.closeQuietly(d);
            throw t;
        }
        this.driver = d;
        this.driverInvoker = d.sharedAgentInvoker();
        this.aeron = a;
        this.clientInvoker = a.conductorAgentInvoker();
    }

    /** The client's word that an image went unavailable: its reassembly buffer is freed, then the agent told. */
    private void onImageLost(final Image image) {
        assembler.freeSessionBuffer(image.sessionId());
        imageLost.onUnavailableImage(image);
    }

    /** {@return the Aeron client} (its publications close with it) */
    Aeron aeron() {
        return aeron;
    }

    /** {@return the media driver} (its system counters) */
    MediaDriver driver() {
        return driver;
    }

    /** The media driver's work (sending, receiving, its conductor); {@return how much there was} */
    int invokeDriver() {
        return driverInvoker.invoke();
    }

    /** The Aeron client conductor's work (its callbacks: images come and gone); {@return how much there was} */
    int invokeClient() {
        return clientInvoker.invoke();
    }

    /** Hands up to {@code limit} incoming fragments to the assembler (whole messages to the handler). */
    int poll(final int limit) {
        return subscription.poll(assembler, limit);
    }

    /** Closes the client (its publications and subscription with it), then the driver (deleting its directory). */
    @Override
    public void close() {
        NicAgent.closeQuietly(aeron);
        NicAgent.closeQuietly(driver);
    }
}
