//! OpenVEX documents (https://openvex.dev, `@context` https://openvex.dev/ns/...): a vendor's
//! statements that a product is or is not affected by a vulnerability. A VEX document
//! reports no findings of its own: its statements apply to the findings other scanners
//! reported, so it is sent as one asset with no identifiers, no findings and the statements.
//!
//! Kept: statements whose `status` is `not_affected` (the findings become false positives)
//! or `fixed` (the findings are closed as fixed). `affected` and `under_investigation` say
//! the finding stands as the scanner reported it: they are recorded nowhere for now.
//!
//! Each statement applies per vulnerability name and per alias (the same vulnerability under
//! other ids), and per product: the product's purl (or the purls of its `subcomponents`, the
//! packages inside it that the statement is about) gives the package name and version the
//! finding must be located at. A statement without products applies to every finding of
//! the vulnerability; a product that is neither a purl nor has purl subcomponents cannot be
//! matched to a package and is skipped.

use std::io::BufRead;

use serde::Deserialize;

use crate::error::Result;
use crate::{bad, json, json_read, Format, ParsedAsset, VerdictStatus, VexStatement};

pub struct OpenVex;

impl Format for OpenVex {
    fn name(&self) -> &'static str {
        "openvex"
    }

    fn scanner(&self) -> &'static str {
        "openvex"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let sk = json::skeleton(head, 1);
        sk.root == b'{'
            && sk
                .value("@context")
                .is_some_and(|c| c.to_ascii_lowercase().contains("openvex"))
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        // serde would read a list as a struct, field by field: say plainly what the root is.
        let head = input
            .fill_buf()
            .map_err(|e| bad(file, "byte 0", &format!("cannot read: {e}")))?;
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        if let Some(i) = head.iter().position(|b| !b.is_ascii_whitespace()) {
            if head[i] != b'{' {
                let line = 1 + head[..i].iter().filter(|b| **b == b'\n').count();
                let column = i - head[..i]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |n| n + 1)
                    + 1;
                return Err(bad(
                    file,
                    &format!("line {line}, column {column}"),
                    "not an OpenVEX document: the JSON root is not an object (with @context and statements)",
                ));
            }
        }
        let doc: Document = json_read::read(file, input, "an OpenVEX document")?;
        let name = doc.id.clone().unwrap_or_else(|| base_name(file));
        let doc_at = doc.timestamp.as_deref().and_then(json::utc);
        let mut statements = Vec::new();
        for s in &doc.statements {
            let (status, word) = match s.status {
                Status::NotAffected => (VerdictStatus::NotAffected, "not_affected"),
                Status::Fixed => (VerdictStatus::Fixed, "fixed"),
                Status::Affected | Status::UnderInvestigation => continue,
            };
            let mut why = format!("VEX {word}");
            if let Some(j) = s.justification.as_deref().filter(|j| !j.trim().is_empty()) {
                why.push_str(&format!(": {}", j.trim()));
            }
            if let Some(i) = s
                .impact_statement
                .as_deref()
                .filter(|i| !i.trim().is_empty())
            {
                why.push_str(&format!(" ({})", i.trim()));
            }
            let reason = format!(
                "{why} by {} in {name}",
                doc.author.as_deref().unwrap_or("?")
            );
            let at = s
                .timestamp
                .as_deref()
                .and_then(json::utc)
                .or(doc_at.clone());
            let vulns = s.vulnerability.ids();
            let products = match &s.products {
                None => vec![None],
                Some(list) if list.is_empty() => vec![None],
                Some(list) => list.iter().flat_map(Product::packages).map(Some).collect(),
            };
            for v in &vulns {
                for p in &products {
                    let st = VexStatement {
                        vulnerability: v.clone(),
                        product: p.clone(),
                        status,
                        reason: reason.clone(),
                        at: at.clone(),
                    };
                    if !statements.contains(&st) {
                        statements.push(st);
                    }
                }
            }
        }
        asset(ParsedAsset {
            label: name,
            scanned_at: doc_at,
            statements,
            ..Default::default()
        })
    }
}

fn base_name(file: &str) -> String {
    std::path::Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string())
}

#[derive(Deserialize)]
struct Document {
    #[serde(rename = "@context", deserialize_with = "openvex_context")]
    _context: (),
    #[serde(rename = "@id")]
    id: Option<String>,
    author: Option<String>,
    timestamp: Option<String>,
    #[serde(default)]
    statements: Vec<Statement>,
}

#[derive(Deserialize)]
struct Statement {
    vulnerability: Vulnerability,
    products: Option<Vec<Product>>,
    status: Status,
    justification: Option<String>,
    impact_statement: Option<String>,
    timestamp: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Status {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

/// `@context` must name openvex.dev (https://openvex.dev/ns/v0.2.0 ...).
fn openvex_context<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<(), D::Error> {
    let context = String::deserialize(d)?;
    if context.to_ascii_lowercase().contains("openvex") {
        Ok(())
    } else {
        Err(serde::de::Error::custom(format!(
            "@context '{context}' does not name openvex.dev"
        )))
    }
}

/// v0.2 writes an object (`name`, `aliases`), v0.0.x a bare id.
#[derive(Deserialize)]
#[serde(untagged)]
enum Vulnerability {
    Id(String),
    Object {
        name: Option<String>,
        #[serde(rename = "@id")]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

impl Vulnerability {
    /// The name and aliases, CVEs upper-cased.
    fn ids(&self) -> Vec<String> {
        let raw: Vec<&str> = match self {
            Vulnerability::Id(id) => vec![id],
            Vulnerability::Object { name, id, aliases } => name
                .as_deref()
                .or(id.as_deref())
                .into_iter()
                .chain(aliases.iter().map(String::as_str))
                .collect(),
        };
        let mut out = Vec::new();
        for id in raw {
            let id = id.trim();
            if !id.is_empty() {
                json::push_unique(&mut out, json::cve(id).unwrap_or_else(|| id.to_string()));
            }
        }
        out
    }
}

/// v0.2 writes `{"@id": purl, "identifiers": {"purl": ...}, "subcomponents": [...]}`, v0.0.x a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Product {
    Id(String),
    Object {
        #[serde(rename = "@id")]
        id: Option<String>,
        identifiers: Option<Identifiers>,
        #[serde(default)]
        subcomponents: Vec<Product>,
    },
}

#[derive(Deserialize)]
struct Identifiers {
    purl: Option<String>,
}

impl Product {
    fn own_purl(&self) -> Option<(String, Option<String>)> {
        match self {
            Product::Id(id) => purl(id),
            Product::Object {
                id, identifiers, ..
            } => identifiers
                .as_ref()
                .and_then(|i| i.purl.as_deref())
                .and_then(purl)
                .or_else(|| id.as_deref().and_then(purl)),
        }
    }

    /// The packages this product stands for: its subcomponents' when it has any, else its own.
    fn packages(&self) -> Vec<(String, Option<String>)> {
        if let Product::Object { subcomponents, .. } = self {
            let subs: Vec<_> = subcomponents.iter().filter_map(Product::own_purl).collect();
            if !subs.is_empty() {
                return subs;
            }
        }
        self.own_purl().into_iter().collect()
    }
}

/// The package name and version of a package URL
/// `pkg:type/namespace/name@version?qualifiers#subpath`: the name is the last path segment,
/// both percent-decoded. `None` when the text is not a purl.
pub(crate) fn purl(text: &str) -> Option<(String, Option<String>)> {
    let rest = text.trim().strip_prefix("pkg:")?;
    let rest = rest.split('#').next().unwrap_or("");
    let rest = rest.split('?').next().unwrap_or("");
    let rest = rest.trim_start_matches('/');
    let (path, version) = match rest.rsplit_once('@') {
        // An '@' inside the path (npm scopes are written %40) would be before the last '/'.
        Some((p, v)) if !v.contains('/') => (p, Some(v)),
        _ => (rest, None),
    };
    let (kind, path) = path.split_once('/')?;
    if kind.is_empty() {
        return None;
    }
    let name = decode(path.trim_end_matches('/').rsplit('/').next()?);
    if name.is_empty() {
        return None;
    }
    let version = version.map(decode).filter(|v| !v.is_empty());
    Some((name, version))
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, version: Option<&str>) -> Option<(String, Option<String>)> {
        Some((name.to_string(), version.map(str::to_string)))
    }

    #[test]
    fn purls_give_name_and_version() {
        assert_eq!(
            purl("pkg:apk/alpine/apk-tools@2.10.6-r0?arch=x86_64&distro=alpine-3.10.9"),
            p("apk-tools", Some("2.10.6-r0"))
        );
        assert_eq!(
            purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2"),
            p("log4j-core", Some("2.13.2"))
        );
        assert_eq!(
            purl("pkg:npm/%40angular/core@12.0.0#src/x"),
            p("core", Some("12.0.0"))
        );
        assert_eq!(
            purl("pkg:deb/debian/tar@1.30%2Bdfsg-6?arch=amd64"),
            p("tar", Some("1.30+dfsg-6"))
        );
        assert_eq!(
            purl("pkg:oci/ubuntu@sha256%3A6042?repository_url=x"),
            p("ubuntu", Some("sha256:6042"))
        );
        assert_eq!(purl("pkg:pypi/django"), p("django", None));
        assert_eq!(
            purl("pkg:golang/github.com/a/b@v1.2.3"),
            p("b", Some("v1.2.3"))
        );
        assert_eq!(purl("pkg:generic/na%20me@1%"), p("na me", Some("1%")));
        assert_eq!(purl("docker.io/library/alpine:3"), None);
        assert_eq!(purl("pkg:"), None);
        assert_eq!(purl("pkg:npm"), None);
    }
}
