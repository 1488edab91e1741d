-- v10: who is at this laptop, and how long risk may be accepted.
--
-- `device` has one row: this copy of the workspace's device id (change records name it) and the
-- person signed in here. It describes the laptop, not the plan: a hub never shares it.
CREATE TABLE device (
    only_row            INTEGER PRIMARY KEY CHECK (only_row = 1),
    id                  TEXT NOT NULL,
    signed_in_person_id TEXT REFERENCES people(id) ON DELETE SET NULL
);
-- A random UUID (version 4) in plain SQL, so the migration needs nothing registered by Truce.
INSERT INTO device (only_row, id) VALUES (1, lower(printf('%s-%s-4%s-%s%s-%s',
    hex(randomblob(4)), hex(randomblob(2)), substr(hex(randomblob(2)), 2),
    substr('89ab', 1 + abs(random()) % 4, 1), substr(hex(randomblob(2)), 2), hex(randomblob(6)))));

-- The longest an exception may run, by the severity of what it covers (the worst open finding).
-- Defaults follow common policy: a critical risk is accepted for a month at most, a low one a year.
CREATE TABLE exception_policies (
    severity TEXT PRIMARY KEY CHECK (severity IN ('critical','high','medium','low','info')),
    max_days INTEGER NOT NULL CHECK (max_days BETWEEN 1 AND 3650)
);
INSERT INTO exception_policies (severity, max_days) VALUES
    ('critical', 30), ('high', 90), ('medium', 180), ('low', 365), ('info', 365);

-- Who decided an exception (approved or rejected), when and why. approved_at stays what the SLA
-- clock reads: only an approval pauses it.
ALTER TABLE exceptions ADD COLUMN decided_by TEXT REFERENCES people(id);
ALTER TABLE exceptions ADD COLUMN decided_at TEXT;
ALTER TABLE exceptions ADD COLUMN decided_reason TEXT;
UPDATE exceptions SET decided_by = approved_by, decided_at = approved_at WHERE approved_at IS NOT NULL;
