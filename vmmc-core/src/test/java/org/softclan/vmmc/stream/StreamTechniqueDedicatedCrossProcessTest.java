package org.softclan.vmmc.stream;

import org.softclan.dsm.DmaMode;

/** {@link StreamTechniqueCrossProcessTest} with the writer's DMA engine in {@link DmaMode#DEDICATED} mode. */
class StreamTechniqueDedicatedCrossProcessTest extends StreamTechniqueCrossProcessTest {
    @Override
    DmaMode mode() {
        return DmaMode.DEDICATED;
    }
}
