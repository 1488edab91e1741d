-- v2: who fixes what, when. Teams, people, work items, change windows, commitments, exceptions.

CREATE TABLE teams (
    id    TEXT PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE,
    kind  TEXT NOT NULL CHECK (kind IN ('ops','security','other'))
);

CREATE TABLE people (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    email    TEXT UNIQUE,
    team_id  TEXT REFERENCES teams(id) ON DELETE SET NULL,
    time_zone TEXT                          -- IANA zone, e.g. Europe/Berlin
);

CREATE TABLE work_items (
    id                TEXT PRIMARY KEY,
    title             TEXT NOT NULL,
    action            TEXT NOT NULL,        -- the fix: 'Upgrade openssl to 3.0.13'
    team_id           TEXT REFERENCES teams(id) ON DELETE SET NULL,
    environment       TEXT,
    state             TEXT NOT NULL DEFAULT 'backlog' CHECK (state IN
                      ('backlog','proposed','scheduled','approved','in_progress','done','verified',
                       'failed','rolled_back','deferred')),
    security_owner_id TEXT REFERENCES people(id) ON DELETE SET NULL,
    ops_owner_id      TEXT REFERENCES people(id) ON DELETE SET NULL,
    approver_id       TEXT REFERENCES people(id) ON DELETE SET NULL,
    due_at            TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE work_item_findings (
    work_item_id TEXT NOT NULL REFERENCES work_items(id) ON DELETE CASCADE,
    finding_id   TEXT NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    PRIMARY KEY (work_item_id, finding_id)
);
CREATE UNIQUE INDEX work_item_findings_one_item ON work_item_findings(finding_id);

-- A change window is a series (maintenance or blackout); items land on one concrete occurrence of it.
CREATE TABLE change_windows (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('maintenance','blackout')),
    time_zone     TEXT NOT NULL,            -- IANA zone the series is defined in
    starts_local  TEXT NOT NULL,            -- first occurrence, local wall time 'YYYY-MM-DDTHH:MM:SS'
    duration_min  INTEGER NOT NULL CHECK (duration_min > 0),
    rrule         TEXT,                     -- RFC 5545 RRULE, NULL for a one-off
    exdates       TEXT,                     -- RFC 5545 EXDATE list
    rdates        TEXT,                     -- RFC 5545 RDATE list
    environments  TEXT,                     -- JSON array; NULL = all
    max_assets    INTEGER,
    max_items     INTEGER,
    source_uid    TEXT,                     -- iCalendar UID when imported, for re-sync without duplicates
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE commitments (
    id               TEXT PRIMARY KEY,
    work_item_id     TEXT NOT NULL REFERENCES work_items(id) ON DELETE CASCADE,
    window_id        TEXT NOT NULL REFERENCES change_windows(id),
    occurrence_start TEXT NOT NULL,         -- UTC start of the concrete occurrence
    committed_by     TEXT NOT NULL REFERENCES people(id),
    committed_at     TEXT NOT NULL,
    promise          TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','kept','missed','withdrawn'))
);

CREATE TABLE exceptions (
    id                   TEXT PRIMARY KEY,
    work_item_id         TEXT REFERENCES work_items(id) ON DELETE CASCADE,
    finding_id           TEXT REFERENCES findings(id) ON DELETE CASCADE,
    justification        TEXT NOT NULL,
    compensating_control TEXT,
    requested_by         TEXT NOT NULL REFERENCES people(id),
    approved_by          TEXT REFERENCES people(id),
    state                TEXT NOT NULL DEFAULT 'requested' CHECK (state IN ('requested','approved','rejected','expired')),
    expires_at           TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    CHECK (work_item_id IS NOT NULL OR finding_id IS NOT NULL),
    CHECK (approved_by IS NULL OR approved_by <> requested_by)
);
