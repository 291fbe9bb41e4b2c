package io.fedmerge.core.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Reads one file's pages into the page cache ahead of use, and drops them after it. Reading ahead maps the range and
 * pre-faults it ({@code MADV_POPULATE_READ}): the kernel reads it in its own readahead windows into large folios and
 * nothing is copied. Dropping uses {@code posix_fadvise(POSIX_FADV_DONTNEED)} on a read-only descriptor of its own
 * (the page cache belongs to the file, not to a descriptor). The JDK has no API for either, hence the native calls;
 * where they are unavailable (another OS, native access denied) the advice is skipped, as advice may be.
 *
 * <p>Measured on this machine, 3 GB from an empty cache: pre-faulting in 8 MiB pieces 3.2–4.3 s with 0.05 s of
 * system time; {@code POSIX_FADV_WILLNEED} in 128 KiB pieces (Linux reads one readahead window per call) 2.5–2.7 s
 * but 1.2 s of system time, as it fills the cache with 4 KiB pages; plain reads 8.6 s, nearly all of it copying.
 * A merge is CPU-bound while it reads ahead, so the cheap way wins: TIES on 28.3 GB of inputs spent 20 s more
 * system time with WILLNEED.
 */
public final class PageCacheAdvice implements AutoCloseable {
    /** How much one pre-fault call reads: a readahead window or two, so {@code stop} is heard promptly. */
    static final long PIECE = 8 << 20;
    private static final int O_RDONLY = 0;
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final Natives NATIVES = Natives.lookup().orElse(null);

    private record Natives(MethodHandle open, MethodHandle fadvise, MethodHandle close) {
        static Optional<Natives> lookup() {
            // open(2) is variadic (its mode argument is only read with O_CREAT)
            Optional<MethodHandle> open = LinuxCalls.find("open",
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    Linker.Option.firstVariadicArg(2));
            Optional<MethodHandle> fadvise = LinuxCalls.find("posix_fadvise", FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT));
            Optional<MethodHandle> close = LinuxCalls.find("close",
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            if (open.isEmpty() || fadvise.isEmpty() || close.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Natives(open.get(), fadvise.get(), close.get()));
        }
    }

    private final FileChannel channel;
    private final int fd;

    private PageCacheAdvice(FileChannel channel, int fd) {
        this.channel = channel;
        this.fd = fd;
    }

    /** Advice for {@code file}; advice that does nothing if the file cannot be opened or advice is unsupported. */
    public static PageCacheAdvice open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            return new PageCacheAdvice(null, -1);
        }
        if (NATIVES == null) {
            return new PageCacheAdvice(channel, -1);
        }
        try (Arena arena = Arena.ofConfined()) {
            return new PageCacheAdvice(channel, (int) NATIVES.open().invokeExact(
                    arena.allocateFrom(file.toAbsolutePath().toString()), O_RDONLY));
        } catch (Throwable t) {
            return new PageCacheAdvice(channel, -1);
        }
    }

    /** Whether dropping reaches the kernel (false where it is skipped). */
    public boolean effective() {
        return fd >= 0;
    }

    /**
     * Reads {@code [offset, offset + length)} into the page cache, piece by piece, and returns when it is there (or
     * on the first failure: what could not be read ahead is read when it is used). Stops early once {@code stop}
     * says so.
     */
    public void willNeed(long offset, long length, BooleanSupplier stop) {
        if (channel == null || length == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, offset, length, arena);
            for (long at = 0; at < length && !stop.getAsBoolean(); at += PIECE) {
                MemorySegment piece = mapped.asSlice(at, Math.min(PIECE, length - at));
                // cached inputs (a second merge of the same models) need no page tables set up for nothing
                if (!PageResidency.allCached(piece)) {
                    PageReadahead.populate(piece);
                }
            }
        } catch (IOException | RuntimeException e) {
            // advice only: the merge reads these pages itself and reports any real error
        }
    }

    /** Whether every page of {@code [offset, offset + length)} is in the page cache (false if that cannot be told). */
    public boolean allCached(long offset, long length) {
        if (length == 0) {
            return true;
        }
        if (channel == null) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            return PageResidency.allCached(channel.map(FileChannel.MapMode.READ_ONLY, offset, length, arena));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Drops the clean cached pages of {@code [offset, offset + length)}; the next read comes from disk. */
    public void dontNeed(long offset, long length) {
        if (fd < 0 || length == 0) {
            return;
        }
        try {
            int ignored = (int) NATIVES.fadvise().invokeExact(fd, offset, length, POSIX_FADV_DONTNEED);
        } catch (Throwable t) {
            // advice only
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // read-only: nothing can be lost
            }
        }
        if (fd < 0) {
            return;
        }
        try {
            int ignored = (int) NATIVES.close().invokeExact(fd);
        } catch (Throwable t) {
            // a read-only descriptor: nothing can be lost
        }
    }
}
