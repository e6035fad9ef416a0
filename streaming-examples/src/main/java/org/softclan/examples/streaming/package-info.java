/** Runnable streaming demos. Not built yet. */
package org.softclan.examples.streaming;
