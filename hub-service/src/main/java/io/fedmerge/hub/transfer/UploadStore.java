package io.fedmerge.hub.transfer;

import io.fedmerge.hub.HubException;
import io.fedmerge.proto.v1.TaskVectorManifest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Upload sessions in the database (the bytes themselves live in the blob store). */
@Repository
public class UploadStore {
    private final JdbcClient db;

    UploadStore(JdbcClient db) {
        this.db = db;
    }

    void insert(Upload u) {
        db.sql("""
                insert into upload(id, round_id, node_id, sha256, total_bytes, manifest, state, created_at,
                    updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(u.id(), u.roundId(), u.nodeId(), u.sha256(), u.totalBytes(),
                        Base64.getEncoder().encodeToString(u.manifest().toByteArray()), u.state().name(),
                        Timestamp.from(u.createdAt()), Timestamp.from(u.createdAt()))
                .update();
    }

    Optional<Upload> find(String id) {
        return db.sql("select * from upload where id = ?").param(id).query(UploadStore::row).optional();
    }

    Upload get(String id) {
        return find(id).orElseThrow(() -> HubException.notFound("no upload " + id + "; call BeginUpload again"));
    }

    /** The node's live uploads for a round (uploading or committed), newest first. */
    List<Upload> live(String roundId, String nodeId) {
        return db.sql("select * from upload where round_id = ? and node_id = ? and state in ('UPLOADING',"
                + " 'COMMITTED') order by created_at desc").params(roundId, nodeId).query(UploadStore::row).list();
    }

    /** The node's uploads still in progress, in any round. */
    List<Upload> uploading(String nodeId) {
        return db.sql("select * from upload where node_id = ? and state = 'UPLOADING'").param(nodeId)
                .query(UploadStore::row).list();
    }

    /** Uploads in progress that made no progress since {@code cutoff}, or whose round no longer accepts them. */
    List<Upload> abandoned(Instant cutoff) {
        return db.sql("""
                select u.* from upload u join round r on r.id = u.round_id
                where u.state = 'UPLOADING' and (u.updated_at < ? or r.state <> 'OPEN')""")
                .param(Timestamp.from(cutoff)).query(UploadStore::row).list();
    }

    /** Records progress of an upload still in progress; false if it is not (replaced, expired, discarded). */
    boolean touchIfOpen(String id) {
        return db.sql("update upload set updated_at = ? where id = ? and state = 'UPLOADING'")
                .params(Timestamp.from(Instant.now()), id).update() == 1;
    }

    /** Moves an upload from UPLOADING to {@code state}; false if another actor moved it first. */
    boolean endIfUploading(String id, Upload.State state) {
        return db.sql("update upload set state = ?, updated_at = ? where id = ? and state = 'UPLOADING'")
                .params(state.name(), Timestamp.from(Instant.now()), id).update() == 1;
    }

    /** Committed contributions of a round. */
    public List<Upload> committed(String roundId) {
        return db.sql("select * from upload where round_id = ? and state = 'COMMITTED'").param(roundId)
                .query(UploadStore::row).list();
    }

    /** The contributions a round's merge reads: the set fixed when it started merging. */
    public List<Upload> mergeInputs(String roundId) {
        return db.sql("select u.* from merge_input m join upload u on u.id = m.upload_id where m.round_id = ?")
                .param(roundId).query(UploadStore::row).list();
    }

    /** UPLOADING -> COMMITTED with the bytes at {@code blobKey}; false if the upload was not UPLOADING. */
    boolean markCommitted(String id, String blobKey) {
        Timestamp now = Timestamp.from(Instant.now());
        return db.sql("update upload set state = 'COMMITTED', blob_key = ?, committed_at = ?, updated_at = ?"
                + " where id = ? and state = 'UPLOADING'").params(blobKey, now, now, id).update() == 1;
    }

    /** COMMITTED -> SUPERSEDED (a newer contribution of the same node replaced it). */
    boolean supersede(String id) {
        return db.sql("update upload set state = 'SUPERSEDED', updated_at = ? where id = ? and state = 'COMMITTED'")
                .params(Timestamp.from(Instant.now()), id).update() == 1;
    }

    private static Upload row(ResultSet rs, int n) throws SQLException {
        TaskVectorManifest manifest;
        try {
            manifest = TaskVectorManifest.parseFrom(Base64.getDecoder().decode(rs.getString("manifest")));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new SQLException("stored manifest is corrupt for upload " + rs.getString("id"), e);
        }
        return new Upload(rs.getString("id"), rs.getString("round_id"), rs.getString("node_id"),
                rs.getString("sha256"), rs.getLong("total_bytes"), manifest,
                Upload.State.valueOf(rs.getString("state")), rs.getTimestamp("created_at").toInstant(),
                rs.getString("blob_key"));
    }
}
