package org.softclan.sockets;

import java.nio.channels.SelectionKey;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Set;

/** The selected-key set: removal allowed, addition not (as the JDK's). */
final class Ungrowable extends AbstractSet<SelectionKey> {
    private final Set<SelectionKey> s;

    Ungrowable(final Set<SelectionKey> s) {
        this.s = s;
    }

    @Override
    public Iterator<SelectionKey> iterator() {
        return s.iterator();
    }

    @Override
    public int size() {
        return s.size();
    }

    @Override
    public boolean contains(final Object o) {
        return s.contains(o);
    }

    @Override
    public boolean remove(final Object o) {
        return s.remove(o);
    }

    @Override
    public void clear() {
        s.clear();
    }

    @Override
    public boolean add(final SelectionKey k) {
        throw new UnsupportedOperationException("the selected-key set cannot grow");
    }
}
