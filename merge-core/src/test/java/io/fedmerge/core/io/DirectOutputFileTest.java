package io.fedmerge.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
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
 * in shuffled order from two threads, half through the staging memory and half as plain heap buffers: the file reads
 * back byte for byte, whether or not this file system lets whole blocks bypass the page cache.
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
                ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < pieces.size(); p++) {
                int at = (int) pieces.get(p)[0];
                int len = (int) pieces.get(p)[1];
                boolean staged = p % 2 == 0;
                done.add(pool.submit(() -> {
                    if (staged) {
                        MemorySegment buf = file.staging(at, len);
                        buf.copyFrom(MemorySegment.ofArray(expected).asSlice(at, len));
                        file.write(buf, at);
                    } else {
                        file.write(ByteBuffer.wrap(expected, at, len), at);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            file.force(true);
        }
        assertThat(Files.readAllBytes(path)).isEqualTo(expected);
    }

    @Test
    void aFileThatExistsIsNotOverwritten() throws Exception {
        Path path = dir.resolve("taken.bin");
        Files.writeString(path, "keep");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DirectOutputFile.create(path))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(Files.readString(path)).isEqualTo("keep");
    }
}
