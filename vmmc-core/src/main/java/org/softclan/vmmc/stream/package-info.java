/**
 * Connection-oriented byte streams over {@link org.softclan.vmmc.Connection} message queues, with the
 * JDK's channel and stream interfaces.
 *
 * <p>Set-up by name: a server calls {@link org.softclan.vmmc.stream.ByteStreams#listen} and
 * {@link org.softclan.vmmc.stream.StreamListener#accept}; a client calls
 * {@link org.softclan.vmmc.stream.ByteStreams#connect}. Each side gets a
 * {@link org.softclan.vmmc.stream.ByteStream}: a {@link java.nio.channels.ByteChannel} with
 * {@link org.softclan.vmmc.stream.ByteStream#inputStream() InputStream} and
 * {@link org.softclan.vmmc.stream.ByteStream#outputStream() OutputStream} views.
 *
 * <p><b>Framing</b>: every connection message is one frame, whose first byte is its type:
 * <pre>
 *   DATA (0)  followed by 1 .. frame-1 bytes of the stream
 *   EOF  (1)  alone: the sender's output ended ({@link org.softclan.vmmc.stream.ByteStream#shutdownOutput()})
 * </pre>
 * A write is cut into DATA frames of at most 64 KiB (less on connections whose largest message is
 * smaller); the receiving ring's back-pressure is the flow control. A frame the reader's buffer cannot
 * hold is kept (copied) for the next read. After EOF the reader's reads return -1; a peer that closes
 * without EOF, or dies, makes reads (once everything sent was read) and writes throw
 * {@link org.softclan.vmmc.stream.StreamPeerGoneException}.
 */
package org.softclan.vmmc.stream;
