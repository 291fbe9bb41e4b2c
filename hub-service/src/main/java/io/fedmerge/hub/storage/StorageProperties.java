package io.fedmerge.hub.storage;

import java.net.URI;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Where blobs live ({@code fedmerge.hub.storage.*}): {@code filesystem} (the default, under the data directory) or
 * {@code s3} (any S3-compatible store).
 */
@ConfigurationProperties("fedmerge.hub.storage")
public record StorageProperties(@DefaultValue("filesystem") String type, @DefaultValue S3 s3) {

    /**
     * @param endpoint the store's URL; empty = AWS's endpoint for the region
     * @param region signing region (S3-compatible stores accept any, conventionally us-east-1)
     * @param bucket bucket holding every blob of this hub
     * @param prefix key prefix inside the bucket, so several hubs or environments can share one
     * @param accessKey access key id; empty = the AWS default chain (environment, profile, instance role)
     * @param secretKey secret access key
     * @param pathStyle address buckets as {@code endpoint/bucket} (most self-hosted stores) instead of a host name
     * @param partSize size of upload parts and of multipart parts (5 MB to 5 GB)
     * @param createBucket create the bucket at start when it is missing, instead of refusing to start
     */
    public record S3(URI endpoint, @DefaultValue("us-east-1") String region, String bucket,
            @DefaultValue("fedmerge/") String prefix, String accessKey, String secretKey,
            @DefaultValue("true") boolean pathStyle, @DefaultValue("16MB") DataSize partSize,
            @DefaultValue("false") boolean createBucket) {}
}
