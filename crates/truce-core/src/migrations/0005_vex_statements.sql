-- v5: OpenVEX statements are kept, so a finding that a later scan reports for a
-- vulnerability the vendor already declared not affected (or fixed) gets that verdict too.
CREATE TABLE vex_statements (
    id              TEXT PRIMARY KEY,
    import_id       TEXT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    vulnerability   TEXT NOT NULL,             -- CVE or other id, as the document names it
    product_name    TEXT,                      -- package name from the purl; NULL = every package
    product_version TEXT,                      -- NULL = every version
    status          TEXT NOT NULL CHECK (status IN ('not_affected','fixed')),
    reason          TEXT NOT NULL,
    at              TEXT                       -- when the verdict was made
);
CREATE INDEX vex_statements_by_vulnerability ON vex_statements(vulnerability);

-- The keys each scanned target carried in each import, so a wrong merge can be undone:
-- splitting an asset by a key takes along the findings first reported through it.
ALTER TABLE import_scope ADD COLUMN identifiers TEXT;   -- JSON array of "kind=value"
