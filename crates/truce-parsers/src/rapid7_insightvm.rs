//! A page of Rapid7 InsightVM's assets as the InsightVM source hands it over (API v3): whole
//! assets (`GET /api/3/assets`), each with all of its vulnerability findings
//! (`/api/3/assets/{id}/vulnerabilities`), and the definitions they name
//! (`/api/3/vulnerabilities/{id}`), in one document:
//! `{"insightvm": {"assets": [{"asset": {...}, "findings": [...]}], "vulnerabilities": {...}}}`.
//! See docs/formats/rapid7-insightvm.md.
//!
//! Identity as the XML export's (`nexpose`): one finding per (asset, vulnerability id, location),
//! at "port/protocol" or "0/tcp", scanner `nexpose`, so the same host and check from an export
//! file and from the API are one finding. Severity from the definition's 0-10 score, as the
//! export's. Each asset holds everything InsightVM reports on it: what it no longer reports on an
//! asset of the page is closed, as a rescan closes it.

use std::collections::HashMap;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::Value;

use crate::error::Result;
use crate::json::utc;
use crate::json_read::{has_key, object_head, read};
use crate::markup;
use crate::nexpose::from_level;
use crate::openvas::{name_identifiers, normalize_mac, push_id};
use crate::{bad, Format, IdentifierKind, ParsedAsset, ParsedFinding, Severity};

pub struct Rapid7InsightVm;

impl Format for Rapid7InsightVm {
    fn name(&self) -> &'static str {
        "rapid7-insightvm"
    }

    fn scanner(&self) -> &'static str {
        "nexpose"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        object_head(head).is_some_and(|h| has_key(h, "insightvm") && has_key(h, "assets"))
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let doc: Doc = read(file, input, "a page of InsightVM assets")?;
        let defs = &doc.insightvm.vulnerabilities;
        for (n, entry) in doc.insightvm.assets.into_iter().enumerate() {
            let place = format!("asset {n} (id {})", entry.asset.id);
            let mut asset = asset(&entry.asset);
            if asset.identifiers.len() == 1 {
                // Only InsightVM's own id: nothing another scanner could name it by.
                return Err(bad(
                    file,
                    &place,
                    "the asset has no address and no host name",
                ));
            }
            let mut seen: Vec<(String, String)> = Vec::new();
            for f in &entry.findings {
                if f.id.trim().is_empty() {
                    return Err(bad(file, &place, "a finding without its vulnerability id"));
                }
                for location in locations(f) {
                    let key = (f.id.clone(), location.clone());
                    if seen.contains(&key) {
                        continue;
                    }
                    seen.push(key);
                    asset.findings.push(finding(
                        f,
                        &location,
                        defs.get(&f.id).and_then(Option::as_ref),
                    ));
                }
            }
            on_asset(asset)?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Doc {
    insightvm: Body,
}

#[derive(Deserialize)]
struct Body {
    assets: Vec<Entry>,
    /// By vulnerability id; null for one the console no longer defines.
    #[serde(default)]
    vulnerabilities: HashMap<String, Option<Definition>>,
}

#[derive(Deserialize)]
struct Entry {
    asset: Asset,
    #[serde(default)]
    findings: Vec<Finding>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Asset {
    id: i64,
    #[serde(default)]
    ip: Option<String>,
    #[serde(default)]
    host_name: Option<String>,
    #[serde(default)]
    host_names: Vec<HostName>,
    #[serde(default)]
    mac: Option<String>,
    #[serde(default)]
    addresses: Vec<Address>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    history: Vec<History>,
}

#[derive(Deserialize)]
struct HostName {
    name: String,
}

#[derive(Deserialize)]
struct Address {
    #[serde(default)]
    ip: Option<String>,
    #[serde(default)]
    mac: Option<String>,
}

#[derive(Deserialize)]
struct History {
    #[serde(default)]
    date: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Finding {
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    results: Vec<Assessment>,
}

#[derive(Deserialize)]
struct Assessment {
    #[serde(default)]
    port: Option<i64>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    proof: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Definition {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    severity_score: Option<f64>,
    #[serde(default)]
    cvss: Option<Cvss>,
    #[serde(default)]
    cves: Vec<String>,
    #[serde(default)]
    description: Option<Description>,
    /// A count (some consoles write it as a string).
    #[serde(default)]
    exploits: Option<Value>,
}

#[derive(Deserialize)]
struct Cvss {
    #[serde(default)]
    v2: Option<Score>,
    #[serde(default)]
    v3: Option<Score>,
}

#[derive(Deserialize)]
struct Score {
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    vector: Option<String>,
}

#[derive(Deserialize)]
struct Description {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    html: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn asset(a: &Asset) -> ParsedAsset {
    let mut ids: Vec<(IdentifierKind, String)> = Vec::new();
    // InsightVM's own id, kept apart from other consoles' and clouds' ids.
    push_id(
        &mut ids,
        IdentifierKind::CloudId,
        &format!("insightvm:{}", a.id),
    );
    let mut names: Vec<&str> = a.host_names.iter().map(|h| h.name.as_str()).collect();
    if let Some(h) = some(&a.host_name) {
        names.insert(0, h);
    }
    for name in names {
        name_identifiers(name, &mut |kind, v| push_id(&mut ids, kind, v));
    }
    let addresses = a
        .addresses
        .iter()
        .filter_map(|x| some(&x.ip))
        .chain(some(&a.ip));
    for ip in addresses {
        push_id(&mut ids, IdentifierKind::Ip, ip);
    }
    let macs = a
        .addresses
        .iter()
        .filter_map(|x| some(&x.mac))
        .chain(some(&a.mac));
    for mac in macs {
        if let Some(m) = normalize_mac(mac) {
            push_id(&mut ids, IdentifierKind::Mac, &m);
        }
    }
    let label = some(&a.host_name)
        .or(some(&a.ip))
        .map(String::from)
        .unwrap_or_else(|| format!("InsightVM asset {}", a.id));
    // When InsightVM last assessed it: its latest scan (or import) in the history.
    let scanned_at = a
        .history
        .iter()
        .filter(|h| {
            h.kind
                .as_deref()
                .is_none_or(|k| !k.starts_with("VULNERABILITY_EXCEPTION"))
        })
        .filter_map(|h| h.date.as_deref().and_then(utc))
        .max();
    ParsedAsset {
        label,
        identifiers: ids,
        os: some(&a.os).map(String::from),
        scanned_at,
        ..Default::default()
    }
}

/// Where a finding is: each vulnerable result's port and protocol ("0/tcp" without a port). A
/// result under an exception is still there (an exception is an accepted risk, not a fix);
/// "not-vulnerable" and "unknown" results are not findings.
fn locations(f: &Finding) -> Vec<String> {
    if f.status.as_deref() == Some("no-results") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for r in &f.results {
        let vulnerable = r
            .status
            .as_deref()
            .is_some_and(|s| s.starts_with("vulnerable"));
        if !vulnerable {
            continue;
        }
        let at = match r.port.filter(|p| (1..=65535).contains(p)) {
            Some(p) => format!(
                "{p}/{}",
                some(&r.protocol).map_or("tcp".to_string(), |s| s.to_ascii_lowercase())
            ),
            None => "0/tcp".to_string(),
        };
        out.push(at);
    }
    if out.is_empty() && f.results.is_empty() && f.status.as_deref() != Some("invulnerable") {
        out.push("0/tcp".to_string());
    }
    out
}

fn severity(d: &Definition) -> Option<Severity> {
    if let Some(s) = d.severity_score.filter(|s| (0.0..=10.0).contains(s)) {
        return Some(from_level(s));
    }
    match some(&d.severity)?.to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "severe" => Some(Severity::High),
        "moderate" => Some(Severity::Medium),
        _ => None,
    }
}

fn finding(f: &Finding, location: &str, d: Option<&Definition>) -> ParsedFinding {
    let proof = f
        .results
        .iter()
        .find(|r| {
            let at = match r.port {
                Some(p) => format!("{p}/"),
                None => "0/".into(),
            };
            location.starts_with(&at)
        })
        .and_then(|r| some(&r.proof))
        .map(markup::to_text);
    let score = |s: &Option<Score>| {
        s.as_ref().and_then(|s| {
            s.score
                .filter(|v| (0.0..=10.0).contains(v))
                .map(|v| (v, some(&s.vector).map(String::from)))
        })
    };
    let mut out = ParsedFinding {
        scanner_id: f.id.trim().to_string(),
        title: f.id.trim().to_string(),
        location: location.to_string(),
        evidence: proof,
        ..Default::default()
    };
    if let Some(d) = d {
        if let Some(t) = some(&d.title) {
            out.title = t.to_string();
        }
        out.severity = severity(d);
        out.scanner_score = d.severity_score.map(|s| s.to_string());
        out.cvss2 = d.cvss.as_ref().and_then(|c| score(&c.v2));
        out.cvss3 = d.cvss.as_ref().and_then(|c| score(&c.v3));
        out.cves = d
            .cves
            .iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| c.starts_with("CVE-"))
            .collect();
        out.description = d.description.as_ref().and_then(|x| {
            some(&x.text)
                .map(String::from)
                .or_else(|| some(&x.html).map(markup::to_text))
        });
        out.exploit_available = match &d.exploits {
            Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n > 0.0),
            Some(Value::String(s)) => s.trim().parse::<f64>().is_ok_and(|n| n > 0.0),
            _ => false,
        };
    }
    out
}
