//! Column mappings for generic CSV exports: the user says once which column of a CSV is the
//! vulnerability id, which names the host and so on; the mapping is saved in the workspace
//! with the header row it was made for, and files with that header then import with no flags
//! (see `generic_csv` and docs/formats/csv.md). The workspace keeps them (`truce_core::csv_mapping`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::Severity;

/// Which column is what, by column name (as in the header, trimmed and lower-cased).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Mapping {
    /// The scanner's id of the vulnerability (plugin id, rule id, CVE ...). Required.
    pub id: String,
    // The target: at least one of these five.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// An image reference, repository or path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The installed version of `package`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// One or more CVE ids, separated by ',', ';' or spaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cve: Option<String>,
    /// A CVSS base score 0-10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When the target was scanned (or the finding last seen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen: Option<String>,
    /// Severity cell values (lower-cased) and what they mean, checked before the defaults.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub severity_values: BTreeMap<String, Severity>,
    /// The scanner stored with each vulnerability; default "csv:<mapping name>".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanner: Option<String>,
}

impl Mapping {
    /// Every mapped column with what it is for ("id", "hostname" ...).
    pub fn columns(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![("id", self.id.as_str())];
        let optional = [
            ("hostname", &self.hostname),
            ("fqdn", &self.fqdn),
            ("ip", &self.ip),
            ("artifact", &self.artifact),
            ("cloud_id", &self.cloud_id),
            ("title", &self.title),
            ("severity", &self.severity),
            ("port", &self.port),
            ("protocol", &self.protocol),
            ("package", &self.package),
            ("version", &self.version),
            ("cve", &self.cve),
            ("cvss", &self.cvss),
            ("cvss_vector", &self.cvss_vector),
            ("solution", &self.solution),
            ("fixed_version", &self.fixed_version),
            ("description", &self.description),
            ("seen", &self.seen),
        ];
        for (role, col) in optional {
            if let Some(c) = col {
                out.push((role, c.as_str()));
            }
        }
        out
    }

    /// The same mapping with column names and severity values trimmed and lower-cased, as
    /// headers and cells are compared.
    pub fn normalized(&self) -> Mapping {
        let n = |c: &Option<String>| c.as_deref().map(normalize).filter(|c| !c.is_empty());
        Mapping {
            id: normalize(&self.id),
            hostname: n(&self.hostname),
            fqdn: n(&self.fqdn),
            ip: n(&self.ip),
            artifact: n(&self.artifact),
            cloud_id: n(&self.cloud_id),
            title: n(&self.title),
            severity: n(&self.severity),
            port: n(&self.port),
            protocol: n(&self.protocol),
            package: n(&self.package),
            version: n(&self.version),
            cve: n(&self.cve),
            cvss: n(&self.cvss),
            cvss_vector: n(&self.cvss_vector),
            solution: n(&self.solution),
            fixed_version: n(&self.fixed_version),
            description: n(&self.description),
            seen: n(&self.seen),
            severity_values: self
                .severity_values
                .iter()
                .map(|(k, v)| (normalize(k), *v))
                .collect(),
            scanner: self
                .scanner
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        }
    }

    /// The scanner name stored with vulnerabilities imported through mapping `name`.
    pub fn scanner_for(&self, name: &str) -> String {
        self.scanner
            .clone()
            .unwrap_or_else(|| format!("csv:{name}"))
    }
}

/// A mapping as saved in the workspace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedMapping {
    pub name: String,
    /// The header row it was saved for: column names, trimmed and lower-cased.
    pub header: Vec<String>,
    pub mapping: Mapping,
    pub created_at: String,
    pub updated_at: String,
}

pub fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// The delimiters a generic CSV may use.
pub const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// The header row of a CSV file's first line: (delimiter, normalised column names). The
/// delimiter is the one that splits the line into the most columns; None unless it gives two.
pub fn header_of(first_line: &str) -> Option<(u8, Vec<String>)> {
    DELIMITERS
        .iter()
        .filter_map(|&d| Some((d, split_header(first_line, d)?)))
        // On a tie the comma wins, then the semicolon.
        .max_by_key(|(d, names)| {
            (
                names.len(),
                DELIMITERS.len() - DELIMITERS.iter().position(|x| x == d).unwrap(),
            )
        })
        .filter(|(_, names)| names.len() >= 2)
}

/// `line` split on `delimiter` as CSV (quotes honoured), names normalised.
pub fn split_header(line: &str, delimiter: u8) -> Option<Vec<String>> {
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let line = line.lines().next().unwrap_or("");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut rec = csv::StringRecord::new();
    if !rdr.read_record(&mut rec).ok()? {
        return None;
    }
    Some(rec.iter().map(normalize).collect())
}

pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "'{name}' is not a mapping name: use letters, digits, '-', '_' and '.' (it is typed as --format csv:NAME)"
        )))
    }
}

/// Checks `mapping` against the header it is saved for; returns it normalised.
pub fn validate(mapping: &Mapping, header: &[String]) -> Result<Mapping> {
    let m = mapping.normalized();
    if m.id.is_empty() {
        return Err(Error::Invalid(
            "the mapping names no vulnerability id column (--id COL)".into(),
        ));
    }
    if [&m.hostname, &m.fqdn, &m.ip, &m.artifact, &m.cloud_id]
        .iter()
        .all(|c| c.is_none())
    {
        return Err(Error::Invalid(
            "the mapping names no asset column: give at least one of --host, --fqdn, --ip, --artifact, --cloud-id".into(),
        ));
    }
    let missing: Vec<String> = m
        .columns()
        .into_iter()
        .filter(|(_, col)| !header.iter().any(|h| h == col))
        .map(|(role, col)| format!("{role} column '{col}'"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Invalid(format!(
            "the header has no {} (its columns: {})",
            missing.join(", no "),
            header.join(", ")
        )));
    }
    if let Some(s) = &m.scanner {
        if s.chars().any(char::is_control) {
            return Err(Error::Invalid(format!(
                "scanner name {s:?} has control characters"
            )));
        }
    }
    Ok(m)
}
