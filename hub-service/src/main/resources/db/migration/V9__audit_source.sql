-- Where an audited action came from (the admin's or node's address), and indexes for the audit query API.
alter table audit_log add column source varchar(100);
create index audit_log_at on audit_log(at);
create index audit_log_actor on audit_log(actor);
