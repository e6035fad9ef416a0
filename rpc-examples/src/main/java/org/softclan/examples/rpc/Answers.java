package org.softclan.examples.rpc;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the answers a client checked and keeps the first wrong one. Thread-safe: the timed loop's
 * threads share one.
 */
public final class Answers {
    /** Thrown to stop a workload at its first wrong answer or failed call. */
    static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stop() {
            super(null, null, false, false);
        }
    }

    private final LongAdder count = new LongAdder();
    private final AtomicReference<String> firstWrong = new AtomicReference<>();

    /**
     * Checks one answer.
     *
     * @param call     the call, for the message ({@code get("k")})
     * @param expected what the model says
     * @param actual   what the server answered
     * @throws Stop if they differ (the first difference is kept)
     */
    void expect(final String call, final Object expected, final Object actual) {
        count.increment();
        if (!Objects.equals(expected, actual)) {
            firstWrong.compareAndSet(null, call + " returned " + show(actual) + ", expected " + show(expected));
            throw new Stop();
        }
    }

    /**
     * Records a wrong answer described by {@code what}.
     *
     * @throws Stop always
     */
    Stop wrong(final String what) {
        count.increment();
        firstWrong.compareAndSet(null, what);
        throw new Stop();
    }

    /**
     * Records a call that failed where an answer was expected.
     *
     * @throws Stop always
     */
    Stop failed(final String call, final RuntimeException e) {
        count.increment();
        firstWrong.compareAndSet(null, call + " failed: " + e.getMessage());
        throw new Stop();
    }

    /** @return answers checked (right or wrong) */
    public long count() {
        return count.sum();
    }

    /** @return the first wrong answer, or null if all were right */
    public String firstWrong() {
        return firstWrong.get();
    }

    static String show(final Object o) {
        return o instanceof String ? KvService.quote((String) o) : String.valueOf(o);
    }
}
