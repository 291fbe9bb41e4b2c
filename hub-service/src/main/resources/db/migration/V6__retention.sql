-- When retention deleted an ended round's contributions and upload leftovers (its published artifact stays).
alter table round add column blobs_cleaned_at timestamp;
