package io.fedmerge.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes cut at random, unaligned places (so most straddle file-system blocks, and neighbours share a block), sent
 * in shuffled order from two threads through the write-behind queue, some straight to the file and some from heap
 * memory: the file reads back byte for byte, whether or not this file system lets whole blocks bypass the page cache.
 */
class DirectOutputFileTest {
    @TempDir
    Path dir;

    @Test
    void unalignedWritesFromManyThreadsReadBackExactly() throws Exception {
        Random rnd = new Random(11);
        byte[] expected = new byte[3 * (1 << 20) + 1234];
        rnd.nextBytes(expected);
        List<long[]> pieces = new ArrayList<>();
        for (int at = 0; at < expected.length;) {
            int len = Math.min(expected.length - at, 1 + rnd.nextInt(40_000));
            pieces.add(new long[] {at, len});
            at += len;
        }
        Collections.shuffle(pieces, rnd);
        Path path = dir.resolve("out.bin");
        try (DirectOutputFile file = DirectOutputFile.create(path);
                WriteBehind behind = new WriteBehind(file, "out.bin");
                ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < pieces.size(); p++) {
                int at = (int) pieces.get(p)[0];
                int len = (int) pieces.get(p)[1];
                MemorySegment source = MemorySegment.ofArray(expected).asSlice(at, len);
                int how = p % 3;
                done.add(pool.submit(() -> {
                    if (how == 0) {
                        behind.write(at, len, staging -> staging.copyFrom(source));
                    } else if (how == 1) {
                        MemorySegment staged = file.stagingFor(file.allocateBacking(len), at, len);
                        staged.copyFrom(source);
                        file.write(staged, at);
                    } else {
                        file.write(source, at); // heap memory: through the page cache
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            behind.drain();
            file.force(true);
        }
        assertThat(Files.readAllBytes(path)).isEqualTo(expected);
    }

    @Test
    void aFailedWriteIsThrownAtTheNextCallAndAtDrain() throws Exception {
        DirectOutputFile file = DirectOutputFile.create(dir.resolve("lost.bin"));
        try (WriteBehind behind = new WriteBehind(file, "lost.bin")) {
            file.close(); // the disk goes away under a queued write
            behind.write(0, 100, staging -> staging.fill((byte) 1));
            assertThatThrownBy(behind::drain).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> behind.write(100, 100, staging -> staging.fill((byte) 2)))
                    .isInstanceOf(IOException.class);
        }
    }

    /** A filler that throws must not keep its buffer: otherwise a few such failures would leave writers waiting. */
    @Test
    void aFailingFillGivesItsBufferBack() throws Exception {
        try (DirectOutputFile file = DirectOutputFile.create(dir.resolve("kept.bin"));
                WriteBehind behind = new WriteBehind(file, "kept.bin")) {
            for (int i = 0; i < 2 * WriteBehind.BUFFERS; i++) {
                assertThatThrownBy(() -> behind.write(0, 10, staging -> {
                    throw new IllegalStateException("encoder failed");
                })).hasMessage("encoder failed");
            }
            behind.write(0, 10, staging -> staging.fill((byte) 7));
            behind.drain();
        }
        assertThat(Files.readAllBytes(dir.resolve("kept.bin"))).containsOnly((byte) 7).hasSize(10);
    }

    @Test
    void aFileThatExistsIsNotOverwritten() throws Exception {
        Path path = dir.resolve("taken.bin");
        Files.writeString(path, "keep");
        assertThatThrownBy(() -> DirectOutputFile.create(path)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(path)).isEqualTo("keep");
    }
}
