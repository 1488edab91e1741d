-- v4: column mappings for generic CSV exports. The user says once which column of a CSV is
-- what; files whose header row equals `header` then import with no flags.
CREATE TABLE csv_mappings (
    name       TEXT PRIMARY KEY,
    header     TEXT NOT NULL,   -- JSON array of the header's column names, trimmed and lower-cased
    mapping    TEXT NOT NULL,   -- JSON csv_mapping::Mapping
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
