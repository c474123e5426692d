-- Issue 13 item 6: the audit log binds the stored data. Kept in step with
-- migrations/sqlite/0006_log_binding.sql. PostgreSQL's audit_log and log_head are typed already
-- (BIGINT, TEXT): a wrong-typed value is refused by the server, so nothing is rebuilt here.

-- Same table as on SQLite, where it keeps the rows of an older store that did not fit the STRICT
-- table; on PostgreSQL it stays empty.
CREATE TABLE audit_log_malformed (
    seq       TEXT,
    at        TEXT,
    actor     TEXT,
    action    TEXT,
    subject   TEXT,
    payload   TEXT,
    prev_hash TEXT,
    hash      TEXT
);

CREATE INDEX audit_log_by_subject ON audit_log (subject);

-- The first entry that carries digests of the rows it records (see the SQLite migration).
CREATE TABLE log_binding (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    from_seq BIGINT NOT NULL
);
INSERT INTO log_binding (id, from_seq) SELECT 1, seq + 1 FROM log_head;
