package io.fedmerge.core.io;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Which pages of a mapped file range are in the page cache, by {@code mincore(2)}: it looks the pages up without
 * faulting or reading them. Linux only: elsewhere nothing can be told.
 */
final class PageResidency {
    private static final long PAGE = 4096;
    private static final MethodHandle MINCORE = lookup();

    private PageResidency() {}

    private static MethodHandle lookup() {
        return LinuxCalls.find("mincore", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS)).orElse(null);
    }

    /** Fraction (0 to 1) of the pages under {@code mapped} that are cached, or -1 if that cannot be told. */
    static double fraction(MemorySegment mapped) {
        long resident = residentPages(mapped);
        return resident < 0 ? -1 : (double) resident / pages(mapped);
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
