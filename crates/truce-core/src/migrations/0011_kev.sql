-- v11: CISA's Known Exploited Vulnerabilities catalog, as last imported. A vulnerability with a
-- CVE in it is known exploited (besides what scanners say), which moves its SLA and its risk.
CREATE TABLE kev_catalog (
    cve         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    date_added  TEXT NOT NULL,
    due_date    TEXT,
    ransomware  INTEGER NOT NULL DEFAULT 0
);

-- The catalog's own version, and where and when it was read (one row).
CREATE TABLE kev_source (
    only_row    INTEGER PRIMARY KEY CHECK (only_row = 1),
    version     TEXT NOT NULL,
    released    TEXT NOT NULL,
    entries     INTEGER NOT NULL,
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
