-- Supplier evidence (issue 16): requests to suppliers built from a run's open findings, their answers,
-- the auditor's decisions, one-time invitation links, the outbox of mails, and the evidence a re-run used.

-- A supplier account is a user with role `supplier` tied to one supplier id (the BOM's supplier name).
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('analyst', 'auditor', 'admin', 'supplier'));
ALTER TABLE users ADD COLUMN supplier_id TEXT;
ALTER TABLE users ADD CONSTRAINT users_supplier_check CHECK ((role = 'supplier') = (supplier_id IS NOT NULL));

CREATE TABLE solicitation_requests (
    id             TEXT PRIMARY KEY,
    run_id         TEXT NOT NULL REFERENCES runs (id),
    supplier       TEXT NOT NULL,
    contact        TEXT,
    state          TEXT NOT NULL CHECK (state IN ('draft', 'sent', 'reminded', 'answered', 'accepted', 'rejected', 'expired')),
    due_date       TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    sent_at        TEXT,
    reminded_at    TEXT,
    reminders      BIGINT NOT NULL DEFAULT 0,
    answered_at    TEXT,
    decided_at     TEXT,
    decided_by     TEXT,
    decision_note  TEXT,
    version        BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX solicitation_requests_supplier ON solicitation_requests (supplier, state);
CREATE INDEX solicitation_requests_run ON solicitation_requests (run_id);

-- One row per thing asked: the finding that needs it, the line, and what it asks (JSON).
CREATE TABLE solicitation_asks (
    request_id   TEXT NOT NULL REFERENCES solicitation_requests (id),
    ordinal      BIGINT NOT NULL,
    finding_id   TEXT NOT NULL REFERENCES findings (id),
    fingerprint  TEXT NOT NULL,
    batch        TEXT NOT NULL,
    good         TEXT NOT NULL,
    line         TEXT NOT NULL,
    ask          TEXT NOT NULL,
    PRIMARY KEY (request_id, ordinal)
);
CREATE INDEX solicitation_asks_good ON solicitation_asks (batch, good, line);
CREATE INDEX solicitation_asks_fingerprint ON solicitation_asks (fingerprint);

-- A supplier's answer: the certification's fields, answers to questions, attached documents (blobs).
CREATE TABLE solicitation_answers (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES solicitation_requests (id),
    at          TEXT NOT NULL,
    answered_by TEXT NOT NULL,
    answer      TEXT NOT NULL
);
CREATE INDEX solicitation_answers_request ON solicitation_answers (request_id, at);

-- One-time invitation links: only the sha256 of the token is kept.
CREATE TABLE invitations (
    token_hash  TEXT PRIMARY KEY,
    user_name   TEXT NOT NULL REFERENCES users (name),
    request_id  TEXT NOT NULL REFERENCES solicitation_requests (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);

-- Mails to send. `state`: pending, delivered, undelivered (with why).
CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    request_id   TEXT REFERENCES solicitation_requests (id),
    kind         TEXT NOT NULL,
    to_address   TEXT,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'undelivered')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT,
    delivered_at TEXT
);
CREATE INDEX outbox_state ON outbox (state);

-- The accepted certifications a run was given (`rerun --with-evidence`), as applied.
CREATE TABLE run_evidence (
    run_id      TEXT NOT NULL REFERENCES runs (id),
    request_id  TEXT NOT NULL REFERENCES solicitation_requests (id),
    answer_id   TEXT NOT NULL REFERENCES solicitation_answers (id),
    evidence    TEXT NOT NULL,
    PRIMARY KEY (run_id, answer_id)
);
