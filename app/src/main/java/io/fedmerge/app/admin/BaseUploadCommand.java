package io.fedmerge.app.admin;

import io.fedmerge.app.AdminApi;
import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.cli.ProgressBar;
import io.fedmerge.core.io.FileHashes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

@Command(name = "upload", mixinStandardHelpOptions = true, description = "Upload a checkpoint directory into the"
        + " hub's store and register it, for a hub whose disk you cannot reach (a pod). Each file's SHA-256 is"
        + " checked by the hub. Interrupted? Run the same command again: it resumes where the bytes stopped.")
final class BaseUploadCommand implements Runnable {
    private static final int ATTEMPTS = 5;

    @Mixin
    HubOptions hub;

    @Parameters(index = "0", paramLabel = "NAME", description = "The base's name on the hub.")
    String name;

    @Parameters(index = "1", paramLabel = "DIR", description = "The checkpoint directory (config.json,"
            + " *.safetensors, tokenizer files); files in subdirectories and hidden files are not sent.")
    Path dir;

    @Option(names = "--chunk-mib", defaultValue = "32", description = "Bytes per request in MiB; a cut connection"
            + " re-sends at most this much (default: ${DEFAULT-VALUE}).")
    int chunkMib;

    @Override
    public void run() {
        if (chunkMib < 1 || chunkMib > 1024) {
            throw new FedmergeException("--chunk-mib must be 1..1024, found " + chunkMib);
        }
        List<Path> files = files();
        AdminApi api = hub.api();
        JsonNode upload = api.post("/api/v1/base-models/uploads", Map.of("name", name, "files", declare(files)));
        String id = upload.path("id").asString();
        Map<String, Long> received = new HashMap<>();
        upload.path("files").forEach(f -> received.put(f.path("file").asString(), f.path("received").asLong()));
        send(api, id, files, received);
        JsonNode base = api.post("/api/v1/base-models/uploads/" + id + "/complete", Map.of());
        System.out.println(hub.json ? base.toPrettyString() : "registered " + base.path("name").asString() + " ("
                + base.path("tensors").asInt() + " tensors, digest " + base.path("digest").asString() + ")");
    }

    private List<Path> files() {
        if (!Files.isDirectory(dir)) {
            throw new FedmergeException(dir + " is not a directory; give the checkpoint's directory");
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Map<String, Object>> declare(List<Path> files) {
        ProgressBar bar = new ProgressBar(System.err, "hashing", "files", hub.json);
        long total = 0;
        for (Path f : files) {
            total += size(f);
        }
        bar.started(files.size(), total);
        List<Map<String, Object>> declared = new ArrayList<>();
        long done = 0;
        for (Path f : files) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("file", f.getFileName().toString());
            d.put("bytes", size(f));
            try {
                d.put("sha256", FileHashes.sha256(f));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            declared.add(d);
            done += size(f);
            bar.tensorDone(f.getFileName().toString(), declared.size(), done);
        }
        return declared;
    }

    private void send(AdminApi api, String id, List<Path> files, Map<String, Long> received) {
        ProgressBar bar = new ProgressBar(System.err, "uploading", "files", hub.json);
        long total = files.stream().mapToLong(BaseUploadCommand::size).sum();
        long done = received.values().stream().mapToLong(Long::longValue).sum();
        bar.started(files.size(), total);
        byte[] buffer = new byte[chunkMib << 20];
        int filesDone = 0;
        for (Path f : files) {
            String file = f.getFileName().toString();
            long at = received.getOrDefault(file, 0L);
            long size = size(f);
            while (at < size) {
                long before = at;
                at = sendPiece(api, id, f, at, buffer);
                done += at - before;
                bar.tensorDone(file, filesDone, done);
            }
            bar.tensorDone(file, ++filesDone, done);
        }
    }

    /** Sends one piece from {@code at}; after a failure asks the hub where the file stands and goes on from there. */
    private static long sendPiece(AdminApi api, String id, Path f, long at, byte[] buffer) {
        String file = f.getFileName().toString();
        for (int attempt = 1; ; attempt++) {
            try {
                int n = read(f, at, buffer);
                return api.put("/api/v1/base-models/uploads/" + id + "/files/" + file + "?offset=" + at, buffer, n)
                        .path("received").asLong();
            } catch (FedmergeException e) {
                if (attempt == ATTEMPTS) {
                    throw new FedmergeException(e.getMessage() + " (after " + ATTEMPTS + " attempts; run the same"
                            + " command again to resume)", e);
                }
                System.err.println("upload of " + file + " interrupted (" + e.getMessage() + "); resuming");
                pause(attempt);
                at = where(api, id, file, at);
            }
        }
    }

    /** Backs off before a retry, so a hub that is restarting gets a moment (1 s, 2 s, 3 s …). */
    private static void pause(int attempt) {
        try {
            Thread.sleep(1000L * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FedmergeException("interrupted");
        }
    }

    private static long where(AdminApi api, String id, String file, long fallback) {
        try {
            for (JsonNode f : api.get("/api/v1/base-models/uploads/" + id).path("files")) {
                if (f.path("file").asString().equals(file)) {
                    return f.path("received").asLong();
                }
            }
        } catch (FedmergeException unreachable) {
            // The hub is not back yet; the next attempt starts from what we last knew.
        }
        return fallback;
    }

    private static int read(Path f, long at, byte[] buffer) {
        try (FileChannel ch = FileChannel.open(f)) {
            ByteBuffer b = ByteBuffer.wrap(buffer);
            while (b.hasRemaining() && at + b.position() < ch.size()) {
                if (ch.read(b, at + b.position()) < 0) {
                    break;
                }
            }
            return b.position();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
