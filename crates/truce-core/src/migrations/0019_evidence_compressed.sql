-- v19: a finding's evidence is kept compressed (zstd, `ingest::evidence`): it was about 40% of a
-- workspace, is read rarely and whole, and is compared through findings.evidence_hash. This moves
-- the text aside; the migration's Rust step (`migrations::compress_evidence`) fills the new table
-- and drops the old one.
DROP VIEW findings_with_evidence;
ALTER TABLE finding_evidence RENAME TO finding_evidence_text;
CREATE TABLE finding_evidence (
    finding_id TEXT PRIMARY KEY REFERENCES findings(id) ON DELETE CASCADE,
    zstd       BLOB NOT NULL
);
CREATE VIEW findings_with_evidence AS
    SELECT f.*, truce_evidence(e.zstd) AS evidence FROM findings f LEFT JOIN finding_evidence e ON e.finding_id = f.id;
