-- origin-audit store, PostgreSQL dialect. Kept in step with migrations/sqlite/0001_store.sql: same tables,
-- columns and meaning; only types differ (BLOB vs BYTEA). Times are RFC 3339 UTC text written by the
-- application, ids are UUID text, JSON is text, so both backends hold byte-identical values.

CREATE TABLE blobs (
    digest  TEXT PRIMARY KEY,          -- sha256 of content, hex
    content BYTEA NOT NULL
);

CREATE TABLE runs (
    id              TEXT PRIMARY KEY,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    status          TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
    actor           TEXT NOT NULL,
    engine_version  TEXT NOT NULL,
    rule_pack       TEXT NOT NULL,
    rules_digest    TEXT NOT NULL,
    as_of           TEXT,
    options         TEXT NOT NULL,     -- JSON: batch paths, as_of override, threads (for --resume)
    goods_total     BIGINT NOT NULL DEFAULT 0,
    goods_done      BIGINT NOT NULL DEFAULT 0,
    qualified       BIGINT NOT NULL DEFAULT 0,
    not_qualified   BIGINT NOT NULL DEFAULT 0,
    needs_evidence  BIGINT NOT NULL DEFAULT 0,
    findings        BIGINT NOT NULL DEFAULT 0,
    summary         TEXT               -- JSON written by the final commit
);

CREATE TABLE run_files (
    run_id  TEXT NOT NULL REFERENCES runs (id),
    kind    TEXT NOT NULL CHECK (kind IN ('batch', 'bom', 'rules')),
    name    TEXT NOT NULL,             -- path as given (batch), relative to the batch (bom) or pack (rules)
    digest  TEXT NOT NULL REFERENCES blobs (digest),
    PRIMARY KEY (run_id, kind, name)
);

CREATE TABLE determinations (
    run_id         TEXT NOT NULL REFERENCES runs (id),
    batch          TEXT NOT NULL,
    good           TEXT NOT NULL,
    hs             TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    criterion      TEXT,
    rule_id        TEXT,
    summary        TEXT NOT NULL,
    determination  TEXT NOT NULL,      -- JSON of the determination
    digest         TEXT NOT NULL,      -- sha256 of the good's whole audit JSON (determination + findings)
    draft          TEXT,               -- JSON certificate draft, for a qualified good once blockers clear
    PRIMARY KEY (run_id, batch, good)
);

CREATE TABLE findings (
    id           TEXT PRIMARY KEY,
    run_id       TEXT NOT NULL REFERENCES runs (id),
    batch        TEXT NOT NULL,
    good         TEXT NOT NULL,
    ordinal      BIGINT NOT NULL,
    code         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'dismissed', 'waived', 'resolved')),
    version      BIGINT NOT NULL,
    carried_from TEXT,                 -- the earlier finding whose decision was carried over
    finding      TEXT NOT NULL,        -- JSON of the finding (message, citation, evidence, remedy)
    updated_at   TEXT NOT NULL,
    UNIQUE (run_id, batch, good, ordinal)
);
CREATE INDEX findings_by_fingerprint ON findings (batch, good, fingerprint);
CREATE INDEX findings_by_status ON findings (status);

CREATE TABLE reviews (
    id          TEXT PRIMARY KEY,
    finding_id  TEXT NOT NULL REFERENCES findings (id),
    decision    TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    version     BIGINT NOT NULL,       -- the finding's version after this review
    note        TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    role        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX reviews_by_finding ON reviews (finding_id);

CREATE TABLE certificates (
    id             TEXT PRIMARY KEY,
    batch          TEXT NOT NULL,
    good           TEXT NOT NULL,
    run_id         TEXT NOT NULL REFERENCES runs (id),
    version        BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('issued', 'withdrawn')),
    draft          TEXT NOT NULL,
    blanket_from   TEXT,
    blanket_to     TEXT,
    issued_by      TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    withdrawn_at   TEXT,
    withdrawn_by_run TEXT,
    withdrawn_reason TEXT,
    UNIQUE (batch, good, version)
);

-- Append-only, hash-chained: hash = sha256(prev_hash || canonical entry). log_head holds the last
-- entry's seq and hash; every writing transaction updates it first, which serializes writers.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    payload   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

CREATE TABLE log_head (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL,
    touched_at TEXT NOT NULL
);
INSERT INTO log_head (id, seq, hash, touched_at) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', '');

