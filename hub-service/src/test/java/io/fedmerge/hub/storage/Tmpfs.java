package io.fedmerge.hub.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * A small volume of its own (a tmpfs mounted for a test, which needs root), and another process's files that fill
 * it: how the tests make a real disk full.
 */
public final class Tmpfs implements AutoCloseable {
    private final Path mountPoint;

    private Tmpfs(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    /** Mounts a tmpfs of {@code size} (mount's syntax, e.g. 48m) at {@code dir}; null, with why, where not allowed. */
    public static Tmpfs mount(Path dir, String size, StringBuilder whyNot) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
                .redirectErrorStream(true).start();
        if (mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0) {
            return new Tmpfs(dir);
        }
        whyNot.append("cannot mount a tmpfs here (needs root): ")
                .append(new String(mount.getInputStream().readAllBytes()).strip());
        return null;
    }

    public Path path() {
        return mountPoint;
    }

    /** Writes a junk file so that {@code free} bytes stay free on the volume (as another process would). */
    public Path fillLeaving(long free) throws IOException {
        Path junk = mountPoint.resolve("junk-" + System.nanoTime());
        long toWrite = Math.max(0, Files.getFileStore(mountPoint).getUsableSpace() - free);
        ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(junk, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (toWrite > 0) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), toWrite));
                try {
                    toWrite -= ch.write(zeros);
                } catch (IOException full) {
                    break; // the volume is full: that was the point
                }
            }
        }
        return junk;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        new ProcessBuilder("umount", mountPoint.toString()).start().waitFor(30, TimeUnit.SECONDS);
    }
}
