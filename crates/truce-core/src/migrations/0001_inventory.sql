-- v1: what scanners tell us. Ids are UUIDv7 text, times are RFC 3339 UTC text
-- (sortable, readable, and what the future hub exchanges as-is).

CREATE TABLE assets (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,            -- the best human name we have (fqdn > hostname > ip)
    environment   TEXT,                     -- prod, staging, dev ... (NULL = unknown)
    criticality   TEXT NOT NULL DEFAULT 'medium' CHECK (criticality IN ('low','medium','high','critical')),
    os            TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Every key a scanner may use to name the same machine or image.
CREATE TABLE asset_identifiers (
    asset_id  TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('fqdn','hostname','ip','mac','netbios','cloud_id','image_digest')),
    value     TEXT NOT NULL,
    PRIMARY KEY (kind, value, asset_id)
);
CREATE INDEX asset_identifiers_by_asset ON asset_identifiers(asset_id);

CREATE TABLE asset_tags (
    asset_id  TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (asset_id, tag)
);

-- A vulnerability as one scanner knows it (scanner + its own id, e.g. nessus plugin 19506).
CREATE TABLE vulnerabilities (
    id              TEXT PRIMARY KEY,
    scanner         TEXT NOT NULL,
    scanner_id      TEXT NOT NULL,
    title           TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('critical','high','medium','low','info')),
    scanner_score   TEXT,
    cvss2_score     REAL, cvss2_vector TEXT,
    cvss3_score     REAL, cvss3_vector TEXT,
    cvss4_score     REAL, cvss4_vector TEXT,
    epss            REAL,
    known_exploited INTEGER NOT NULL DEFAULT 0,
    exploit_available INTEGER NOT NULL DEFAULT 0,
    description     TEXT,
    solution        TEXT,
    fixed_version   TEXT,
    UNIQUE (scanner, scanner_id)
);

CREATE TABLE vulnerability_cves (
    vulnerability_id TEXT NOT NULL REFERENCES vulnerabilities(id) ON DELETE CASCADE,
    cve              TEXT NOT NULL,
    PRIMARY KEY (vulnerability_id, cve)
);
CREATE INDEX vulnerability_cves_by_cve ON vulnerability_cves(cve);

-- An import: one file read into the workspace, and the scope it covered.
CREATE TABLE imports (
    id           TEXT PRIMARY KEY,
    format       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    scanned_at   TEXT,                      -- when the scan ran, as the file says
    imported_at  TEXT NOT NULL,
    imported_by  TEXT NOT NULL,
    assets       INTEGER NOT NULL,
    findings     INTEGER NOT NULL,
    new_findings INTEGER NOT NULL
);
CREATE INDEX imports_by_time ON imports(imported_at);

CREATE TABLE import_scope (
    import_id TEXT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    asset_id  TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    PRIMARY KEY (import_id, asset_id)
);

-- One vulnerability on one affected thing at one location (port/protocol, or package@version).
CREATE TABLE findings (
    id               TEXT PRIMARY KEY,
    asset_id         TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    vulnerability_id TEXT NOT NULL REFERENCES vulnerabilities(id),
    location         TEXT NOT NULL,         -- '443/tcp', '0/tcp', 'openssl@1.1.1k'
    severity         TEXT NOT NULL CHECK (severity IN ('critical','high','medium','low','info')),
    status           TEXT NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open','fixed','false_positive','risk_accepted')),
    evidence         TEXT,                  -- scanner output for this instance (plugin_output ...)
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL,
    closed_at        TEXT,
    first_import_id  TEXT REFERENCES imports(id),
    last_import_id   TEXT REFERENCES imports(id),
    UNIQUE (asset_id, vulnerability_id, location)
);
CREATE INDEX findings_by_status_severity ON findings(status, severity);
CREATE INDEX findings_by_vulnerability ON findings(vulnerability_id);

-- Append-only history of every change, with who and when: the future hub syncs from it.
CREATE TABLE change_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    field      TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    reason     TEXT
);
CREATE INDEX change_log_by_entity ON change_log(entity, entity_id);
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
    BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
    BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END;
