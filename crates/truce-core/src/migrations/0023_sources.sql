-- v23: the scanners' APIs this laptop syncs findings from (`sources`). Their credentials are in
-- the OS keyring, never here; the cursor says where the next sync starts (and which export a
-- killed sync was reading). This laptop's own configuration, never shared
-- (`changes::UNRECORDED`): what a sync brings in is recorded like any import.
CREATE TABLE sources (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL UNIQUE,
    url          TEXT NOT NULL,
    cursor       TEXT,
    created_at   TEXT NOT NULL,
    last_sync_at TEXT,
    last_result  TEXT,
    last_problem TEXT
);
