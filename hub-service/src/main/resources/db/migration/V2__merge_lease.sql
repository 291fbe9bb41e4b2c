-- Which hub replica runs a round's merge, and until when its claim holds without renewal. A replica re-runs a
-- MERGING round only after the owner's lease has expired (the owner died), so two replicas never merge the same
-- round at once.
alter table round add column merge_owner varchar(100);
alter table round add column lease_until timestamp;
