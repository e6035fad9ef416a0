package org.softclan.tripwire;

import java.util.function.BooleanSupplier;

/** A {@link WaitStrategy} with the name {@link WaitStrategy#named(String)} accepts: waits as its body does. */
final class NamedWaitStrategy implements WaitStrategy {
    private final String name;
    private final WaitStrategy body;

    NamedWaitStrategy(final String name, final WaitStrategy body) {
        this.name = name;
        this.body = body;
    }

    @Override
    public boolean await(final BooleanSupplier ready, final EventQueue bell, final long timeoutNanos) {
        return body.await(ready, bell, timeoutNanos);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "wait strategy " + name;
    }
}
