-- Issue 13 item 6: the audit log binds the stored data, and its columns are strictly typed.
-- Kept in step with migrations/postgres/0006_log_binding.sql.
--
-- audit_log and log_head become STRICT tables: a `seq` that is not an integer, or a payload that is not
-- text, is refused by SQLite itself (before, a TEXT `seq` sorted after every number and escaped
-- `log verify`, and a REAL `seq` or a BLOB payload made it fail to read). Rows of an older store that
-- do not fit are kept, not dropped: they go to `audit_log_malformed` as they were, and `log verify`
-- names each one.
CREATE TABLE audit_log_strict (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    payload   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;

-- No declared types: it holds whatever an older store held, as it was.
CREATE TABLE audit_log_malformed (seq, at, actor, action, subject, payload, prev_hash, hash);

INSERT INTO audit_log_strict (seq, at, actor, action, subject, payload, prev_hash, hash)
SELECT seq, at, actor, action, subject, payload, prev_hash, hash FROM audit_log
WHERE typeof(seq) = 'integer' AND typeof(at) = 'text' AND typeof(actor) = 'text' AND typeof(action) = 'text'
  AND typeof(subject) = 'text' AND typeof(payload) = 'text' AND typeof(prev_hash) = 'text' AND typeof(hash) = 'text';

INSERT INTO audit_log_malformed (seq, at, actor, action, subject, payload, prev_hash, hash)
SELECT seq, at, actor, action, subject, payload, prev_hash, hash FROM audit_log
WHERE NOT (typeof(seq) = 'integer' AND typeof(at) = 'text' AND typeof(actor) = 'text' AND typeof(action) = 'text'
  AND typeof(subject) = 'text' AND typeof(payload) = 'text' AND typeof(prev_hash) = 'text' AND typeof(hash) = 'text');

DROP TABLE audit_log;
ALTER TABLE audit_log_strict RENAME TO audit_log;
CREATE INDEX audit_log_by_subject ON audit_log (subject);

CREATE TABLE log_head_strict (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL,
    touched_at TEXT NOT NULL
) STRICT;
INSERT INTO log_head_strict (id, seq, hash, touched_at)
SELECT id, CAST(seq AS INTEGER), CAST(hash AS TEXT), CAST(touched_at AS TEXT) FROM log_head;
DROP TABLE log_head;
ALTER TABLE log_head_strict RENAME TO log_head;

-- The first entry that carries digests of the rows it records. Entries before it were written by an
-- older version: `log verify` checks what they hold (outcomes, finding ids, statuses), not the rows'
-- whole content, and says how many goods that concerns.
CREATE TABLE log_binding (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    from_seq INTEGER NOT NULL
) STRICT;
INSERT INTO log_binding (id, from_seq) SELECT 1, seq + 1 FROM log_head;
