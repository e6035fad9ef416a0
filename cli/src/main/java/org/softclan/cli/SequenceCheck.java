package org.softclan.cli;

import java.util.Map;
import java.util.TreeMap;

/**
 * What a reader makes of the sequence numbers it received on one connection, for {@code vmmc soak}:
 * every record carries a sequence number (1, 2, 3, ... as the writer sent them) and a checksum.
 *
 * <ul>
 *   <li><b>received</b>: distinct intact records;</li>
 *   <li><b>lost</b>: numbers skipped over (a record with a higher number came first) and never seen
 *       afterwards: a gap in what a reader received. What came after the last record received is not
 *       counted here (the writer may never have sent it): see {@link #lostTail(long)};</li>
 *   <li><b>reordered</b>: a record that arrived after a higher-numbered one (it fills a gap, which is
 *       then no longer lost);</li>
 *   <li><b>duplicated</b>: a number received a second time;</li>
 *   <li><b>torn</b>: a record whose length or checksum does not match its bytes (its number is not
 *       trusted and not counted anywhere else).</li>
 * </ul>
 *
 * <p>Gaps are kept as ranges, so memory stays small however many are missing. Not thread-safe: one
 * reader thread per connection.
 */
final class SequenceCheck {
    /** Missing numbers: first -> last (inclusive), disjoint ranges. */
    private final TreeMap<Long, Long> gaps = new TreeMap<>();
    private long highest;
    private long received;
    private long lost;
    private long duplicated;
    private long reordered;
    private long torn;

    /**
     * Accounts for one record.
     *
     * @param seq    its sequence number (from 1); ignored if it is not intact
     * @param intact whether its length and checksum matched
     */
    void accept(final long seq, final boolean intact) {
        if (!intact || seq < 1) {
            torn++;
            return;
        }
        if (seq > highest) {
            if (seq > highest + 1) {
                gaps.put(highest + 1, seq - 1);
                lost += seq - 1 - highest;
            }
            highest = seq;
            received++;
            return;
        }
        final Map.Entry<Long, Long> gap = gaps.floorEntry(seq);
        if (gap == null || gap.getValue() < seq) {
            duplicated++;
            return;
        }
        // a late arrival: fills part of a gap
        final long first = gap.getKey();
        final long last = gap.getValue();
        gaps.remove(first);
        if (first < seq) {
            gaps.put(first, seq - 1);
        }
        if (seq < last) {
            gaps.put(seq + 1, last);
        }
        lost--;
        reordered++;
        received++;
    }

    /**
     * @param sentByWriter how many records the writer said it had sent (committed) at some moment
     * @return how many of those never arrived after the last one received (0 if the reader got them all)
     */
    long lostTail(final long sentByWriter) {
        return Math.max(0, sentByWriter - highest);
    }

    long highest() {
        return highest;
    }

    long received() {
        return received;
    }

    long lost() {
        return lost;
    }

    long duplicated() {
        return duplicated;
    }

    long reordered() {
        return reordered;
    }

    long torn() {
        return torn;
    }
}
