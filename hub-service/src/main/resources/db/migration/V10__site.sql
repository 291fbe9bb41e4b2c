-- The hospital site an enrollment token was minted for and a node enrolled with it belongs to: a site admin
-- manages only its own site's tokens and nodes. Null = no site (managed by network admins only).
alter table enrollment_token add column site varchar(100);
alter table node add column site varchar(100);
create index node_site on node(site);
