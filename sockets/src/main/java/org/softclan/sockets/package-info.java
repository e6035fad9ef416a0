/**
 * The transparent socket layer: unchanged Java programs whose TCP connections go through shared memory
 * when both ends run the layer on this host in one fabric, and through the JDK's TCP otherwise.
 * {@link org.softclan.sockets.SocketsAgent} installs it before {@code main};
 * {@link org.softclan.sockets.SocketLayer} says what it does and counts it.
 */
package org.softclan.sockets;
