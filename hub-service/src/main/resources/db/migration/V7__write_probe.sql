-- One row the hub rewrites every fedmerge.hub.database-probe-ms: a read can succeed on a database that can no longer
-- write (embedded H2 on a full disk), so readiness and recovery are decided by a write.
create table write_probe (
    id int primary key,
    at timestamp not null
);
insert into write_probe(id, at) values (1, current_timestamp);
