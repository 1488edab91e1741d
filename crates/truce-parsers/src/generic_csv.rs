//! Any CSV export, read through a column mapping the user saved once (`csv_mapping`). The
//! mapping is data, not a type: a [`GenericCsv`] is built per import from the saved row.
//!
//! Identity: scanner "csv:<mapping name>" (or the mapping's `scanner`), the id column, and a
//! location: "{port}/{protocol}" when a port column is mapped ("-" on rows without a port),
//! "{package}@{version}" when a package column is mapped, else "-". Consecutive rows of one
//! target (same asset cells) with the same id and location are one finding carrying every CVE.
//!
//! Severity: the severity cell through the mapping's own values, then the usual words
//! (critical, high, medium/moderate, low, info/informational/none) and the Nessus levels 0-4.
//! A value none of these place is an error naming the line. An empty or unmapped severity
//! falls back to the CVSS score column when one is mapped (>= 9 critical, >= 7 high, >= 4
//! medium, > 0 low, 0 info), else the finding is info.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::csvread::{cell, header_fields, parse_time, Header, Rows};
use crate::error::Result;
use crate::mapping::{self, Mapping, SavedMapping, DELIMITERS};
use crate::nessus::{classify_name, severity_from_level};
use crate::utc_text;
use crate::Severity;
use crate::{bad, Format, IdentifierKind, ParsedAsset, ParsedFinding};

/// A generic CSV read through one saved mapping.
pub struct GenericCsv {
    /// "csv:<mapping name>", what `--format` takes and the import list shows.
    name: &'static str,
    scanner: &'static str,
    mapping_name: String,
    header: Vec<String>,
    mapping: Mapping,
}

/// `Format` hands out `&'static str` names; a mapping's names are made static once per
/// distinct text, so repeated imports do not grow memory.
fn intern(s: String) -> &'static str {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.iter().find(|n| **n == s) {
        return n;
    }
    let leaked: &'static str = Box::leak(s.into_boxed_str());
    names.push(leaked);
    leaked
}

impl GenericCsv {
    pub fn new(saved: SavedMapping) -> GenericCsv {
        GenericCsv {
            name: intern(format!("csv:{}", saved.name)),
            scanner: intern(saved.mapping.scanner_for(&saved.name)),
            mapping_name: saved.name,
            header: saved.header,
            mapping: saved.mapping,
        }
    }

    /// The delimiter under which the file's header is the saved one, else the one under which
    /// it has every mapped column, else the comma.
    fn delimiter(&self, head: &[u8]) -> u8 {
        let headers: Vec<(u8, Vec<String>)> = DELIMITERS
            .iter()
            .filter_map(|&d| Some((d, header_fields(head, d)?)))
            .collect();
        if let Some((d, _)) = headers.iter().find(|(_, h)| *h == self.header) {
            return *d;
        }
        let has_all = |h: &Vec<String>| {
            self.mapping
                .columns()
                .iter()
                .all(|(_, c)| h.iter().any(|n| n == c))
        };
        headers
            .iter()
            .find(|(_, h)| has_all(h))
            .map_or(b',', |(d, _)| *d)
    }
}

/// Positions of the mapped columns in one file's header.
struct Cols {
    id: usize,
    hostname: Option<usize>,
    fqdn: Option<usize>,
    ip: Option<usize>,
    artifact: Option<usize>,
    cloud_id: Option<usize>,
    title: Option<usize>,
    severity: Option<usize>,
    port: Option<usize>,
    protocol: Option<usize>,
    package: Option<usize>,
    version: Option<usize>,
    cve: Option<usize>,
    cvss: Option<usize>,
    cvss_vector: Option<usize>,
    solution: Option<usize>,
    fixed_version: Option<usize>,
    description: Option<usize>,
    seen: Option<usize>,
}

impl Cols {
    fn resolve(file: &str, g: &GenericCsv, h: &Header, names: Option<&[String]>) -> Result<Cols> {
        let missing: Vec<String> = g
            .mapping
            .columns()
            .into_iter()
            .filter(|(_, c)| h.find(&[c]).is_none())
            .map(|(role, c)| format!("{role} column '{c}'"))
            .collect();
        if !missing.is_empty() {
            let listed = names.map_or(String::new(), |n| {
                format!(" (its columns: {})", n.join(", "))
            });
            return Err(bad(
                file,
                "line 1",
                &format!(
                    "column mapping '{}' needs {}, which the header lacks{listed}",
                    g.mapping_name,
                    missing.join(", ")
                ),
            ));
        }
        let m = &g.mapping;
        let pos = |c: &Option<String>| c.as_deref().and_then(|c| h.find(&[c]));
        Ok(Cols {
            id: h.find(&[&m.id]).expect("checked above"),
            hostname: pos(&m.hostname),
            fqdn: pos(&m.fqdn),
            ip: pos(&m.ip),
            artifact: pos(&m.artifact),
            cloud_id: pos(&m.cloud_id),
            title: pos(&m.title),
            severity: pos(&m.severity),
            port: pos(&m.port),
            protocol: pos(&m.protocol),
            package: pos(&m.package),
            version: pos(&m.version),
            cve: pos(&m.cve),
            cvss: pos(&m.cvss),
            cvss_vector: pos(&m.cvss_vector),
            solution: pos(&m.solution),
            fixed_version: pos(&m.fixed_version),
            description: pos(&m.description),
            seen: pos(&m.seen),
        })
    }
}

impl Format for GenericCsv {
    fn name(&self) -> &'static str {
        self.name
    }

    fn scanner(&self) -> &'static str {
        self.scanner
    }

    /// The file's header row is the one the mapping was saved for (trimmed, case-insensitive).
    fn sniff(&self, head: &[u8]) -> bool {
        DELIMITERS
            .iter()
            .any(|&d| header_fields(head, d).is_some_and(|h| h == self.header))
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let head = input
            .fill_buf()
            .map_err(|e| bad(file, "byte 0", &format!("cannot read: {e}")))?;
        let head = &head[..head.len().min(64 * 1024)];
        let delimiter = self.delimiter(head);
        let names = header_fields(head, delimiter);
        let mut rows = Rows::open(file, input, delimiter)?;
        let cols = Cols::resolve(file, self, &rows.header, names.as_deref())?;
        let mut group: Option<Group> = None;
        while let Some((line, rec)) = rows.next()? {
            let at = format!("line {line}");
            let (key, asset) = self.asset_of(file, &at, rec, &cols)?;
            if group.as_ref().is_some_and(|g| g.key != key) {
                on_asset(group.take().unwrap().finish())?;
            }
            let g = group.get_or_insert_with(|| Group {
                key,
                asset,
                index: HashMap::new(),
                seen: None,
            });
            self.add(file, &at, rec, &cols, g)?;
        }
        if let Some(g) = group {
            on_asset(g.finish())?;
        }
        Ok(())
    }
}

impl GenericCsv {
    fn asset_of(
        &self,
        file: &str,
        at: &str,
        rec: &csv::StringRecord,
        c: &Cols,
    ) -> Result<(Vec<String>, ParsedAsset)> {
        let hostname = cell(rec, c.hostname);
        let fqdn = cell(rec, c.fqdn);
        let ip = cell(rec, c.ip);
        let artifact = cell(rec, c.artifact);
        let cloud_id = cell(rec, c.cloud_id);
        let label = fqdn
            .or(hostname)
            .or(artifact)
            .or(cloud_id)
            .or(ip)
            .ok_or_else(|| {
                let m = &self.mapping;
                let cols: Vec<&str> = [&m.hostname, &m.fqdn, &m.ip, &m.artifact, &m.cloud_id]
                    .iter()
                    .filter_map(|c| c.as_deref())
                    .collect();
                bad(
                    file,
                    at,
                    &format!("no asset: the {} cells are all empty", cols.join(", ")),
                )
            })?;
        let mut ids: Vec<(IdentifierKind, String)> = Vec::new();
        let mut push = |kind, value: &str, lower: bool| {
            let value = value.trim();
            let value = if lower {
                value.to_ascii_lowercase()
            } else {
                value.to_string()
            };
            if !value.is_empty() && !ids.iter().any(|(k, v)| *k == kind && *v == value) {
                ids.push((kind, value));
            }
        };
        if let Some(h) = hostname {
            // A "hostname" cell may hold a FQDN or an address: read it as nessus.rs reads names.
            classify_name(h, &mut |k, v| push(k, v, true));
        }
        if let Some(f) = fqdn {
            push(IdentifierKind::Fqdn, f, true);
            if let Some(short) = f.split('.').next() {
                push(IdentifierKind::Hostname, short, true);
            }
        }
        if let Some(ip) = ip {
            push(IdentifierKind::Ip, ip, true);
        }
        if let Some(a) = artifact {
            push(IdentifierKind::Artifact, a, false);
        }
        if let Some(cid) = cloud_id {
            push(IdentifierKind::CloudId, cid, false);
        }
        let key = [hostname, fqdn, ip, artifact, cloud_id]
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect();
        Ok((
            key,
            ParsedAsset {
                label: label.to_string(),
                identifiers: ids,
                ..Default::default()
            },
        ))
    }

    fn add(
        &self,
        file: &str,
        at: &str,
        rec: &csv::StringRecord,
        c: &Cols,
        g: &mut Group,
    ) -> Result<()> {
        let m = &self.mapping;
        let id = cell(rec, Some(c.id)).ok_or_else(|| {
            bad(
                file,
                at,
                &format!("the vulnerability id cell ('{}') is empty", m.id),
            )
        })?;
        let location = if c.port.is_some() {
            match (cell(rec, c.port), cell(rec, c.protocol)) {
                (Some(p), Some(proto)) => format!("{p}/{proto}").to_ascii_lowercase(),
                (Some(p), None) => p.to_ascii_lowercase(),
                (None, _) => "-".to_string(),
            }
        } else if c.package.is_some() {
            match (cell(rec, c.package), cell(rec, c.version)) {
                (Some(p), Some(v)) => format!("{p}@{v}"),
                (Some(p), None) => p.to_string(),
                (None, _) => {
                    return Err(bad(
                        file,
                        at,
                        &format!(
                            "the package cell ('{}') is empty",
                            m.package.as_deref().unwrap_or_default()
                        ),
                    ))
                }
            }
        } else {
            "-".to_string()
        };
        let cvss = match cell(rec, c.cvss) {
            None => None,
            Some(v) => Some(
                v.parse::<f64>()
                    .ok()
                    .filter(|s| (0.0..=10.0).contains(s))
                    .ok_or_else(|| {
                        bad(
                            file,
                            at,
                            &format!(
                                "CVSS score \"{v}\" ('{}') is not a number from 0 to 10",
                                m.cvss.as_deref().unwrap_or_default()
                            ),
                        )
                    })?,
            ),
        };
        let severity = self.severity(file, at, rec, c, cvss)?;
        let cves = cves_of(cell(rec, c.cve));
        if let Some(t) = cell(rec, c.seen).and_then(seen_time) {
            g.seen = Some(g.seen.map_or(t, |s| s.max(t)));
        }

        let key = (id.to_string(), location.clone());
        if let Some(f) = g.index.get(&key).map(|&i| &mut g.asset.findings[i]) {
            for cve in cves {
                if !f.cves.contains(&cve) {
                    f.cves.push(cve);
                }
            }
            return Ok(());
        }
        let text = |col| cell(rec, col).map(str::to_string);
        let vector = text(c.cvss_vector);
        let scored = cvss.map(|s| (s, vector.clone()));
        let version = vector.as_deref().map(str::to_ascii_uppercase);
        let (cvss2, cvss3, cvss4) = match version.as_deref() {
            Some(v) if v.starts_with("CVSS:4") => (None, None, scored),
            Some(v) if v.starts_with("CVSS:3") => (None, scored, None),
            // A vector without a version prefix is CVSS v2 ('AV:N/AC:L/Au:N/...').
            Some(_) => (scored, None, None),
            None => (None, scored, None),
        };
        let f = ParsedFinding {
            scanner_id: id.to_string(),
            title: text(c.title).unwrap_or_else(|| id.to_string()),
            severity,
            scanner_score: text(c.severity),
            cvss2,
            cvss3,
            cvss4,
            cves,
            description: text(c.description),
            solution: text(c.solution),
            fixed_version: text(c.fixed_version),
            location,
            ..Default::default()
        };
        g.index.insert(key, g.asset.findings.len());
        g.asset.findings.push(f);
        Ok(())
    }

    fn severity(
        &self,
        file: &str,
        at: &str,
        rec: &csv::StringRecord,
        c: &Cols,
        cvss: Option<f64>,
    ) -> Result<Option<Severity>> {
        let Some(v) = cell(rec, c.severity) else {
            return Ok(cvss.map(from_cvss));
        };
        let key = mapping::normalize(v);
        if let Some(s) = self.mapping.severity_values.get(&key) {
            return Ok(Some(*s));
        }
        default_severity(&key).map(Some).ok_or_else(|| {
            bad(
                file,
                at,
                &format!(
                    "severity \"{v}\" ('{}') is not one Truce knows: add it to mapping '{}' \
                     (`truce mapping save {} ... --severity-value '{v}=high'`); known: critical, \
                     high, medium, low, info, 0-4{}",
                    self.mapping.severity.as_deref().unwrap_or_default(),
                    self.mapping_name,
                    self.mapping_name,
                    self.mapping
                        .severity_values
                        .keys()
                        .map(|k| format!(", {k}"))
                        .collect::<String>()
                ),
            )
        })
    }
}

/// Consecutive rows of one target, merged into findings by (id, location).
struct Group {
    key: Vec<String>,
    asset: ParsedAsset,
    index: HashMap<(String, String), usize>,
    seen: Option<DateTime<Utc>>,
}

impl Group {
    fn finish(mut self) -> ParsedAsset {
        // CVEs belong to the vulnerability: every finding of one id carries all of them, as
        // the writer stores those of the first finding of an id it meets.
        let mut by_id: HashMap<String, Vec<String>> = HashMap::new();
        for f in &self.asset.findings {
            let all = by_id.entry(f.scanner_id.clone()).or_default();
            for c in &f.cves {
                if !all.contains(c) {
                    all.push(c.clone());
                }
            }
        }
        for f in &mut self.asset.findings {
            f.cves = by_id[&f.scanner_id].clone();
        }
        self.asset.scanned_at = self.seen.map(utc_text);
        self.asset
    }
}

fn default_severity(v: &str) -> Option<Severity> {
    match v {
        "critical" => Some(Severity::Critical),
        "high" => Some(Severity::High),
        "medium" | "moderate" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        "info" | "informational" | "none" => Some(Severity::Info),
        _ => severity_from_level(v),
    }
}

/// The CVSS v3 qualitative rating of a base score.
fn from_cvss(score: f64) -> Severity {
    match score {
        s if s >= 9.0 => Severity::Critical,
        s if s >= 7.0 => Severity::High,
        s if s >= 4.0 => Severity::Medium,
        s if s > 0.0 => Severity::Low,
        _ => Severity::Info,
    }
}

/// A scan time: RFC 3339 or the Tenable text form (`csvread::parse_time`), or a plain
/// '2024-03-18 12:46:31' / '2024-03-18' taken as UTC. Anything else is no time.
fn seen_time(text: &str) -> Option<DateTime<Utc>> {
    parse_time(text)
        .or_else(|| {
            NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
}

/// Every CVE id in a cell ('CVE-2011-3389,CVE-2015-0204', 'CVE-a; CVE-b', 'CVE-a CVE-b').
fn cves_of(cell: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    crate::cve::cves_in(cell.unwrap_or(""), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_from_words_levels_and_cvss() {
        assert_eq!(default_severity("moderate"), Some(Severity::Medium));
        assert_eq!(default_severity("4"), Some(Severity::Critical));
        assert_eq!(default_severity("9.8"), None, "a score is not a level");
        assert_eq!(from_cvss(9.0), Severity::Critical);
        assert_eq!(from_cvss(6.9), Severity::Medium);
        assert_eq!(from_cvss(0.0), Severity::Info);
    }

    #[test]
    fn cves_and_times() {
        assert_eq!(
            cves_of(Some("cve-2011-3389; CVE-2015-0204 CVE-2011-3389,n/a")),
            ["CVE-2011-3389", "CVE-2015-0204"]
        );
        assert_eq!(
            seen_time("2024-03-18 12:46:31").map(utc_text).as_deref(),
            Some("2024-03-18T12:46:31.000Z")
        );
        assert_eq!(
            seen_time("2025-08-22T16:27:22+02:00")
                .map(utc_text)
                .as_deref(),
            Some("2025-08-22T14:27:22.000Z")
        );
        assert_eq!(seen_time("last tuesday"), None);
    }
}
