-- Accountability: who owns which asset, SLA policies, grouping rules, where an item is placed,
-- and when an exception actually paused the clock.

-- What the scanner cannot know about an asset: whether it faces the internet, which HA cluster it
-- belongs to (both nodes share ha_group), and the ops team that owns it (from a rule or by hand).
ALTER TABLE assets ADD COLUMN internet_facing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN ha_group TEXT;
CREATE INDEX assets_by_ha_group ON assets(ha_group) WHERE ha_group IS NOT NULL;
ALTER TABLE assets ADD COLUMN owner_team_id TEXT REFERENCES teams(id) ON DELETE SET NULL;
ALTER TABLE assets ADD COLUMN owner_source TEXT CHECK (owner_source IN ('rule','manual'));

-- group_key: the grouping key the item was built from (fix key, team, environment).
-- pinned: a person split, merged or edited it, so regrouping keeps its membership.
-- window_id + occurrence_start: the occurrence the item is scheduled on (UTC start).
ALTER TABLE work_items ADD COLUMN group_key TEXT;
ALTER TABLE work_items ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE work_items ADD COLUMN window_id TEXT REFERENCES change_windows(id) ON DELETE SET NULL;
ALTER TABLE work_items ADD COLUMN occurrence_start TEXT;
CREATE INDEX work_items_by_group_key ON work_items(group_key);
CREATE INDEX work_items_by_state ON work_items(state);
CREATE INDEX work_items_by_occurrence ON work_items(occurrence_start);
CREATE INDEX commitments_by_item ON commitments(work_item_id);
CREATE INDEX exceptions_by_finding ON exceptions(finding_id);
CREATE INDEX exceptions_by_item ON exceptions(work_item_id);

-- When an exception was approved and when it stopped pausing the clock (expiry or withdrawal).
ALTER TABLE exceptions ADD COLUMN approved_at TEXT;
ALTER TABLE exceptions ADD COLUMN ended_at TEXT;

-- Which ops team owns an asset: rules in position order, the first that matches wins.
CREATE TABLE ownership_rules (
    id        TEXT PRIMARY KEY,
    position  INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('tag','environment','hostname','cidr')),
    pattern   TEXT NOT NULL,
    team_id   TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);

-- SLA days. scope 'severity' sets the base per severity; the other scopes are overrides that
-- apply when the finding has that property (severity NULL: at every severity). The smallest
-- number of days that applies wins.
CREATE TABLE sla_policies (
    scope     TEXT NOT NULL CHECK (scope IN ('severity','known_exploited','internet_facing','criticality')),
    value     TEXT NOT NULL,             -- the severity, 'yes', or the criticality
    severity  TEXT NOT NULL DEFAULT '*', -- for overrides: the finding severity it applies to, '*' = all
    days      INTEGER NOT NULL CHECK (days > 0),
    PRIMARY KEY (scope, value, severity)
);
INSERT INTO sla_policies (scope, value, severity, days) VALUES
    ('severity', 'critical', '*', 14),
    ('severity', 'high', '*', 30),
    ('severity', 'medium', '*', 90),
    ('severity', 'low', '*', 180),
    ('known_exploited', 'yes', '*', 7),
    ('internet_facing', 'yes', 'critical', 7),
    ('internet_facing', 'yes', 'high', 14),
    ('criticality', 'critical', 'critical', 7),
    ('criticality', 'critical', 'high', 14);

-- How open findings are grouped into items: one row per setting (by_team, by_environment,
-- include_info), '1' or '0'.
CREATE TABLE grouping_rules (
    name   TEXT PRIMARY KEY CHECK (name IN ('by_team','by_environment','include_info')),
    value  TEXT NOT NULL
);
INSERT INTO grouping_rules (name, value) VALUES ('by_team', '1'), ('by_environment', '1'), ('include_info', '0');


-- Memberships clustered by item (WITHOUT ROWID): the primary key is the table, so filing a
-- finding writes two b-trees (the item's rows and the one-item index) instead of three.
CREATE TABLE work_item_findings_v7 (
    work_item_id TEXT NOT NULL REFERENCES work_items(id) ON DELETE CASCADE,
    finding_id   TEXT NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    PRIMARY KEY (work_item_id, finding_id)
) WITHOUT ROWID;
INSERT INTO work_item_findings_v7 SELECT work_item_id, finding_id FROM work_item_findings;
DROP TABLE work_item_findings;
ALTER TABLE work_item_findings_v7 RENAME TO work_item_findings;
CREATE UNIQUE INDEX work_item_findings_one_item ON work_item_findings(finding_id);
