package org.softclan.dsm;

/** {@link DmaEngineTest}'s guarantees for an engine in {@link DmaEngine.Mode#DEDICATED} mode. */
class DmaEngineDedicatedTest extends DmaEngineTest {
    @Override
    DmaEngine.Mode mode() {
        return DmaEngine.Mode.DEDICATED;
    }
}
