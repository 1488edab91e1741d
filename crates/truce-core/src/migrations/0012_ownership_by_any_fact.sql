-- v12: ownership rules by any asset fact: besides tag, environment, hostname and CIDR, the
-- operating system (a glob on what scanners report), criticality, HA group and internet-facing.
-- SQLite cannot change a CHECK, so the table is rebuilt with the same rows.
CREATE TABLE ownership_rules_v12 (
    id        TEXT PRIMARY KEY,
    position  INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('tag','environment','hostname','cidr','os','criticality','ha_group','internet_facing')),
    pattern   TEXT NOT NULL,
    team_id   TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
INSERT INTO ownership_rules_v12 (id, position, kind, pattern, team_id, created_at)
    SELECT id, position, kind, pattern, team_id, created_at FROM ownership_rules;
DROP TABLE ownership_rules;
ALTER TABLE ownership_rules_v12 RENAME TO ownership_rules;
