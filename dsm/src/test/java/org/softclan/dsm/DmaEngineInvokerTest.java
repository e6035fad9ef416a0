package org.softclan.dsm;

/** {@link DmaEngineTest}'s guarantees for an engine in {@link DmaEngine.Mode#INVOKER} mode. */
class DmaEngineInvokerTest extends DmaEngineTest {
    @Override
    DmaEngine.Mode mode() {
        return DmaEngine.Mode.INVOKER;
    }
}
