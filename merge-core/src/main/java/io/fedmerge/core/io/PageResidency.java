package io.fedmerge.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Which pages of a file range are in the page cache, by {@code mincore(2)} on a mapping of it: it looks the pages up
 * without faulting or reading them. Linux only: elsewhere {@link #allCached} is false and {@link #cached} throws.
 */
public final class PageResidency {
    private static final long PAGE = 4096;
    private static final MethodHandle MINCORE = lookup();

    private PageResidency() {}

    private static MethodHandle lookup() {
        return LinuxCalls.find("mincore", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS)).orElse(null);
    }

    /** Fraction (0 to 1) of the pages of {@code [offset, offset + length)} of {@code file} that are cached. */
    public static double cached(Path file, long offset, long length) {
        if (length == 0) {
            return 1.0;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, offset, length, arena);
            long resident = residentPages(mapped);
            if (resident < 0) {
                throw new IllegalStateException("mincore(2) is not available here");
            }
            return (double) resident / pages(mapped);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether every page under {@code mapped} is cached (false if that cannot be told). */
    static boolean allCached(MemorySegment mapped) {
        return residentPages(mapped) == pages(mapped);
    }

    private static long pages(MemorySegment mapped) {
        long start = mapped.address() & -PAGE;
        return (mapped.address() + mapped.byteSize() - start + PAGE - 1) / PAGE;
    }

    private static long residentPages(MemorySegment mapped) {
        if (MINCORE == null || mapped.byteSize() == 0) {
            return -1;
        }
        long start = mapped.address() & -PAGE;
        long length = mapped.address() + mapped.byteSize() - start;
        long pages = pages(mapped);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = arena.allocate(pages);
            if ((int) MINCORE.invokeExact(MemorySegment.ofAddress(start), length, vec) != 0) {
                return -1;
            }
            long resident = 0;
            for (long p = 0; p < pages; p++) {
                resident += vec.get(ValueLayout.JAVA_BYTE, p) & 1;
            }
            return resident;
        } catch (Throwable t) {
            return -1;
        }
    }
}
