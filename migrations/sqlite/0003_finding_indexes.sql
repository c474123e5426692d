-- Cheaper finding inserts (docs/store.md, benchmark): the status index is dropped (listing by status
-- scans), and the carry-over lookup uses a partial index holding only decided findings, which are few.
DROP INDEX findings_by_status;
DROP INDEX findings_by_fingerprint;
CREATE INDEX findings_decided ON findings (good, fingerprint) WHERE status IN ('accepted', 'dismissed', 'waived');
