package org.softclan.vmmc.stream;

import org.softclan.dsm.DmaEngine;

/** {@link StreamTechniqueCrossProcessTest} with the writer's DMA engine in {@link DmaEngine.Mode#INVOKER} mode. */
class StreamTechniqueInvokerCrossProcessTest extends StreamTechniqueCrossProcessTest {
    @Override
    DmaEngine.Mode mode() {
        return DmaEngine.Mode.INVOKER;
    }
}
