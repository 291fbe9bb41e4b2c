-- The exact contributions a merge reads, fixed in the transaction that moves the round OPEN -> MERGING (which holds
-- the round's row, as every commit does), so no replica can add or swap one afterwards; a re-run (restart,
-- orphan adoption, retry) reads the same set.
create table merge_input (
    round_id  varchar(36) not null references round(id),
    upload_id varchar(36) not null references upload(id),
    primary key (round_id, upload_id)
);

-- Where a committed contribution's bytes are: rounds/<round>/contributions/<upload id>.safetensors. Keyed by upload,
-- so a replacement never overwrites a blob a merge may be staging. Null for contributions committed before V5,
-- which are under the node's name.
alter table upload add column blob_key varchar(300);

-- Contributions committed before V5 are under the node's name; rounds already merging (or failed) get the set they
-- would have merged.
update upload set blob_key = 'rounds/' || round_id || '/contributions/'
        || (select n.name from node n where n.id = upload.node_id) || '.safetensors'
    where state = 'COMMITTED';
insert into merge_input(round_id, upload_id)
    select u.round_id, u.id from upload u join round r on r.id = u.round_id
    where u.state = 'COMMITTED' and r.state in ('MERGING', 'FAILED');
