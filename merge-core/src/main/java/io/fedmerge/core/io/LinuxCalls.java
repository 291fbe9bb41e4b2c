package io.fedmerge.core.io;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Handles on the C library's system-call wrappers that the JDK does not expose (page-cache advice and residency).
 * Only on Linux, whose numbering of advice constants the callers use; anywhere else, or when native access is denied,
 * there is no handle and the caller skips what is only advice.
 */
final class LinuxCalls {
    private LinuxCalls() {}

    static Optional<MethodHandle> find(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return Optional.empty();
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find(name).map(f -> linker.downcallHandle(f, descriptor, options));
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty();
        }
    }
}
