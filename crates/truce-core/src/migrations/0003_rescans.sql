-- v3: rescans. Each asset an import covered keeps the time that scan saw it, so a later
-- import can tell "missing from a newer scan" (fixed) from "missing from an older one" (no news).
ALTER TABLE import_scope ADD COLUMN scanned_at TEXT;
ALTER TABLE imports ADD COLUMN closed_findings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN reopened_findings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN scanner TEXT;
CREATE INDEX findings_by_asset_status ON findings(asset_id, status);

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
