-- v16: one write path. Every row written to a shared table is recorded by triggers that
-- `changes::install` makes after each upgrade; this migration gives the log what those records
-- carry: the device that made the change and a hybrid logical clock (milliseconds << 16 | a
-- counter) that orders changes across laptops. Values keep their types (no column affinity), so
-- a replayed change writes an integer as an integer. A created or deleted row is a JSON array of
-- its values in column order (`changes`). `seq` is a plain rowid: the log is append-only, so a
-- rowid is never reused, and AUTOINCREMENT's bookkeeping cost a write per record.
--
-- The records written before this version were written by hand, field by field, in words for
-- people; they stay readable in histories and are marked as notes (`note = 1`), which a replay
-- skips.
CREATE TABLE change_log_v16 (
    seq        INTEGER PRIMARY KEY,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    field      TEXT NOT NULL,
    old_value,
    new_value,
    actor      TEXT NOT NULL,
    device     TEXT NOT NULL,
    hlc        INTEGER NOT NULL,
    at         TEXT NOT NULL,
    reason     TEXT,
    note       INTEGER NOT NULL DEFAULT 0 CHECK (note IN (0, 1))
);
INSERT INTO change_log_v16 (seq, entity, entity_id, field, old_value, new_value, actor, device, hlc, at, reason, note)
SELECT seq, entity, entity_id, field, old_value, new_value, actor, (SELECT id FROM device),
       (CAST(strftime('%s', at) AS INTEGER) * 1000) << 16, at, reason, 1
FROM change_log ORDER BY seq;
DROP TABLE change_log;
ALTER TABLE change_log_v16 RENAME TO change_log;
-- Histories read people's decisions, not an import's hundred thousand findings: the index leaves
-- out the entities scanners write in bulk (`changes::HISTORY_SQL` names the same ones, so SQLite
-- can use it).
CREATE INDEX change_log_by_entity ON change_log(entity, entity_id)
    WHERE entity NOT IN ('finding', 'vulnerability', 'vulnerability_cve', 'asset_identifier', 'import_scope', 'kev_entry');
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
    BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
    BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END;
