//! The writing half of an import: turns parsed targets into assets, vulnerabilities and
//! findings inside the import's one transaction, and closes what a rescan no longer sees.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, OptionalExtension, Transaction};

use super::evidence::{Evidence, Packed, Packer};
use super::verdicts::{stored_statements, StoredStatement};
use super::{identity, Format, IdentifierKind, ParsedAsset, ParsedFinding};
use super::{Verdict, VerdictStatus, VexStatement};
use crate::error::Result;
use crate::ids::new_id;
use crate::model::{ImportReport, Severity};
use crate::time;

const INSERT_BATCH: usize = 64;

/// `rows` holds `n` rows of `width` values: a full batch goes out as one statement, fewer
/// row by row, so only two statements per table stay in the statement cache.
fn insert_rows(
    tx: &Transaction<'_>,
    head: &str,
    row: &str,
    width: usize,
    n: usize,
    rows: &[&dyn rusqlite::ToSql],
) -> Result<()> {
    if n == INSERT_BATCH {
        let sql = format!("{head}{}", vec![row; n].join(", "));
        tx.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(rows))?;
    } else if n > 0 {
        let mut stmt = tx.prepare_cached(&format!("{head}{row}"))?;
        for one in rows.chunks(width) {
            stmt.execute(rusqlite::params_from_iter(one))?;
        }
    }
    Ok(())
}

struct NewFinding {
    id: String,
    asset_id: String,
    vuln_id: String,
    location: String,
    severity: &'static str,
    evidence: Option<Packed>,
    seen_at: String,
}

/// A finding already in the workspace, by (vulnerability id, location), for one asset.
struct Existing {
    id: String,
    status: String,
    last_seen: String,
    last_import_id: Option<String>,
    severity: String,
    closed_at: Option<String>,
    evidence_hash: Option<i64>,
}

fn set_evidence(tx: &Transaction<'_>, finding_id: &str, evidence: Option<&Packed>) -> Result<()> {
    match evidence {
        Some(packed) => tx
            .prepare_cached(
                "INSERT OR REPLACE INTO finding_evidence (finding_id, zstd) VALUES (?1, ?2)",
            )?
            .execute(params![finding_id, packed.zstd])?,
        None => tx
            .prepare_cached("DELETE FROM finding_evidence WHERE finding_id = ?1")?
            .execute([finding_id])?,
    };
    Ok(())
}

type Known = HashMap<(String, String), Existing>;

fn known_findings(tx: &Transaction<'_>, asset_id: &str) -> Result<Known> {
    let mut stmt = tx.prepare_cached(
        "SELECT vulnerability_id, location, id, status, last_seen, closed_at, evidence_hash, last_import_id, severity
         FROM findings WHERE asset_id = ?1",
    )?;
    let rows = stmt.query_map([asset_id], |r| {
        Ok((
            (r.get(0)?, r.get(1)?),
            Existing {
                id: r.get(2)?,
                status: r.get(3)?,
                last_seen: r.get(4)?,
                closed_at: r.get(5)?,
                evidence_hash: r.get(6)?,
                last_import_id: r.get(7)?,
                severity: r.get(8)?,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) struct Writer {
    import_id: String,
    /// The namespace of the ids of the facts this import makes (`ids::derived`).
    namespace: uuid::Uuid,
    /// Records the findings this import creates, a batch at a time.
    created_findings: crate::changes::InsertRecorder,
    /// When the import runs: also the scan time of targets whose report gives none.
    at: String,
    actor: String,
    scanner: &'static str,
    file_name: String,
    scanned_at: Option<String>,
    vulns: HashMap<(String, String), String>,
    assets: HashSet<String>,
    /// Findings this file already gave, as a 128-bit xxh3 of (asset, vulnerability, location):
    /// 16 bytes each instead of three strings, so memory stays small on huge files.
    seen: HashSet<u128>,
    /// New findings not yet written (see `flush`).
    pending: Vec<NewFinding>,
    /// Findings seen again whose bookkeeping changed: (id, field, old, new), recorded in batches
    /// (`changes::UPDATED_IN_BULK`).
    sightings: Vec<(String, &'static str, Option<String>, String)>,
    /// Assets this import created: they have no findings yet.
    created: HashSet<String>,
    /// VEX statements of earlier imports, by vulnerability id: they give their verdict to
    /// findings that scans report after them.
    statements: HashMap<String, Vec<StoredStatement>>,
    /// Packs what the parser's thread left as text (`Evidence::Known`) when it is written.
    packer: Packer,
    report: ImportReport,
}

impl Writer {
    pub(super) fn start(
        tx: &Transaction<'_>,
        fmt: &dyn Format,
        name: &str,
        actor: &str,
    ) -> Result<Writer> {
        let w = Writer {
            import_id: new_id(),
            namespace: crate::ids::namespace(tx)?,
            created_findings: crate::changes::InsertRecorder::new(tx, "findings")?,
            at: crate::changes::now(tx)?,
            actor: actor.to_string(),
            scanner: fmt.scanner(),
            file_name: name.to_string(),
            scanned_at: None,
            vulns: HashMap::new(),
            assets: HashSet::new(),
            seen: HashSet::new(),
            created: HashSet::new(),
            pending: Vec::with_capacity(INSERT_BATCH),
            sightings: Vec::new(),
            statements: stored_statements(tx)?,
            packer: Packer::new(),
            report: ImportReport::default(),
        };
        w.because(tx, None)?;
        crate::changes::acting(tx, &w.actor)?;
        // The row exists first so findings can point at it; counts are filled in at the end.
        tx.execute(
            "INSERT INTO imports (id, format, file_name, file_sha256, imported_at, imported_by, assets, findings, new_findings)
             VALUES (?1, ?2, ?3, '', ?4, ?5, 0, 0, 0)",
            params![w.import_id, fmt.name(), w.file_name, w.at, w.actor],
        )?;
        Ok(w)
    }

    /// Writes one scanned target; `evidence` is its findings' evidence, packed on the parser's
    /// thread (`evidence::pack`), one entry per finding in order.
    pub(super) fn host(
        &mut self,
        tx: &Transaction<'_>,
        host: ParsedAsset,
        evidence: Vec<Option<Evidence>>,
    ) -> Result<()> {
        let seen_at = host.scanned_at.clone().unwrap_or_else(|| self.at.clone());
        if self
            .scanned_at
            .as_ref()
            .is_none_or(|s| time::compare(s, &seen_at).is_gt())
        {
            self.scanned_at = Some(seen_at.clone());
        }
        if host.identifiers.is_empty() && host.findings.is_empty() {
            // A VEX document: verdicts on what other files reported, no asset of its own.
            for s in &host.statements {
                self.statement(tx, s)?;
            }
            return Ok(());
        }
        let asset_id = self.asset(tx, &host)?;
        let scanner = host
            .scanner
            .clone()
            .unwrap_or_else(|| self.scanner.to_string());
        // A target listed twice keeps its earliest scan time.
        tx.prepare_cached(
            "INSERT INTO import_scope (import_id, asset_id, scanner, scanned_at, identifiers) VALUES (?1, ?2, ?4, ?3, ?5)
             ON CONFLICT (import_id, asset_id, scanner) DO UPDATE SET scanned_at = CASE
               WHEN julianday(excluded.scanned_at) < julianday(scanned_at) THEN excluded.scanned_at ELSE scanned_at END",
        )?
        .execute(params![self.import_id, asset_id, seen_at, scanner, keys_json(&host.identifiers)])?;
        self.assets.insert(asset_id.clone());
        // One range scan per asset instead of one lookup per finding.
        let mut known = if self.created.contains(&asset_id) {
            Known::new()
        } else {
            known_findings(tx, &asset_id)?
        };
        for (f, evidence) in host.findings.into_iter().zip(evidence) {
            self.finding(tx, &scanner, &asset_id, &seen_at, f, evidence, &mut known)?;
        }
        self.flush(tx)?;
        Ok(())
    }

    /// A new asset's id: derived from its first key (as migration 17 derived the ids of assets
    /// before it), unless an asset had it once and kept it (a merge moved its keys away).
    fn new_asset_id(&self, tx: &Transaction<'_>, host: &ParsedAsset) -> Result<String> {
        let first = host
            .identifiers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .min()
            .map(|(k, v)| format!("{k}={v}"))
            .unwrap_or_else(|| best_name(host));
        let id = crate::ids::derived(&self.namespace, "asset", &[&first]);
        let taken: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM assets WHERE id = ?1)")?
            .query_row([&id], |r| r.get(0))?;
        Ok(if taken { new_id() } else { id })
    }

    fn finding_id(&self, asset_id: &str, vuln_id: &str, location: &str) -> String {
        crate::ids::derived_within(
            &self.namespace,
            asset_id,
            "finding",
            &[asset_id, vuln_id, location],
        )
    }

    /// Finds the asset this target already is (see `identity`), else creates it. New keys
    /// learnt about a known asset are logged with the key that matched, so a merge can be explained.
    fn asset(&mut self, tx: &Transaction<'_>, host: &ParsedAsset) -> Result<String> {
        let found = identity::find(tx, &host.identifiers)?;
        let id = match &found {
            Some((id, _, _)) => id.clone(),
            None => {
                let id = self.new_asset_id(tx, host)?;
                let name = best_name(host);
                tx.prepare_cached(
                    "INSERT INTO assets (id, name, os, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                )?
                .execute(params![id, name, host.os, self.at])?;
                self.created.insert(id.clone());
                id
            }
        };
        for (kind, value) in &host.identifiers {
            if found.is_some() && identity::has(tx, &id, *kind, value)? {
                continue;
            }
            tx.prepare_cached("INSERT OR IGNORE INTO asset_identifiers (asset_id, kind, value) VALUES (?1, ?2, ?3)")?
                .execute(params![id, kind.as_str(), value])?;
            if let Some((_, mkind, mvalue)) = &found {
                // Why this asset learnt a key: the key that matched (a merge can be explained).
                let why = format!("{} matched on {}={mvalue}", self.file_name, mkind.as_str());
                let key = format!("{}={value}", kind.as_str());
                crate::changes::note(tx, "asset", &id, "identifier", Some(&key), Some(&why))?;
            }
        }
        Ok(id)
    }

    fn vulnerability(
        &mut self,
        tx: &Transaction<'_>,
        scanner: &str,
        f: &ParsedFinding,
        sev: Severity,
    ) -> Result<String> {
        let key = (scanner.to_string(), f.scanner_id.clone());
        if let Some(id) = self.vulns.get(&key) {
            return Ok(id.clone());
        }
        let existing: Option<String> = tx
            .prepare_cached(
                "SELECT id FROM vulnerabilities WHERE scanner = ?1 AND scanner_id = ?2",
            )?
            .query_row(params![scanner, f.scanner_id], |r| r.get(0))
            .optional()?;
        let id = existing.unwrap_or_else(|| {
            crate::ids::derived(&self.namespace, "vulnerability", &[scanner, &f.scanner_id])
        });
        let score = |s: &Option<(f64, Option<String>)>| {
            s.as_ref().map(|(v, _)| *v).filter(|v| v.is_finite())
        };
        let vector = |s: &Option<(f64, Option<String>)>| s.as_ref().and_then(|(_, v)| v.clone());
        // Newer reports carry newer knowledge of a vulnerability: the latest import wins.
        tx.prepare_cached(
            "INSERT INTO vulnerabilities (id, scanner, scanner_id, title, severity, scanner_score,
                cvss2_score, cvss2_vector, cvss3_score, cvss3_vector, cvss4_score, cvss4_vector,
                epss, known_exploited, exploit_available, description, solution, fixed_version)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)
             ON CONFLICT (scanner, scanner_id) DO UPDATE SET
                title = excluded.title, severity = excluded.severity, scanner_score = excluded.scanner_score,
                cvss2_score = excluded.cvss2_score, cvss2_vector = excluded.cvss2_vector,
                cvss3_score = excluded.cvss3_score, cvss3_vector = excluded.cvss3_vector,
                cvss4_score = excluded.cvss4_score, cvss4_vector = excluded.cvss4_vector,
                epss = excluded.epss,
                known_exploited = excluded.known_exploited OR EXISTS (SELECT 1 FROM vulnerability_cves c
                    JOIN kev_catalog k ON k.cve = c.cve WHERE c.vulnerability_id = vulnerabilities.id),
                exploit_available = excluded.exploit_available, description = excluded.description,
                solution = excluded.solution, fixed_version = excluded.fixed_version",
        )?
        .execute(params![
            id, scanner, f.scanner_id, f.title, sev.as_str(), f.scanner_score,
            score(&f.cvss2), vector(&f.cvss2), score(&f.cvss3), vector(&f.cvss3),
            score(&f.cvss4), vector(&f.cvss4), f.epss, f.known_exploited, f.exploit_available,
            f.description, f.solution, f.fixed_version
        ])?;
        for cve in &f.cves {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO vulnerability_cves (vulnerability_id, cve) VALUES (?1, ?2)",
            )?
            .execute(params![id, cve])?;
        }
        self.vulns.insert(key, id.clone());
        Ok(id)
    }

    fn finding(
        &mut self,
        tx: &Transaction<'_>,
        scanner: &str,
        asset_id: &str,
        seen_at: &str,
        mut f: ParsedFinding,
        evidence: Option<Evidence>,
        known: &mut Known,
    ) -> Result<()> {
        if f.verdict.is_none() {
            f.verdict = self.stored_verdict(&f);
        }
        let sev = f.severity.unwrap_or(Severity::Info);
        let vuln_id = self.vulnerability(tx, scanner, &f, sev)?;
        let key = xxhash_rust::xxh3::xxh3_128(
            format!("{asset_id}\u{0}{vuln_id}\u{0}{}", f.location).as_bytes(),
        );
        if !self.seen.insert(key) {
            return Ok(()); // a repeat inside one file is the same finding
        }
        self.report.findings += 1;
        self.report.by_severity.add(sev, 1);
        let existing = known.remove(&(vuln_id.clone(), f.location.clone()));
        match existing {
            None => {
                let evidence = evidence.map(|e| e.packed(&mut self.packer));
                if let Some(v) = &f.verdict {
                    // A finding that comes with its author's verdict starts in that status
                    // (rare: written at once, not batched).
                    let id = self.finding_id(asset_id, &vuln_id, &f.location);
                    self.because(tx, Some(&format!("{} in {}", v.reason, self.file_name)))?;
                    let (status, closed_at) = match v.status {
                        VerdictStatus::NotAffected => ("false_positive", None),
                        VerdictStatus::Fixed => ("fixed", Some(seen_at)),
                    };
                    let before = self.created_findings.mark(tx)?;
                    tx.prepare_cached(
                        "INSERT INTO findings (id, asset_id, vulnerability_id, location, severity, status, evidence_hash,
                            first_seen, last_seen, first_import_id, last_import_id, closed_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?9, ?6, ?7, ?7, ?8, ?8, ?10)",
                    )?
                    .execute(params![id, asset_id, vuln_id, f.location, sev.as_str(), evidence.as_ref().map(|p| p.hash), seen_at,
                        self.import_id, status, closed_at])?;
                    self.created_findings.record(tx, before)?;
                    set_evidence(tx, &id, evidence.as_ref())?;
                    self.because(tx, None)?;
                } else {
                    self.pending.push(NewFinding {
                        id: self.finding_id(asset_id, &vuln_id, &f.location),
                        asset_id: asset_id.to_string(),
                        vuln_id,
                        location: f.location,
                        severity: sev.as_str(),
                        evidence,
                        seen_at: seen_at.to_string(),
                    });
                    if self.pending.len() == INSERT_BATCH {
                        self.flush(tx)?;
                    }
                }
                self.report.new += 1;
            }
            Some(Existing {
                id,
                status,
                last_seen,
                last_import_id,
                severity,
                closed_at,
                evidence_hash: old_hash,
            }) => {
                let newer = time::compare(seen_at, &last_seen).is_ge();
                // Only a scan after the one that closed it can say it is back; an older scan
                // imported late is old news. False positives and accepted risks stay as they are.
                // A finding the file itself says is not affected or fixed is not reopened.
                let new_hash = evidence.as_ref().map(|e| e.hash());
                let reopen = status == "fixed"
                    && f.verdict.is_none()
                    && closed_at
                        .as_deref()
                        .is_none_or(|c| time::compare(seen_at, c).is_gt());
                // Seen again with nothing else to change: the bookkeeping of most of a rescan,
                // written without the row's trigger and recorded in batches.
                let only_sighting =
                    !reopen && (!newer || (new_hash == old_hash && severity == sev.as_str()));
                if only_sighting {
                    if newer {
                        self.seen_again(tx, &id, (&last_seen, seen_at), last_import_id)?;
                    }
                } else {
                    if reopen {
                        self.because(tx, Some(&format!("seen again in {}", self.file_name)))?;
                    }
                    tx.prepare_cached(
                        "UPDATE findings SET last_seen = CASE WHEN julianday(?2) > julianday(last_seen) THEN ?2 ELSE last_seen END,
                            last_import_id = CASE WHEN ?3 THEN ?4 ELSE last_import_id END,
                            evidence_hash = CASE WHEN ?3 THEN ?5 ELSE evidence_hash END,
                            severity = CASE WHEN ?3 THEN ?6 ELSE severity END,
                            status = CASE WHEN ?7 THEN 'open' ELSE status END,
                            closed_at = CASE WHEN ?7 THEN NULL ELSE closed_at END
                         WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        seen_at,
                        newer,
                        self.import_id,
                        new_hash,
                        sev.as_str(),
                        reopen
                    ])?;
                }
                // The scan's own words are rewritten only when they changed.
                if newer && new_hash != old_hash {
                    let packed = evidence.map(|e| e.packed(&mut self.packer));
                    set_evidence(tx, &id, packed.as_ref())?;
                }
                if reopen {
                    self.because(tx, None)?;
                    self.report.reopened += 1;
                } else if status == "open" && f.verdict.is_some() {
                    let verdict = f.verdict.as_ref().expect("checked");
                    self.apply_verdict(tx, &id, verdict, seen_at)?;
                    self.report.closed += 1;
                } else {
                    self.report.unchanged += 1;
                }
            }
        }
        Ok(())
    }

    /// A finding seen again with nothing else to change: its last sighting and import, written at
    /// once and recorded with the next batch (no trigger watches these two columns alone).
    fn seen_again(
        &mut self,
        tx: &Transaction<'_>,
        id: &str,
        (was, now): (&str, &str),
        import_was: Option<String>,
    ) -> Result<()> {
        let later = time::compare(now, was).is_gt();
        tx.prepare_cached("UPDATE findings SET last_seen = ?2, last_import_id = ?3 WHERE id = ?1")?
            .execute(params![id, if later { now } else { was }, self.import_id])?;
        if later {
            self.sightings.push((
                id.to_string(),
                "last_seen",
                Some(was.to_string()),
                now.to_string(),
            ));
        }
        if import_was.as_deref() != Some(self.import_id.as_str()) {
            self.sightings.push((
                id.to_string(),
                "last_import_id",
                import_was,
                self.import_id.clone(),
            ));
        }
        Ok(())
    }

    /// Writes the new findings waiting in `pending`, and their evidence: full batches as one
    /// multi-row INSERT each (much cheaper per row than one statement each), the rest one by one.
    /// Records the sightings waiting in `sightings`.
    fn flush(&mut self, tx: &Transaction<'_>) -> Result<()> {
        let sightings = std::mem::take(&mut self.sightings);
        crate::changes::record_fields(tx, "finding", &sightings)?;
        const FINDINGS: &str =
            "INSERT INTO findings (id, asset_id, vulnerability_id, location, severity, status,
            evidence_hash, first_seen, last_seen, first_import_id, last_import_id) VALUES ";
        const FINDING: &str = "(?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)";
        const EVIDENCE: &str = "INSERT INTO finding_evidence (finding_id, zstd) VALUES ";
        let pending = std::mem::take(&mut self.pending);
        let import = &self.import_id;
        let hashes: Vec<Option<i64>> = pending
            .iter()
            .map(|n| n.evidence.as_ref().map(|p| p.hash))
            .collect();
        let mut rows: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(INSERT_BATCH * 10);
        for (chunk, hashes) in pending
            .chunks(INSERT_BATCH)
            .zip(hashes.chunks(INSERT_BATCH))
        {
            rows.clear();
            for (n, h) in chunk.iter().zip(hashes) {
                rows.extend_from_slice(&[
                    &n.id,
                    &n.asset_id,
                    &n.vuln_id,
                    &n.location,
                    &n.severity,
                    h,
                    &n.seen_at,
                    &n.seen_at,
                    import,
                    import,
                ]);
            }
            let before = self.created_findings.mark(tx)?;
            insert_rows(tx, FINDINGS, FINDING, 10, chunk.len(), &rows)?;
            self.created_findings.record(tx, before)?;
            rows.clear();
            let mut n_evidence = 0;
            for n in chunk {
                if let Some(packed) = &n.evidence {
                    rows.extend_from_slice(&[&n.id, &packed.zstd]);
                    n_evidence += 1;
                }
            }
            insert_rows(tx, EVIDENCE, "(?, ?)", 2, n_evidence, &rows)?;
        }
        Ok(())
    }

    /// Sets an open finding to the verdict's status (false_positive, or fixed at `at`) and logs it.
    fn apply_verdict(
        &self,
        tx: &Transaction<'_>,
        id: &str,
        verdict: &Verdict,
        at: &str,
    ) -> Result<()> {
        let (status, closed_at) = match verdict.status {
            VerdictStatus::NotAffected => ("false_positive", None),
            VerdictStatus::Fixed => ("fixed", Some(at)),
        };
        self.because(
            tx,
            Some(&format!("{} in {}", verdict.reason, self.file_name)),
        )?;
        tx.prepare_cached(
            "UPDATE findings SET status = ?2, closed_at = ?3 WHERE id = ?1 AND status = 'open'",
        )?
        .execute(params![id, status, closed_at])?;
        self.because(tx, None)
    }

    /// The reason the next writes are recorded with: `why`, else the import's own.
    fn because(&self, tx: &Transaction<'_>, why: Option<&str>) -> Result<()> {
        let import = format!("imported from {}", self.file_name);
        crate::changes::because(tx, why.unwrap_or(&import))
    }

    /// The verdict an earlier VEX statement gives this finding: its id or one of its CVEs,
    /// at the statement's package. The latest statement wins.
    fn stored_verdict(&self, f: &ParsedFinding) -> Option<Verdict> {
        if self.statements.is_empty() {
            return None;
        }
        std::iter::once(&f.scanner_id)
            .chain(f.cves.iter())
            .filter_map(|id| self.statements.get(id))
            .flatten()
            .rfind(|s| s.covers(&f.location))
            .map(|s| Verdict {
                status: s.status,
                reason: s.reason.clone(),
            })
    }

    /// Applies one OpenVEX statement to every open finding, on any asset, of its
    /// vulnerability (scanner id or CVE) at its product's package ("name@version", or any
    /// version of the package when the purl has none). Counted as closed.
    fn statement(&mut self, tx: &Transaction<'_>, s: &VexStatement) -> Result<()> {
        let (product_name, product_version) = match &s.product {
            None => (None, None),
            Some((name, version)) => (Some(name.as_str()), version.as_deref()),
        };
        let status = match s.status {
            VerdictStatus::NotAffected => "not_affected",
            VerdictStatus::Fixed => "fixed",
        };
        tx.prepare_cached(
            "INSERT INTO vex_statements (id, import_id, vulnerability, product_name, product_version, status, reason, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![new_id(), self.import_id, s.vulnerability, product_name, product_version, status,
            format!("{} in {}", s.reason, self.file_name), s.at])?;
        let (name, exact, prefix) = match &s.product {
            None => (None, None, None),
            Some((name, Some(v))) => (None, Some(format!("{name}@{v}")), None),
            Some((name, None)) => (Some(name.clone()), None, Some(format!("{name}@"))),
        };
        let ids: Vec<String> = tx
            .prepare_cached(
                "SELECT f.id FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
                 WHERE f.status = 'open'
                   AND (v.scanner_id = ?1 OR EXISTS (SELECT 1 FROM vulnerability_cves c
                        WHERE c.vulnerability_id = v.id AND c.cve = ?1))
                   AND ((?2 IS NULL AND ?3 IS NULL)
                        OR f.location = ?2 OR f.location = ?4
                        OR substr(f.location, 1, length(?3)) = ?3)
                 ORDER BY f.id",
            )?
            .query_map(params![s.vulnerability, exact, prefix, name], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let at = s.at.clone().unwrap_or_else(|| self.at.clone());
        let verdict = Verdict {
            status: s.status,
            reason: s.reason.clone(),
        };
        for id in ids {
            self.apply_verdict(tx, &id, &verdict, &at)?;
            self.report.closed += 1;
        }
        Ok(())
    }

    pub(super) fn report(&self, shown: &str, fmt: &dyn Format) -> ImportReport {
        ImportReport {
            file: shown.to_string(),
            format: fmt.name().to_string(),
            assets: self.assets.len() as u32,
            ..self.report.clone()
        }
    }

    /// Closes, as fixed, the open findings of this scanner on assets this import covered
    /// that the scan did not report, unless something saw them later than this scan did.
    pub(super) fn close_missing(&mut self, tx: &Transaction<'_>) -> Result<()> {
        if self.assets.iter().all(|a| self.created.contains(a)) {
            return Ok(()); // every asset is new to the workspace: nothing of theirs can be missing
        }
        let missing = "FROM findings f
             JOIN import_scope s ON s.asset_id = f.asset_id AND s.import_id = ?1
             JOIN vulnerabilities v ON v.id = f.vulnerability_id AND v.scanner = s.scanner
             WHERE f.status = 'open' AND f.last_import_id IS NOT ?1 AND julianday(f.last_seen) < julianday(s.scanned_at)";
        self.because(tx, Some(&format!("not found by {}", self.file_name)))?;
        let closed = tx.execute(
            &format!(
                "UPDATE findings SET status = 'fixed', closed_at = (SELECT scanned_at FROM import_scope
                     WHERE import_id = ?1 AND asset_id = findings.asset_id ORDER BY julianday(scanned_at) LIMIT 1)
                 WHERE id IN (SELECT f.id {missing})"
            ),
            params![self.import_id],
        )?;
        self.report.closed += closed as u32;
        self.because(tx, None)
    }

    pub(super) fn finish(
        &self,
        tx: &Transaction<'_>,
        sha: &str,
        size: u64,
        report: &ImportReport,
    ) -> Result<()> {
        let by_severity = serde_json::to_string(&report.by_severity).expect("counts serialize");
        tx.execute(
            "UPDATE imports SET file_sha256 = ?2, scanned_at = ?3, assets = ?4, findings = ?5, new_findings = ?6,
                closed_findings = ?7, reopened_findings = ?8, scanner = ?9, file_size = ?10, by_severity = ?11
             WHERE id = ?1",
            params![self.import_id, sha, self.scanned_at, report.assets, report.findings, report.new,
                report.closed, report.reopened, self.scanner, size as i64, by_severity],
        )?;
        Ok(())
    }
}

/// The target's keys as the JSON array `import_scope.identifiers` keeps: ["fqdn=web01.example.com", ...].
fn keys_json(ids: &[(IdentifierKind, String)]) -> String {
    let keys: Vec<String> = ids
        .iter()
        .map(|(k, v)| format!("{}={v}", k.as_str()))
        .collect();
    serde_json::to_string(&keys).expect("strings serialize")
}

fn best_name(host: &ParsedAsset) -> String {
    for kind in [
        IdentifierKind::Fqdn,
        IdentifierKind::Netbios,
        IdentifierKind::Hostname,
        IdentifierKind::Artifact,
        IdentifierKind::CloudId,
        IdentifierKind::ImageDigest,
        IdentifierKind::Ip,
    ] {
        if let Some((_, v)) = host.identifiers.iter().find(|(k, _)| *k == kind) {
            return v.clone();
        }
    }
    host.label.clone()
}
