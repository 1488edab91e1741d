-- v3: rescans. Each asset an import covered keeps the time that scan saw it, so a later
-- import can tell "missing from a newer scan" (fixed) from "missing from an older one" (no news),
-- and which scanner covered it (one SARIF file carries several tools): a scan closes only its
-- own scanner's findings. Rebuilt because the key gains the scanner.
CREATE TABLE import_scope_v3 (
    import_id  TEXT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    asset_id   TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    scanner    TEXT NOT NULL,
    scanned_at TEXT,
    PRIMARY KEY (import_id, asset_id, scanner)
);
INSERT INTO import_scope_v3 (import_id, asset_id, scanner)
    SELECT s.import_id, s.asset_id, i.format FROM import_scope s JOIN imports i ON i.id = s.import_id;
DROP TABLE import_scope;
ALTER TABLE import_scope_v3 RENAME TO import_scope;
ALTER TABLE imports ADD COLUMN closed_findings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN reopened_findings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN scanner TEXT;
-- A re-import of the very same file is recognised before parsing it: same size, then same hash.
ALTER TABLE imports ADD COLUMN file_size INTEGER;
ALTER TABLE imports ADD COLUMN by_severity TEXT;   -- JSON SeverityCounts of what the file contained
CREATE INDEX imports_by_size ON imports(file_size);
-- (Lookups by asset use the UNIQUE (asset_id, vulnerability_id, location) index.)

-- Image and dependency scanners name what they scanned by a reference ('alpine:3.19',
-- a repository or a path) when they have no digest: a new identifier kind, 'artifact'.
-- SQLite cannot alter a CHECK constraint, so the table is rebuilt.
CREATE TABLE asset_identifiers_v3 (
    asset_id  TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('fqdn','hostname','ip','mac','netbios','cloud_id','image_digest','artifact')),
    value     TEXT NOT NULL,
    PRIMARY KEY (kind, value, asset_id)
);
INSERT INTO asset_identifiers_v3 SELECT asset_id, kind, value FROM asset_identifiers;
DROP TABLE asset_identifiers;
ALTER TABLE asset_identifiers_v3 RENAME TO asset_identifiers;
CREATE INDEX asset_identifiers_by_asset ON asset_identifiers(asset_id);

-- Evidence (plugin output, proofs) is most of a finding's bytes. In the findings row every
-- rescan's UPDATE re-read and rewrote it; in a table of its own it is written only when it
-- changed, which findings.evidence_hash tells without reading it.
CREATE TABLE finding_evidence (
    finding_id TEXT PRIMARY KEY REFERENCES findings(id) ON DELETE CASCADE,
    text       TEXT NOT NULL
);
INSERT INTO finding_evidence (finding_id, text) SELECT id, evidence FROM findings WHERE evidence IS NOT NULL;
ALTER TABLE findings ADD COLUMN evidence_hash INTEGER;
ALTER TABLE findings DROP COLUMN evidence;
CREATE VIEW findings_with_evidence AS
    SELECT f.*, e.text AS evidence FROM findings f LEFT JOIN finding_evidence e ON e.finding_id = f.id;
