/**
 * Connection-oriented byte streams over {@link org.softclan.vmmc.Connection} message queues, with the
 * JDK's channel and stream interfaces, and the send and receive techniques of the design space of
 * user-space communication (PIO, CopyDMA, DirectDMA, V2PDMA, page exchange; buffered, pre-posted and
 * redirected receipt).
 *
 * <p>Set-up by name: a server calls {@link org.softclan.vmmc.stream.ByteStreams#listen} and
 * {@link org.softclan.vmmc.stream.StreamListener#accept}; a client calls
 * {@link org.softclan.vmmc.stream.ByteStreams#connect}. Each side gets a
 * {@link org.softclan.vmmc.stream.ByteStream}: a {@link java.nio.channels.ByteChannel}, adapted to
 * {@code java.io} by {@link org.softclan.vmmc.stream.StreamInputStream} and
 * {@link org.softclan.vmmc.stream.StreamOutputStream}. Each end's settings (timeouts, send and receive
 * technique, deposit region) are given in a {@link org.softclan.vmmc.stream.ByteStreamContext} when it
 * is made and fixed from then on, but for the read timeout
 * ({@link org.softclan.vmmc.stream.ByteStream#readTimeout}); its counters are read through
 * {@link org.softclan.vmmc.stream.ByteStream#stats()}. Both ends of a connection must use
 * {@code ByteStream}.
 *
 * <p><b>Framing</b>: every connection message is one frame, whose first byte is its type:
 * <pre>
 *   DATA      (0)  followed by 1 .. 64 KiB of the stream; more of the same send follows
 *   EOF       (1)  alone: the sender's output ended ({@link org.softclan.vmmc.stream.ByteStream#shutdownOutput()})
 *   DATA_LAST (2)  as DATA, the last frame of one send
 *   DEPOSIT   (3)  24 bytes {type, padding, long post sequence, long bytes}: one send was deposited
 *                  into the receiver's posted buffer of that sequence, in stream order
 * </pre>
 * A send is cut into DATA frames of at most 64 KiB of payload (less on connections whose largest
 * message is smaller); the receiving ring's back-pressure is the flow control. A frame the reader's
 * buffer cannot hold stays in the ring (held) for the next read. After EOF the reader's reads return
 * -1; a peer that closes without EOF, or dies, makes reads (once everything sent was read) and writes
 * throw {@link org.softclan.vmmc.stream.StreamPeerGoneException}.
 *
 * <h2>Blocking, timeouts and threads</h2>
 * A {@code ByteStream}'s reads block until at least one byte is available, then return what is there
 * without blocking further; they return -1 once the peer ended its output ({@code shutdownOutput()} or
 * {@code close()}) and everything before was read. Its writes block until all the bytes were handed to the
 * connection (the peer's ring, or a buffer the peer posted, has room for them) and the caller's buffer may
 * be reused. Blocking waits use the connection's wait strategy in slices of
 * {@value org.softclan.vmmc.Connection#LIVENESS_SLICE_MS} ms, checking between slices that the peer is
 * alive and that the stream was not closed; they wait forever by default, or up to the read / write
 * timeout the stream was made with ({@link org.softclan.vmmc.stream.ByteStreamContext#readTimeout},
 * {@link org.softclan.vmmc.stream.ByteStreamContext#writeTimeout}). Thread interrupts do not end a wait
 * for bytes, room or a post; a wait for a DMA transfer (a write without a copy, a staging frame of
 * {@code COPY_DMA}, {@link org.softclan.vmmc.stream.SendTicket#awaitReady}) ends with
 * {@link java.io.InterruptedIOException}, the interrupt status set again.
 *
 * <p>{@link org.softclan.vmmc.stream.ByteStream#readNow readNow} and
 * {@link org.softclan.vmmc.stream.ByteStream#writeNow writeNow} never wait (a non-blocking socket
 * channel's read and write); {@link org.softclan.vmmc.stream.ByteStream#readable() readable()} and
 * {@link org.softclan.vmmc.stream.ByteStream#writable() writable()} tell whether they would make progress
 * (a selector's readiness). A read never asks the operating system whether the peer died: a caller with
 * a reason asks {@link org.softclan.vmmc.Connection#checkPeer()}.
 *
 * <p>One thread may read while another writes; concurrent readers (or writers) are serialised.
 * {@code close()} may be called from any thread: blocked reads and writes then end with
 * {@link java.nio.channels.AsynchronousCloseException} within a slice.
 *
 * <h2>Send techniques</h2>
 * {@link org.softclan.vmmc.stream.ByteStreamContext#sendTechnique(SendTechnique)} sets a stream's default;
 * {@link org.softclan.vmmc.stream.ByteStream#send(java.nio.ByteBuffer, SendTechnique)} and
 * {@link org.softclan.vmmc.stream.ByteStream#write(java.nio.ByteBuffer, SendTechnique)} choose per send.
 * {@code send} returns a {@link org.softclan.vmmc.stream.SendTicket} (the DMA-ready test);
 * {@code write} is {@code send} followed by waiting for the ticket, so writes (and the OutputStream)
 * have classical semantics with every technique. Techniques may be mixed on one stream: bytes arrive in
 * the order sent (a PIO store through the mapping waits for the DMA transfers issued before it, and the
 * DMA engine runs its work in FIFO order).
 * <table>
 *   <caption>What moves the bytes, and when the caller's buffer may be reused</caption>
 *   <tr><th>technique</th><th>data path</th><th>buffer reusable</th></tr>
 *   <tr><td>PIO</td><td>the calling thread stores the buffer straight into the peer's ring (claim,
 *       fill, commit: no intermediate copy)</td><td>on return</td></tr>
 *   <tr><td>COPY_DMA</td><td>copied into a per-stream staging ring of registered memory (8 frames);
 *       the endpoint's DMA engine moves it; the copy of the next frame overlaps the transfer of the
 *       previous (a send waits only for a staging frame still being read)</td><td>on return</td></tr>
 *   <tr><td>DIRECT_DMA</td><td>buffers from {@code allocateSendBuffer} (registered) are moved by the
 *       engine without a copy; any other buffer is refused with {@link IllegalArgumentException} (the
 *       OutputStream, whose arrays cannot be registered buffers, copies as COPY_DMA)</td>
 *       <td>once the ticket is ready</td></tr>
 *   <tr><td>V2P_DMA</td><td>the caller's buffer (direct, or a writable heap buffer's array) is
 *       registered through the stream's {@link org.softclan.vmmc.stream.RegistrationCache} (bounded
 *       LRU, counts hits, misses, evictions) and moved without a copy; a read-only heap buffer is
 *       copied as COPY_DMA</td><td>once the ticket is ready</td></tr>
 *   <tr><td>PAGE_EXCHANGE</td><td>{@link org.softclan.vmmc.stream.Page}s
 *       ({@code newPage}) are moved without a copy; a page written while its transfer is in flight is
 *       duplicated first (software copy-on-write, counted), the transfer keeping the old memory. A plain
 *       buffer sent with PAGE_EXCHANGE is moved as V2P_DMA and {@code send} waits for the transfer</td>
 *       <td>on return</td></tr>
 * </table>
 * With the DMA techniques the record header, the type word and the publishing store of the write
 * pointer are queued on the engine too ({@link org.softclan.dsm.DmaEngine#writeLongOrdered}), so the
 * writing thread never makes a PIO access to the ring that would wait for the engine; they go through
 * one {@link org.softclan.dsm.DmaBatch} per stream, rung once per frame (one hand-off to the engine:
 * one wake-up of a dedicated engine's thread, or one run of an invoker engine on the writing thread;
 * see {@link org.softclan.dsm.DmaMode}).
 *
 * <h2>Receive techniques</h2>
 * Set with {@link org.softclan.vmmc.stream.ByteStreamContext#receiveTechnique(ReceiveTechnique)} when
 * the receiving end is made (before its first read); the receiver writes its mode into the sender's
 * control area and the sender's next send adapts.
 * <ul>
 *   <li><b>BUFFERED</b> (default): bytes wait in the receive ring; {@code read} copies them out;
 *       {@link org.softclan.vmmc.stream.ByteStream#receivePage} hands them over by owner change
 *       instead: a {@link org.softclan.vmmc.stream.ReceivedPage} is a view of the ring record, owned by
 *       the caller until {@code release()}; the sender does not reuse the space before. Pages may be
 *       released in any order (the ring is returned up to the oldest page still held); holding a
 *       ring's worth stops the sender.</li>
 *   <li><b>PRE_POSTED</b>: the receiver posts buffers ({@link org.softclan.vmmc.stream.ByteStream#post})
 *       in a deposit region it exports; the post table lives in the sender's memory (the receiver
 *       writes it, and nudges the sender's wait). <em>The rule</em>: every send is one transfer into
 *       the oldest unfilled posted buffer, followed by a DEPOSIT frame in stream order. If no buffer is
 *       posted, the sender waits (flow control) up to its write timeout, then fails with
 *       {@link org.softclan.vmmc.stream.StreamTimeoutException} saying no buffer was posted (nothing
 *       was sent). If the send is larger than that buffer, it fails at once with
 *       {@link org.softclan.vmmc.stream.PostedBufferTooSmallException} naming both sizes; nothing is
 *       written and the buffer stays posted for the next send that fits. {@code read} keeps two
 *       buffers of {@code internalPostSize} (default 1 MiB,
 *       {@link org.softclan.vmmc.stream.ByteStreamContext#internalPostSize}) posted itself and copies out
 *       of them, so the stream interfaces work, with sends up to that size; bytes that fill a buffer the
 *       caller posted are delivered through that buffer, not to {@code read}.</li>
 *   <li><b>REDIRECTION</b>: a send finds the oldest posted buffer and, if it fits and the sender takes
 *       it first (a compare-and-set on the post's state word, which the receiver may also claim),
 *       deposits straight into it ({@link org.softclan.vmmc.stream.PostedBuffer#redirected()} true);
 *       otherwise the bytes go through the ring and, on delivery, are copied into the oldest posted
 *       buffer the sender did not take (redirected() false), until it is full or the send ends.
 *       Counters ({@link org.softclan.vmmc.stream.ByteStream#stats()}): {@code deliveredDirect()},
 *       {@code deliveredCopied()}. Bytes that arrive through the ring while the oldest buffer awaits
 *       the sender's deposit precede that deposit in the stream and go to {@code read}.</li>
 * </ul>
 * Posted buffers are filled in the order posted and belong to the caller once filled, until
 * {@code release()}, which returns their memory to the deposit region (a post fails while
 * {@link org.softclan.vmmc.stream.ByteStream#POST_SLOTS} posts are unfilled or no free range of the
 * deposit region is large enough); a posted buffer cannot be withdrawn. {@link org.softclan.vmmc.stream.PostedBuffer#awaitFilled}
 * takes delivery of the stream while it waits (bytes for {@code read} are kept for it).
 *
 * <h2>What the peer writes is input</h2>
 * Every word the peer can write is checked before an address is computed from it or an action taken:
 * a frame's type and length (DATA 2..64 KiB + 1 bytes, EOF 1, DEPOSIT 24); a DEPOSIT notice's post
 * (the next one a sender may fill, in the order posted) and byte count (1..its capacity); the receive
 * mode and deposit-ready words; the deposit region's name (bounded, and it must be the peer's own
 * {@code <receive region>-dep}); each post-table state (a known kind, the slot's sequence, never
 * ahead of the posts the peer can have made), offset and capacity (inside the deposit region).
 * A violation breaks that stream for good: reads and writes throw
 * {@link org.softclan.vmmc.stream.StreamPeerGoneException} caused by
 * {@link org.softclan.vmmc.PeerProtocolException}, naming the stream, structure, field, value and
 * limit; bytes before the bad frame are delivered, nothing after it. What the checks cannot give: the
 * peer may write into its deposit buffers (and its ring records) at any time, so bytes of a deposit
 * are what the memory holds when they are read (a zero-copy receive, like RDMA).
 */
package org.softclan.vmmc.stream;
