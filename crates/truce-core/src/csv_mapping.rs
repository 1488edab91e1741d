//! Column mappings for generic CSV exports: the user says once which column of a CSV is the
//! vulnerability id, which names the host and so on; the mapping is saved in the workspace
//! with the header row it was made for, and files with that header then import with no flags
//! (see `ingest::generic_csv` and docs/formats/csv.md).

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Severity;
use crate::workspace::Workspace;

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

fn check_name(name: &str) -> Result<()> {
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

/// Saves (or replaces) mapping `name` for the CSV header `header_line` (a file's first line).
/// Recorded in the change log as entity 'csv_mapping'.
pub fn save(
    ws: &mut Workspace,
    name: &str,
    mapping: &Mapping,
    header_line: &str,
) -> Result<SavedMapping> {
    check_name(name)?;
    let (_, header) = header_of(header_line).ok_or_else(|| {
        Error::Invalid("the first line is not a CSV header row (one column or none)".into())
    })?;
    let m = validate(mapping, &header)?;
    let header_json = serde_json::to_string(&header).expect("header serializes");
    let mapping_json = serde_json::to_string(&m).expect("mapping serializes");
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    let old: Option<(String, String, String)> = tx
        .query_row(
            "SELECT header, mapping, created_at FROM csv_mappings WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let created_at = old.as_ref().map_or(at.clone(), |(_, _, c)| c.clone());
    tx.execute(
        "INSERT INTO csv_mappings (name, header, mapping, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (name) DO UPDATE SET header = excluded.header, mapping = excluded.mapping,
            updated_at = excluded.updated_at",
        params![name, header_json, mapping_json, created_at, at],
    )?;
    tx.commit()?;
    Ok(SavedMapping {
        name: name.to_string(),
        header,
        mapping: m,
        created_at,
        updated_at: at,
    })
}

/// Every saved mapping, the most recently saved first (the one detection prefers).
pub fn list(conn: &Connection) -> Result<Vec<SavedMapping>> {
    let mut stmt = conn.prepare(
        "SELECT name, header, mapping, created_at, updated_at FROM csv_mappings ORDER BY updated_at DESC, name",
    )?;
    let rows = stmt.query_map([], row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

/// Mapping `name`, if saved.
pub fn get(conn: &Connection, name: &str) -> Result<Option<SavedMapping>> {
    conn.query_row(
        "SELECT name, header, mapping, created_at, updated_at FROM csv_mappings WHERE name = ?1",
        [name],
        row,
    )
    .optional()?
    .transpose()
}

type Row = (String, String, String, String, String);

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<SavedMapping>> {
    let (name, header, mapping, created_at, updated_at): Row =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    let damaged = |e: serde_json::Error| {
        Error::Invalid(format!("saved column mapping '{name}' is damaged: {e}"))
    };
    Ok((|| {
        Ok(SavedMapping {
            header: serde_json::from_str(&header).map_err(damaged)?,
            mapping: serde_json::from_str(&mapping).map_err(damaged)?,
            name: name.clone(),
            created_at,
            updated_at,
        })
    })())
}

/// Deletes mapping `name`; recorded in the change log. Files it read stay imported.
pub fn delete(ws: &mut Workspace, name: &str) -> Result<()> {
    let tx = ws.write_tx()?;
    let old: Option<(String, String)> = tx
        .query_row(
            "SELECT header, mapping FROM csv_mappings WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some(_) = old else {
        let names: Vec<String> = tx
            .prepare("SELECT name FROM csv_mappings ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        return Err(no_such(name, &names));
    };
    tx.execute("DELETE FROM csv_mappings WHERE name = ?1", [name])?;
    tx.commit()?;
    Ok(())
}

pub(crate) fn no_such(name: &str, saved: &[String]) -> Error {
    if saved.is_empty() {
        Error::Invalid(format!(
            "no column mapping named '{name}' (none saved; save one with `truce mapping save`)"
        ))
    } else {
        Error::Invalid(format!(
            "no column mapping named '{name}' (saved: {})",
            saved.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_delimiter_is_the_one_giving_most_columns() {
        let (d, h) = header_of("\u{feff}IP, Host Name ,\"Port, TCP\"\r\n").unwrap();
        assert_eq!(
            (d, h),
            (
                b',',
                vec!["ip".into(), "host name".into(), "port, tcp".into()]
            )
        );
        let (d, h) = header_of("id;host;sev").unwrap();
        assert_eq!((d, h.len()), (b';', 3));
        let (d, _) = header_of("a\tb\tc,d").unwrap();
        assert_eq!(d, b'\t');
        assert_eq!(header_of("just one column"), None);
    }

    #[test]
    fn names_are_simple_words() {
        assert!(check_name("openvas-25").is_ok());
        assert!(check_name("my.tool_2").is_ok());
        for bad in ["", "-x", "a b", "a:b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
