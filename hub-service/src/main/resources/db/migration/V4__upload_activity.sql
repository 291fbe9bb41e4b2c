-- When an upload session last made progress (begin, a chunk stream's re-check, the stream's end). Sessions
-- untouched for fedmerge.hub.streams.session-ttl expire and their partial bytes are deleted, so an abandoned
-- 64 GB declaration cannot hold disk forever.
alter table upload add column updated_at timestamp;
update upload set updated_at = created_at;
