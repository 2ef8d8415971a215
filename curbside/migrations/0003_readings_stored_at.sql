-- When each reading was written: the database clock at its insert, inside the ingest's batch
-- transaction (the commit follows once the batch's events and rejects are written). The load
-- generator measures publish-to-storage latency with it; an operator can watch the ingest's
-- lag with it. The column comes without a default first, so existing rows are not rewritten
-- (they keep NULL, their storage time unknown); the default then fills it for new rows.
ALTER TABLE readings ADD COLUMN stored_at timestamptz;
ALTER TABLE readings ALTER COLUMN stored_at SET DEFAULT clock_timestamp();
