-- Per-item aggregates, so a board of 10,000 items does not read a million memberships.
-- A row is a cache of what `planning::stats` computes from the item's memberships, findings,
-- vulnerabilities, assets and SLA policies. A missing row means "recount": the triggers below
-- delete the row of every item whose inputs change, whoever changes them, and readers recount
-- items without a row. Writers (regroup, import, split, merge, exceptions, SLA policies) put the
-- rows back before they commit. Invariant: a row equals a recount (tests check it).
CREATE TABLE work_item_stats (
    work_item_id    TEXT PRIMARY KEY REFERENCES work_items(id) ON DELETE CASCADE,
    findings        INTEGER NOT NULL,
    findings_fixed  INTEGER NOT NULL,  -- fixed or false positive
    assets          INTEGER NOT NULL,
    assets_fixed    INTEGER NOT NULL,  -- assets none of whose findings in the item is open
    severity        TEXT NOT NULL,     -- highest severity among its findings
    known_exploited INTEGER NOT NULL,
    due_at          TEXT,              -- earliest SLA due time of its open findings, clock from first seen
    due_days        INTEGER,           -- the allowed days of that finding
    open_assets     TEXT NOT NULL      -- ids of assets with an open finding in the item, sorted, ',' between
);

CREATE TRIGGER work_item_stats_joined AFTER INSERT ON work_item_findings
BEGIN
    DELETE FROM work_item_stats WHERE work_item_id = NEW.work_item_id;
END;
CREATE TRIGGER work_item_stats_left AFTER DELETE ON work_item_findings
BEGIN
    DELETE FROM work_item_stats WHERE work_item_id = OLD.work_item_id;
END;
CREATE TRIGGER work_item_stats_moved AFTER UPDATE ON work_item_findings
BEGIN
    DELETE FROM work_item_stats WHERE work_item_id IN (OLD.work_item_id, NEW.work_item_id);
END;
CREATE TRIGGER work_item_stats_finding AFTER UPDATE OF status, severity, first_seen, asset_id, vulnerability_id ON findings
WHEN OLD.status IS NOT NEW.status OR OLD.severity IS NOT NEW.severity OR OLD.first_seen IS NOT NEW.first_seen
  OR OLD.asset_id IS NOT NEW.asset_id OR OLD.vulnerability_id IS NOT NEW.vulnerability_id
BEGIN
    DELETE FROM work_item_stats
    WHERE work_item_id = (SELECT work_item_id FROM work_item_findings WHERE finding_id = NEW.id);
END;
CREATE TRIGGER work_item_stats_finding_gone BEFORE DELETE ON findings
BEGIN
    DELETE FROM work_item_stats
    WHERE work_item_id = (SELECT work_item_id FROM work_item_findings WHERE finding_id = OLD.id);
END;
CREATE TRIGGER work_item_stats_asset AFTER UPDATE OF internet_facing, criticality ON assets
WHEN OLD.internet_facing IS NOT NEW.internet_facing OR OLD.criticality IS NOT NEW.criticality
BEGIN
    DELETE FROM work_item_stats WHERE work_item_id IN (
        SELECT w.work_item_id FROM findings f JOIN work_item_findings w ON w.finding_id = f.id
        WHERE f.asset_id = NEW.id);
END;
CREATE TRIGGER work_item_stats_vulnerability AFTER UPDATE OF known_exploited ON vulnerabilities
WHEN OLD.known_exploited IS NOT NEW.known_exploited
BEGIN
    DELETE FROM work_item_stats WHERE work_item_id IN (
        SELECT w.work_item_id FROM findings f JOIN work_item_findings w ON w.finding_id = f.id
        WHERE f.vulnerability_id = NEW.id);
END;
CREATE TRIGGER work_item_stats_policy_added AFTER INSERT ON sla_policies
BEGIN
    DELETE FROM work_item_stats;
END;
CREATE TRIGGER work_item_stats_policy_changed AFTER UPDATE ON sla_policies
BEGIN
    DELETE FROM work_item_stats;
END;
CREATE TRIGGER work_item_stats_policy_removed AFTER DELETE ON sla_policies
BEGIN
    DELETE FROM work_item_stats;
END;
