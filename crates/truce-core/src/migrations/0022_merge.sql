-- v22: merging what other laptops did, pulled from a team hub (`sync`).
-- A pulled operation is kept in the change log as it was made (its device, actor, clock and
-- time), with the hub's number for it; one that arrived after a later change to the same field
-- (by its clock) is kept for history and marked lost: it changed nothing here, and a replay
-- skips it.
ALTER TABLE change_log ADD COLUMN hub_seq INTEGER;
ALTER TABLE change_log ADD COLUMN lost INTEGER NOT NULL DEFAULT 0;
-- The highest clock seen from any device: this laptop's clock never gives out less.
ALTER TABLE hub ADD COLUMN seen_hlc INTEGER NOT NULL DEFAULT 0;
-- How far the log's records are reflected in `field_clocks`.
ALTER TABLE hub ADD COLUMN clocked_seq INTEGER NOT NULL DEFAULT 0;
-- When this laptop last synced, last tried, and what went wrong then (for "last sync" at a glance).
ALTER TABLE hub ADD COLUMN last_sync_at TEXT;
ALTER TABLE hub ADD COLUMN last_attempt_at TEXT;
ALTER TABLE hub ADD COLUMN last_problem TEXT;
-- Findings or the rules that group them came in and have not been filed into items yet: set in
-- the merge's own transaction, so a laptop killed before its regroup regroups at the next sync.
ALTER TABLE hub ADD COLUMN regroup_due INTEGER NOT NULL DEFAULT 0;
-- Which change last set each field (or created or deleted each row), by its clock: what a pulled
-- change is compared with. Rebuilt from the log at any time (`changes::UNRECORDED`); kept only
-- for workspaces connected to a hub, brought up to date when they sync.
CREATE TABLE field_clocks (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    hlc       INTEGER NOT NULL,
    device    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    PRIMARY KEY (entity, entity_id, field)
) WITHOUT ROWID;
-- Two changes to one field made without seeing each other, found when the second arrived: the
-- one kept (the later clock) and the one set aside, both records of the log. Settled when a
-- later change to the field is recorded (a person's choice is such a change). This laptop's own
-- finding: each laptop finds the conflicts it receives.
CREATE TABLE sync_conflicts (
    id         INTEGER PRIMARY KEY,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    field      TEXT NOT NULL,
    kept_seq   INTEGER NOT NULL,
    other_seq  INTEGER NOT NULL,
    found_at   TEXT NOT NULL,
    UNIQUE (kept_seq, other_seq)
);
CREATE INDEX sync_conflicts_by_entity ON sync_conflicts(entity, entity_id);
