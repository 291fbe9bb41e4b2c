-- Client certificates the hub issued to nodes (mutual TLS). A call is accepted only with a certificate whose
-- serial is listed here for the calling node and not revoked, so revocation takes effect on the next call.
create table node_certificate (
    serial     varchar(40) primary key,
    node_id    varchar(36) not null references node(id),
    not_before timestamp not null,
    not_after  timestamp not null,
    issued_at  timestamp not null,
    revoked_at timestamp
);

create index node_certificate_node on node_certificate(node_id);
