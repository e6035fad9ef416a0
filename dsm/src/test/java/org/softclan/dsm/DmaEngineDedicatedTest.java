package org.softclan.dsm;

/** {@link DmaEngineTest}'s guarantees for an engine in {@link DmaMode#DEDICATED} mode. */
class DmaEngineDedicatedTest extends DmaEngineTest {
    @Override
    DmaMode mode() {
        return DmaMode.DEDICATED;
    }
}
