-- Issue 15: what-if scenario runs. A scenario run re-audits a stored run (its stored batch and rule
-- pack) under a scenario overlay (docs/scenarios.md) and keeps, linked to the base run, the scenario
-- file as run, the outcome counts, and every good whose outcome changed. Kept in step with the other
-- dialect's 0008_scenarios.sql (the same SQL: text, decimals as text, counts as BIGINT).
CREATE TABLE scenario_runs (
    id             TEXT PRIMARY KEY,
    base_run       TEXT NOT NULL REFERENCES runs (id),
    scenario       TEXT NOT NULL,      -- the scenario's id (rvc-plus-10)
    title          TEXT NOT NULL,
    basis          TEXT NOT NULL,      -- hypothetical, or the proposal it models
    effective_from TEXT NOT NULL,
    digest         TEXT NOT NULL,      -- sha256 of the scenario file as run
    content        TEXT NOT NULL,      -- the scenario file as run
    actor          TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    finished_at    TEXT NOT NULL,
    goods          BIGINT NOT NULL,
    qualified      BIGINT NOT NULL,
    not_qualified  BIGINT NOT NULL,
    needs_evidence BIGINT NOT NULL,
    changed        BIGINT NOT NULL
);
CREATE INDEX scenario_runs_base ON scenario_runs (base_run);

-- One row per good whose outcome differs from the base run's.
CREATE TABLE scenario_goods (
    scenario_run  TEXT NOT NULL REFERENCES scenario_runs (id),
    batch         TEXT NOT NULL,
    good          TEXT NOT NULL,
    hs            TEXT NOT NULL,
    description   TEXT NOT NULL,
    base_outcome  TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    summary       TEXT NOT NULL,
    fix           TEXT NOT NULL,       -- the cheapest fix, in words
    fix_lines     TEXT NOT NULL,       -- JSON: [{line, supplier, origin, value}] of the fix (or the cause)
    codes         TEXT NOT NULL,       -- JSON: the blocking finding codes under the scenario
    country       TEXT NOT NULL,       -- the good's place of production (its country of origin for duty)
    customs_value TEXT,                -- adjusted transaction value, decimal as text, in `currency`
    currency      TEXT NOT NULL,
    PRIMARY KEY (scenario_run, batch, good)
);
