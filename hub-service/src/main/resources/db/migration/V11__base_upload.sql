-- Base checkpoints uploaded through the admin API into the blob store (resumable, per-file SHA-256) instead of being
-- registered from a path under the models root. A finished upload becomes a base_model with stored_files set.
create table base_upload (
    id          varchar(36) primary key,
    name        varchar(100) not null unique,
    files       varchar not null,
    created_by  varchar(200) not null,
    created_at  timestamp not null,
    updated_at  timestamp not null
);
alter table base_model add column stored_files varchar;
