package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.spy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Another process's reclaimer may delete a {@code .new} liveness file in the moment between its creation
 * and the setting of its mode (before it is locked, it looks abandoned). The endpoint being opened must
 * take another id, not fail: a soak run saw "cannot create a liveness file" from exactly that.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LivenessAcquireTest {
    @Test
    void aFreshFileDeletedBeforeItsModeIsSetMakesTheEndpointTakeAnotherId() throws Exception {
        final Path root = Files.createTempDirectory("softclan-liveness");
        try {
            final FabricFiles files = spy(new FabricFiles(root, false));
            final AtomicInteger raced = new AtomicInteger();
            doAnswer(call -> {
                if (raced.getAndIncrement() == 0) {
                    // as FabricFiles.createNew ends when the probe removed the file before its chmod
                    throw new NoSuchFileException(call.getArgument(0).toString());
                }
                return call.callRealMethod();
            }).when(files).createNew(any(Path.class), any(java.nio.file.OpenOption[].class));
            final Liveness live = Liveness.acquire(root, files);
            assertNotNull(live);
            assertTrue(raced.get() >= 2, "the second attempt, with another id, made the file");
            live.close();
        } finally {
            try (var all = Files.walk(root)) {
                all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void freshFilesThatAlwaysVanishEndInAnErrorNotALoop() throws Exception {
        final Path root = Files.createTempDirectory("softclan-liveness");
        try {
            final FabricFiles files = spy(new FabricFiles(root, false));
            doAnswer(call -> {
                throw new NoSuchFileException(call.getArgument(0).toString());
            }).when(files).createNew(any(Path.class), any(java.nio.file.OpenOption[].class));
            final DsmException e = org.junit.jupiter.api.Assertions.assertThrows(DsmException.class,
                () -> Liveness.acquire(root, files));
            org.softclan.dsm.testing.Messages.assertMentions(e, root.toString(), "attempts");
        } finally {
            try (var all = Files.walk(root)) {
                all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aLiveDirectoryRemovedFromOutsideIsAnErrorAtOnce() throws Exception {
        final Path root = Files.createTempDirectory("softclan-liveness");
        try {
            final FabricFiles files = spy(new FabricFiles(root, false));
            doAnswer(call -> {
                final Path file = call.getArgument(0);
                Files.delete(file.getParent());   // .live is empty here: the directory goes
                throw new NoSuchFileException(file.toString());
            }).when(files).createNew(any(Path.class), any(java.nio.file.OpenOption[].class));
            final DsmException e = org.junit.jupiter.api.Assertions.assertThrows(DsmException.class,
                () -> Liveness.acquire(root, files));
            org.softclan.dsm.testing.Messages.assertMentions(e, ".live");
            org.mockito.Mockito.verify(files, org.mockito.Mockito.times(1))
                .createNew(any(Path.class), any(java.nio.file.OpenOption[].class));
        } finally {
            try (var all = Files.walk(root)) {
                all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
