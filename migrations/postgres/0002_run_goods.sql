-- Work queue for `origin-audit worker`: one row per good of a run, claimed with
-- SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL). Kept in step with migrations/sqlite/0002_run_goods.sql
-- (The SQLite schema has the same table, unused there.)
CREATE TABLE run_goods (
    run_id   TEXT NOT NULL REFERENCES runs (id),
    ordinal  BIGINT NOT NULL,          -- position in the run, over all batches
    batch_no BIGINT NOT NULL,          -- index of the batch file in the run's options
    good_no  BIGINT NOT NULL,          -- index of the good in its batch
    good     TEXT NOT NULL,
    done     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, ordinal)
);
CREATE INDEX run_goods_todo ON run_goods (run_id, done);
