package io.fedmerge.hub.storage;

import io.fedmerge.core.io.FileTrees;
import io.fedmerge.hub.HubProperties;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Blobs in an S3-compatible bucket. Every object is written whole and never held in memory:
 * <ul>
 * <li>an upload in progress is a run of part objects {@code <key>.parts/<offset>} of up to one part size each, so
 * a stream cut at any point resumes, on any replica, from the bytes already stored; the receiving replica also
 * spools the bytes to local disk, so its commit checks them without fetching them back;
 * <li>a committed upload is assembled from its parts inside the store (UploadPartCopy); other files go up as
 * multipart uploads read from disk, parts in parallel;
 * <li>downloads stream a ranged GET from the requested offset; merges and commit checks stage a local copy with
 * parallel ranged GETs, because merge-core maps its inputs and reads them several times.
 * </ul>
 */
@Component
@ConditionalOnProperty(name = "fedmerge.hub.storage.type", havingValue = "s3")
public class S3BlobStore implements BlobStore, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(S3BlobStore.class);
    private static final String PARTS = ".parts/";
    /** Parallel transfers per file: enough to hide request latency without flooding two cores. */
    private static final int LANES = 4;
    private static final int MAX_ATTEMPTS = 4;
    private static final int MAX_MULTIPART_PARTS = 10_000;
    /** S3's smallest multipart part (all but the last). */
    private static final long MIN_MULTIPART_PART = 5L << 20;

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final int partBytes;
    private final Path staging;
    /** Background part PUTs of upload streams (one in flight per stream). */
    private final ExecutorService partWriters = Executors.newVirtualThreadPerTaskExecutor();

    @Autowired
    S3BlobStore(StorageProperties storage, HubProperties hub) throws IOException {
        this(S3Clients.connect(storage.s3()), storage.s3(), hub.dataDir().resolve("staging"));
    }

    public S3BlobStore(S3Client s3, StorageProperties.S3 settings, Path staging) throws IOException {
        long part = settings.partSize().toBytes();
        if (part < 5L << 20 || part > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("fedmerge.hub.storage.s3.part-size must be between 5MB and 2GB, not "
                    + settings.partSize());
        }
        this.s3 = s3;
        this.bucket = settings.bucket();
        this.prefix = settings.prefix() == null ? "" : settings.prefix();
        this.partBytes = (int) part;
        this.staging = staging.toAbsolutePath();
        FileTrees.deleteRecursively(this.staging); // copies a crashed process left behind
        Files.createDirectories(this.staging);
        S3Clients.checkBucket(s3, settings);
    }

    private String object(String key) {
        if (key.contains("..") || key.startsWith("/")) {
            throw new IllegalArgumentException("blob key escapes the store: " + key);
        }
        return prefix + key;
    }

    @Override
    public long size(String key) throws IOException {
        long whole = objectSize(object(key));
        if (whole >= 0) {
            return whole;
        }
        List<Piece> parts = storedParts(key);
        return parts.isEmpty() ? -1 : end(parts);
    }

    private long objectSize(String object) throws IOException {
        try {
            return s3.headObject(b -> b.bucket(bucket).key(object)).contentLength();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return -1;
            }
            throw failure("HEAD " + object, e);
        } catch (SdkException e) {
            throw failure("HEAD " + object, e);
        }
    }

    /** Every part object of an upload, by offset. */
    private List<Piece> allParts(String key) throws IOException {
        List<Piece> parts = new ArrayList<>();
        String dir = object(key) + PARTS;
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(dir)).contents()) {
                long offset = Long.parseLong(o.key().substring(dir.length()));
                parts.add(new Piece(o.key(), 0, o.size(), offset));
            }
        } catch (SdkException | NumberFormatException e) {
            throw failure("LIST " + dir, e);
        }
        parts.sort((a, b) -> Long.compare(a.fileOffset(), b.fileOffset()));
        return parts;
    }

    /** The contiguous run of part objects from offset 0 (a part beyond a gap is ignored and later overwritten). */
    private List<Piece> storedParts(String key) throws IOException {
        List<Piece> run = new ArrayList<>();
        long end = 0;
        for (Piece p : allParts(key)) {
            if (p.fileOffset() > end) {
                break;
            }
            if (p.fileOffset() + p.length() > end) {
                run.add(p);
                end = p.fileOffset() + p.length();
            }
        }
        return run;
    }

    private static long end(List<Piece> parts) {
        Piece last = parts.getLast();
        return last.fileOffset() + last.length();
    }

    /**
     * The local copy an upload stream writes beside its part objects, so the commit on this replica checks the bytes
     * it received instead of fetching them back. Valid only while it is exactly as long as the stored parts.
     */
    private Path spool(String key) {
        return staging.resolve("spool").resolve(key.replace('/', '!'));
    }

    private static String partName(long offset) {
        return String.format("%020d", offset);
    }

    @Override
    public Appender appender(String key) throws IOException {
        List<Piece> parts = storedParts(key);
        long stored = parts.isEmpty() ? 0 : end(parts);
        String dir = object(key) + PARTS;
        return new S3PartAppender((offset, data, length) -> {
            String part = dir + partName(offset);
            request("PUT " + part, () -> s3.putObject(b -> b.bucket(bucket).key(part).contentLength((long) length),
                    RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data, 0, length), length,
                            "application/octet-stream")));
        }, partWriters, partBytes, stored, openSpool(key, stored));
    }

    /**
     * Opens this upload's spool, cut back to the stored length, or returns null when the spool cannot match the
     * stored parts (another replica stored some of them): the commit then stages from S3.
     */
    private FileChannel openSpool(String key, long durable) throws IOException {
        Path file = spool(key);
        Files.createDirectories(file.getParent());
        long have = Files.exists(file) ? Files.size(file) : -1;
        if (have < durable && !(have == -1 && durable == 0)) {
            Files.deleteIfExists(file);
            return null;
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        ch.truncate(durable);
        return ch;
    }

    @Override
    public SeekableByteChannel read(String key) throws IOException {
        String object = object(key);
        long size = objectSize(object);
        if (size < 0) {
            throw new NoSuchFileException("blob " + key);
        }
        return new S3ReadChannel(s3, bucket, object, size);
    }

    @Override
    public boolean stagesCopies() {
        return true;
    }

    @Override
    public Staged stage(String key) throws IOException {
        String object = object(key);
        long size = objectSize(object);
        List<Piece> pieces = new ArrayList<>();
        if (size >= 0) {
            for (long at = 0; at < size; at += partBytes) {
                pieces.add(new Piece(object, at, Math.min(partBytes, size - at), at));
            }
        } else {
            pieces.addAll(storedParts(key));
            if (pieces.isEmpty()) {
                throw new NoSuchFileException("blob " + key);
            }
            size = end(pieces);
            Path local = spool(key);
            if (Files.exists(local) && Files.size(local) == size) {
                return kept(local);
            }
        }
        Path file = staging.resolve(UUID.randomUUID() + ".blob");
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            inLanes(pieces, (i, p) -> {
                fetch(p, out);
                return null;
            });
            out.truncate(size);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return new Staged() {
            @Override
            public Path path() {
                return file;
            }

            @Override
            public void close() throws IOException {
                Files.deleteIfExists(file);
            }
        };
    }

    /** A staged file that outlives the handle (the upload's spool, removed with the upload). */
    private static Staged kept(Path file) {
        return new Staged() {
            @Override
            public Path path() {
                return file;
            }

            @Override
            public void close() {
                // deleted with its upload
            }
        };
    }

    /**
     * Copies one ranged GET into the file at its offset. A body that breaks mid-way is past the SDK's retries, so
     * the GET is resumed here from the bytes already written.
     */
    private void fetch(Piece p, FileChannel out) throws IOException {
        byte[] buf = new byte[64 << 10];
        long done = 0;
        for (int attempt = 1; ; attempt++) {
            long from = p.rangeStart() + done;
            String range = "bytes=" + from + "-" + (p.rangeStart() + p.length() - 1);
            try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(p.objectKey())
                    .range(range))) {
                for (int n; done < p.length() && (n = in.read(buf, 0, (int) Math.min(buf.length,
                        p.length() - done))) > 0; done += n) {
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    long at = p.fileOffset() + done;
                    while (bb.hasRemaining()) {
                        at += out.write(bb, at);
                    }
                }
                if (done == p.length()) {
                    return;
                }
                throw new IOException("GET " + p.objectKey() + " ended after " + done + " of " + p.length()
                        + " bytes");
            } catch (IOException | SdkException e) {
                if (attempt == MAX_ATTEMPTS) {
                    throw failure("GET " + p.objectKey() + " " + range, e);
                }
                LOG.warn("GET {} {} failed ({}); resuming", p.objectKey(), range, e.getMessage());
            }
        }
    }

    @Override
    public void put(String key, Path file) throws IOException {
        String object = object(key);
        long size = Files.size(file);
        long part = Math.max(partBytes, Math.ceilDiv(size, MAX_MULTIPART_PARTS));
        if (size <= part) {
            request("PUT " + object, () -> s3.putObject(b -> b.bucket(bucket).key(object).contentLength(size),
                    RequestBody.fromContentProvider(() -> FileRangeStream.open(file, 0, size), size,
                            "application/octet-stream")));
        } else {
            multipart(object, file, size, part);
        }
        Files.deleteIfExists(file);
    }

    private void multipart(String object, Path file, long size, long part) throws IOException {
        List<Piece> pieces = new ArrayList<>();
        for (long at = 0; at < size; at += part) {
            pieces.add(new Piece(object, at, Math.min(part, size - at), at));
        }
        multipartObject(object, pieces, "UploadPart", (number, uploadId, p) -> s3.uploadPart(
                b -> b.bucket(bucket).key(object).uploadId(uploadId).partNumber(number).contentLength(p.length()),
                RequestBody.fromContentProvider(() -> FileRangeStream.open(file, p.fileOffset(), p.length()),
                        p.length(), "application/octet-stream")).eTag());
    }

    /** Sends part {@code number} of a multipart upload; returns its ETag. */
    private interface PartSender {
        String send(int number, String uploadId, Piece p);
    }

    /**
     * One multipart upload of {@code object}, piece i as part i + 1, up to {@link #LANES} parts at a time; aborted
     * (nothing left behind in the store) if any part or the completion fails.
     */
    private void multipartObject(String object, List<Piece> pieces, String operation, PartSender sender)
            throws IOException {
        String uploadId = request("CreateMultipartUpload " + object, () -> s3.createMultipartUpload(
                b -> b.bucket(bucket).key(object)).uploadId());
        try {
            List<CompletedPart> done = inLanes(pieces, (i, p) -> {
                int number = i + 1;
                String etag = request(operation + " " + number + " of " + object,
                        () -> sender.send(number, uploadId, p));
                return CompletedPart.builder().partNumber(number).eTag(etag).build();
            });
            request("CompleteMultipartUpload " + object, () -> s3.completeMultipartUpload(b -> b.bucket(bucket)
                    .key(object).uploadId(uploadId).multipartUpload(m -> m.parts(done))));
        } catch (IOException | RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(object).uploadId(uploadId));
            } catch (SdkException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    /**
     * Assembles the target from the upload's part objects inside the store (UploadPartCopy), so the bytes do not
     * cross the hub again; falls back to uploading the verified copy when a part is too small for a multipart part
     * (a stream cut left a short one) or the store cannot copy parts.
     */
    @Override
    public void promote(String from, String to, Path verifiedCopy) throws IOException {
        List<Piece> parts = storedParts(from);
        if (objectSize(object(from)) < 0 && copyable(parts)) {
            try {
                assemble(object(to), parts);
                delete(from);
                return;
            } catch (IOException e) {
                LOG.warn("server-side assembly of {} failed ({}); uploading the verified copy instead", to,
                        e.getMessage());
            }
        }
        put(to, verifiedCopy);
        delete(from);
    }

    private static boolean copyable(List<Piece> parts) {
        if (parts.size() < 2 || parts.size() > MAX_MULTIPART_PARTS) {
            return false; // one part: a plain PUT of the local copy is one request anyway
        }
        long at = 0;
        for (int i = 0; i < parts.size(); i++) {
            Piece p = parts.get(i);
            boolean last = i == parts.size() - 1;
            if (p.fileOffset() != at || (!last && p.length() < MIN_MULTIPART_PART)) {
                return false;
            }
            at += p.length();
        }
        return true;
    }

    private void assemble(String object, List<Piece> parts) throws IOException {
        multipartObject(object, parts, "UploadPartCopy", (number, uploadId, p) -> s3.uploadPartCopy(
                b -> b.sourceBucket(bucket).sourceKey(p.objectKey()).destinationBucket(bucket).destinationKey(object)
                        .uploadId(uploadId).partNumber(number)).copyPartResult().eTag());
    }

    @Override
    public void delete(String key) throws IOException {
        String object = object(key);
        for (Piece p : allParts(key)) {
            deleteObject(p.objectKey());
        }
        deleteObject(object);
        Files.deleteIfExists(spool(key));
    }

    @Override
    public List<String> list(String dirKey) throws IOException {
        String dir = object(dirKey.endsWith("/") ? dirKey : dirKey + "/");
        List<String> names = new ArrayList<>();
        try {
            // The delimiter keeps subdirectories (and uploads in progress, kept as <key>.parts/) out of the answer.
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(dir).delimiter("/"))
                    .contents()) {
                String name = o.key().substring(dir.length());
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
        } catch (SdkException e) {
            throw failure("LIST " + dir, e);
        }
        names.sort(null);
        return names;
    }

    @Override
    public void deleteTree(String prefixKey) throws IOException {
        String dir = object(prefixKey.endsWith("/") ? prefixKey : prefixKey + "/");
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(dir)).contents()) {
                deleteObject(o.key());
            }
        } catch (SdkException e) {
            throw failure("LIST " + dir, e);
        }
    }

    private void deleteObject(String object) throws IOException {
        request("DELETE " + object, () -> s3.deleteObject(b -> b.bucket(bucket).key(object)));
    }

    @Override
    public void close() {
        partWriters.close();
        s3.close();
    }

    private interface Work<T> {
        /** @param index the piece's position in the list */
        T run(int index, Piece p) throws IOException;
    }

    /** Runs one task per piece on up to {@link #LANES} threads and returns the results in piece order. */
    private static <T> List<T> inLanes(List<Piece> pieces, Work<T> work) throws IOException {
        if (pieces.size() == 1) {
            return Collections.singletonList(work.run(0, pieces.getFirst())); // may hold null
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(LANES, pieces.size()),
                Thread.ofVirtual().name("s3-lane-", 0).factory())) {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < pieces.size(); i++) {
                int index = i;
                futures.add(pool.submit((Callable<T>) () -> work.run(index, pieces.get(index))));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("S3 transfer interrupted");
        }
    }

    private interface Call<T> {
        T run();
    }

    /** One request; the SDK itself retries transient failures, re-reading the body from its source. */
    private static <T> T request(String what, Call<T> call) throws IOException {
        try {
            return call.run();
        } catch (SdkException e) {
            throw failure(what, e);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static IOException failure(String what, Exception e) {
        return new IOException("S3 " + what + " failed: " + e.getMessage(), e);
    }

    /** A byte range of an S3 object and where it lands in the whole blob. */
    private record Piece(String objectKey, long rangeStart, long length, long fileOffset) {}
}
