package io.fedmerge.hub.transfer;

import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubProperties;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Expires upload sessions nobody has touched for the session TTL, or whose round no longer accepts them: their
 * partial bytes are deleted, so a declared 64 GB upload that was abandoned does not hold the disk.
 */
@Component
public class UploadExpiry {
    private static final Logger LOG = LoggerFactory.getLogger(UploadExpiry.class);
    private final UploadStore uploads;
    private final UploadService sessions;
    private final AuditLog audit;
    private final HubProperties properties;

    UploadExpiry(UploadStore uploads, UploadService sessions, AuditLog audit, HubProperties properties) {
        this.uploads = uploads;
        this.sessions = sessions;
        this.audit = audit;
        this.properties = properties;
    }

    /** One sweep (the scheduler runs it every fedmerge.hub.streams.session-sweep-ms). */
    @Scheduled(fixedDelayString = "${fedmerge.hub.streams.session-sweep-ms:60000}",
            initialDelayString = "${fedmerge.hub.streams.session-sweep-ms:60000}")
    public void expireAbandoned() {
        for (Upload u : uploads.abandoned(Instant.now().minus(properties.streams().sessionTtl()))) {
            try {
                if (uploads.endIfUploading(u.id(), Upload.State.EXPIRED)) {
                    sessions.deletePartial(u);
                    audit.record("hub", "upload.expire", u.roundId(), "upload " + u.id() + " of node " + u.nodeId());
                }
            } catch (RuntimeException e) {
                LOG.warn("upload={} expired, but its bytes could not be deleted yet: {}", u.id(), e.getMessage());
            }
        }
    }
}
