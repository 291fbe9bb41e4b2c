package io.fedmerge.core.io;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Pre-faults a freshly mapped range with {@code madvise(MADV_POPULATE_READ)} (Linux ≥ 5.14): one system call maps
 * all its pages from the page cache, instead of one page fault per 4 KiB as the merge touches them. Merges map every
 * input slice anew (so unmapping keeps resident memory bounded), which made those faults the single largest cost of
 * a merge. Where the call is unavailable (other OS, older kernel, native access denied) this is a no-op.
 */
final class PageReadahead {
    private static final int MADV_POPULATE_READ = 22;
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = lookup();

    private PageReadahead() {}

    private static MethodHandle lookup() {
        if (!Boolean.parseBoolean(System.getProperty("fedmerge.populate", "true"))) {
            return null;
        }
        return LinuxCalls.find("madvise", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)).orElse(null);
    }

    /**
     * Pre-faults {@code mapped}; a failure is ignored, as the pages then fault in when touched. It is not remembered
     * either: besides EINVAL (a kernel without the call, where each try costs one cheap system call) the call fails
     * with EINTR when a signal arrives mid-way, which must not turn pre-faulting off for the rest of the process.
     */
    static void populate(MemorySegment mapped) {
        if (MADVISE == null || mapped.byteSize() == 0) {
            return;
        }
        long start = mapped.address() & -PAGE;
        long length = mapped.address() + mapped.byteSize() - start;
        try {
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), length, MADV_POPULATE_READ);
        } catch (Throwable t) {
            // advice only
        }
    }
}
