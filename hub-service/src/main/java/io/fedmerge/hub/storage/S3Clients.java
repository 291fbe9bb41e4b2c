package io.fedmerge.hub.storage;

import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Builds the S3 client from {@code fedmerge.hub.storage.s3.*} and checks the bucket before the hub serves. */
public final class S3Clients {
    private S3Clients() {}

    public static S3Client connect(StorageProperties.S3 s3) {
        if (s3.bucket() == null || s3.bucket().isBlank()) {
            throw new IllegalStateException("fedmerge.hub.storage.type is s3 but fedmerge.hub.storage.s3.bucket is"
                    + " not set (FEDMERGE_HUB_STORAGE_S3_BUCKET)");
        }
        var builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofMinutes(2)))
                .region(Region.of(s3.region()))
                .forcePathStyle(s3.pathStyle())
                .credentialsProvider(credentials(s3))
                // Integrity is checked end to end by SHA-256 (uploads at commit, artifacts at install); the SDK's
                // newer default trailing checksums are not understood by every S3-compatible store.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (hasEndpoint(s3)) {
            builder.endpointOverride(s3.endpoint());
        }
        return builder.build();
    }

    private static boolean hasEndpoint(StorageProperties.S3 s3) {
        return s3.endpoint() != null && !s3.endpoint().toString().isBlank();
    }

    private static AwsCredentialsProvider credentials(StorageProperties.S3 s3) {
        boolean hasKey = s3.accessKey() != null && !s3.accessKey().isBlank();
        if (!hasKey) {
            return DefaultCredentialsProvider.builder().build();
        }
        if (s3.secretKey() == null || s3.secretKey().isBlank()) {
            throw new IllegalStateException("fedmerge.hub.storage.s3.access-key is set but secret-key is empty"
                    + " (FEDMERGE_HUB_STORAGE_S3_SECRET_KEY)");
        }
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey()));
    }

    /** Fails start-up with what to fix when the bucket is missing or the credentials are refused. */
    static void checkBucket(S3Client client, StorageProperties.S3 s3) {
        String where = "bucket '" + s3.bucket() + "' at " + (hasEndpoint(s3) ? s3.endpoint()
                : "AWS " + s3.region());
        try {
            client.headBucket(b -> b.bucket(s3.bucket()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404 && s3.createBucket()) {
                client.createBucket(b -> b.bucket(s3.bucket()));
                return;
            }
            if (e.statusCode() == 404) {
                throw new IllegalStateException(where + " does not exist; create it or set"
                        + " fedmerge.hub.storage.s3.create-bucket=true");
            }
            if (e.statusCode() == 403) {
                throw new IllegalStateException(where + " refused the credentials (HTTP 403); check access-key,"
                        + " secret-key and the bucket policy");
            }
            throw new IllegalStateException(where + " answered HTTP " + e.statusCode() + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IllegalStateException("cannot reach " + where + ": " + e.getMessage(), e);
        }
    }
}
