/**
 * The streaming demo: a {@link org.softclan.examples.stream.StreamSender} and a
 * {@link org.softclan.examples.stream.StreamReceiver} that move generated data or a file over a VMMC
 * {@link org.softclan.vmmc.stream.ByteStream}, with any send and receive technique, and check it end to
 * end.
 *
 * <p>The stream carries a header, the payload and a trailer ({@link org.softclan.examples.stream.StreamFormat}).
 * The sender computes the CRC32C of the payload bytes it hands to the stream and puts it in the trailer;
 * the receiver computes its own over the bytes it read and compares, checks the length against the
 * header, and for generated data ({@link org.softclan.examples.stream.StreamPattern}) compares every
 * byte with what the generator gives for its position, so it can say where the first wrong byte is.
 * A stream cut short (the sender stopped, died or closed early) is reported as such.
 *
 * <p>Both classes have a {@code main} to run them as separate JVMs; {@code vmmc demo stream} starts the
 * two and draws the progress.
 */
package org.softclan.examples.stream;
