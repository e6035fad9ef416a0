package org.softclan.vmmc.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class PendingCallsTest {
    private record Call(long id) {
    }

    private final PendingCalls<Call> calls = new PendingCalls<>(4, Call::id);

    @Test
    void aCallIsFoundByItsIdOnceThenGone() {
        final Call c = new Call(7);
        calls.add(7, c);
        assertEquals(1, calls.size());
        assertNull(calls.remove(3), "id 3 shares the slot of 7 but is not in flight");
        assertSame(c, calls.remove(7));
        assertNull(calls.remove(7));
        assertEquals(0, calls.size());
    }

    @Test
    void callsBeyondTheSlotsGoToTheOverflowAndAreFoundThere() {
        for (long id = 1; id <= 10; id++) {
            calls.add(id, new Call(id));
        }
        assertEquals(10, calls.size());
        for (long id = 10; id >= 1; id--) {
            assertEquals(id, calls.remove(id).id());
        }
        assertEquals(0, calls.size());
        // a slot freed is used again
        calls.add(11, new Call(11));
        assertEquals(11, calls.remove(11).id());
    }

    @Test
    void drainReturnsEveryCallOnce() {
        for (long id = 1; id <= 9; id++) {
            calls.add(id, new Call(id));
        }
        calls.remove(2);
        final List<Call> drained = calls.drain();
        final Set<Long> ids = new HashSet<>();
        drained.forEach(c -> ids.add(c.id()));
        assertEquals(Set.of(1L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), ids);
        assertEquals(8, drained.size());
        assertEquals(0, calls.size());
        assertNull(calls.remove(5));
    }

    @Test
    void slotCountMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new PendingCalls<Call>(6, Call::id));
    }
}
