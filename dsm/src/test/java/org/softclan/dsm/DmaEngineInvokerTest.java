package org.softclan.dsm;

/** {@link DmaEngineTest}'s guarantees for an engine in {@link DmaMode#INVOKER} mode. */
class DmaEngineInvokerTest extends DmaEngineTest {
    @Override
    DmaMode mode() {
        return DmaMode.INVOKER;
    }
}
