package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** What a soak reader makes of the records it received: received, lost, duplicated, reordered, torn. */
class SequenceCheckTest {
    private static SequenceCheck of(final long... seqs) {
        final SequenceCheck c = new SequenceCheck();
        for (final long s : seqs) {
            c.accept(s, true);
        }
        return c;
    }

    private static void assertCounts(final SequenceCheck c, final long received, final long lost, final long duplicated,
                                     final long reordered, final long torn) {
        assertEquals(received, c.received(), "received");
        assertEquals(lost, c.lost(), "lost");
        assertEquals(duplicated, c.duplicated(), "duplicated");
        assertEquals(reordered, c.reordered(), "reordered");
        assertEquals(torn, c.torn(), "torn");
    }

    @Test
    void anUnbrokenSequenceIsAllReceivedAndNothingElse() {
        final SequenceCheck c = of(1, 2, 3, 4, 5);
        assertCounts(c, 5, 0, 0, 0, 0);
        assertEquals(5, c.highest());
    }

    @Test
    void aGapIsLostUntilTheMissingRecordsArriveLateThenTheyAreReordered() {
        final SequenceCheck c = of(1, 2, 6, 7);
        assertCounts(c, 4, 3, 0, 0, 0);
        c.accept(4, true);
        assertCounts(c, 5, 2, 0, 1, 0);
        c.accept(3, true);
        c.accept(5, true);
        assertCounts(c, 7, 0, 0, 3, 0);
    }

    @Test
    void aRecordSeenTwiceIsADuplicateAlsoAfterFillingAGap() {
        final SequenceCheck c = of(1, 2, 2, 4, 3, 3, 1);
        assertCounts(c, 4, 0, 3, 1, 0);
    }

    @Test
    void aTornRecordCountsOnlyAsTornAndItsNumberIsNotTrusted() {
        final SequenceCheck c = of(1, 2);
        c.accept(3, false);
        c.accept(-1, false);
        c.accept(3, true);
        assertCounts(c, 3, 0, 0, 0, 2);
    }

    @Test
    void whatCameAfterTheLastRecordIsNotLostButTheTailCheckCountsWhatTheWriterReportedSent() {
        final SequenceCheck c = of(1, 2, 3);
        assertEquals(0, c.lost());
        assertEquals(0, c.lostTail(3), "the writer reported 3 sent: all arrived");
        assertEquals(0, c.lostTail(2), "a writer's report lags behind what it sent");
        assertEquals(4, c.lostTail(7));
    }

    @Test
    void aShuffledStreamWithDropsAndRepeatsIsAccountedForExactly() {
        final SplittableRandom rnd = new SplittableRandom(42);
        final SequenceCheck c = new SequenceCheck();
        final int n = 10_000;
        final boolean[] seen = new boolean[n + 1];
        long dups = 0;
        int highest = 0;
        for (int i = 1; i <= n; i++) {
            final int roll = rnd.nextInt(100);
            final int seq = roll < 3 ? 0 : roll < 6 && i > 1 ? rnd.nextInt(1, i) : i;   // drop, repeat/late, in order
            if (seq == 0) {
                continue;
            }
            if (seen[seq]) {
                dups++;
            }
            seen[seq] = true;
            highest = Math.max(highest, seq);
            c.accept(seq, true);
        }
        long distinct = 0;
        long missing = 0;
        for (int s = 1; s <= highest; s++) {
            distinct += seen[s] ? 1 : 0;
            missing += seen[s] ? 0 : 1;
        }
        assertEquals(distinct, c.received());
        assertEquals(missing, c.lost());
        assertEquals(dups, c.duplicated());
        assertTrue(c.reordered() > 0);
    }
}
