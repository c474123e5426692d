-- What the web pages read, kept in the store so no request reads a batch file again (issue 13, item 7).
-- Kept in step with migrations/sqlite/0006_read_facts.sql.
--
-- findings.hs: the good's HS code (the chapter filter and counts). findings.suppliers: JSON array of the
-- suppliers of the BOM lines the finding names (of every line of the good when it names none), as the
-- batch spells them; findings.supplier_key: the same names lowercased, each between newlines, for the
-- case-insensitive "contains" filter (a filter text never holds a newline, so it never spans two names).
ALTER TABLE findings ADD COLUMN hs TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN suppliers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE findings ADD COLUMN supplier_key TEXT NOT NULL DEFAULT '';
UPDATE findings SET hs = COALESCE((SELECT d.hs FROM determinations d
    WHERE d.run_id = findings.run_id AND d.batch = findings.batch AND d.good = findings.good), '');

-- determinations.lines: JSON object, BOM line id -> [supplier or null, lot or null], for the lines that
-- name either (the finding page's supplier column and which lot pictures to show).
ALTER TABLE determinations ADD COLUMN lines TEXT NOT NULL DEFAULT '{}';

-- One picture per lot that a stored finding's BOM lines draw from: the SVG of its provenance paths
-- (suspicious path in red) and whether origin laundering is suspected on it.
CREATE TABLE lot_pictures (
    run_id     TEXT NOT NULL REFERENCES runs (id),
    batch      TEXT NOT NULL,
    lot        TEXT NOT NULL,
    laundering BIGINT NOT NULL,
    svg        TEXT NOT NULL,
    PRIMARY KEY (run_id, batch, lot)
);

-- 1 when the run's rows carry the facts above; runs stored before this migration have 0 until
-- `Store::fill_read_facts` (run by `origin-audit serve` at start) reads their stored batches once.
ALTER TABLE runs ADD COLUMN read_facts BIGINT NOT NULL DEFAULT 0;
