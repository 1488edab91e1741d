//! A page of DefectDojo's findings as its API v2 answers `GET /api/v2/findings/` (`{"count",
//! "next", "previous", "results": [...], "prefetch": {"endpoints": {...}}}`), the shape the
//! DefectDojo source reads and a file saved from the API holds. See docs/formats/defectdojo.md.
//!
//! One finding per DefectDojo finding and endpoint: its scanner id is DefectDojo's id (DefectDojo
//! has already merged what its scanners found), its asset the endpoint's host, or the product
//! when the finding has no endpoint (code and dependency findings). DefectDojo says what became
//! of each finding: a false positive or out of scope is "not affected", a mitigated or closed one
//! is fixed, a risk-accepted one stays open (Truce's exceptions are where a risk is accepted).
//! An endpoint's own status (DefectDojo 3's locations) counts before the finding's.

use std::collections::HashMap;
use std::io::BufRead;

use serde::Deserialize;

use crate::error::Result;
use crate::json::utc;
use crate::json_read::{has_key, object_head, read};
use crate::{Format, IdentifierKind, ParsedAsset, ParsedFinding, Severity, Verdict, VerdictStatus};

pub struct DefectDojo;

impl Format for DefectDojo {
    fn name(&self) -> &'static str {
        "defectdojo"
    }

    fn scanner(&self) -> &'static str {
        "defectdojo"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let Some(head) = object_head(head) else {
            return false;
        };
        has_key(head, "results")
            && has_key(head, "count")
            && (has_key(head, "vulnerability_ids")
                || has_key(head, "display_status")
                || has_key(head, "last_status_update"))
    }

    fn closes_missing(&self) -> bool {
        // Each finding carries its own status; a page is never the whole of anything.
        false
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let page: Page = read(file, input, "a page of DefectDojo findings")?;
        for f in &page.results {
            for (mut asset, status, location) in places(f, &page.prefetch.endpoints) {
                asset.scanned_at = f.last_status_update.as_deref().and_then(utc);
                asset.findings.push(ParsedFinding {
                    location,
                    ..finding(f, status.as_deref())
                });
                on_asset(asset)?;
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Page {
    results: Vec<Finding>,
    #[serde(default)]
    prefetch: Prefetch,
}

#[derive(Deserialize, Default)]
struct Prefetch {
    #[serde(default)]
    endpoints: HashMap<String, Endpoint>,
}

/// An endpoint as prefetched: DefectDojo 2's (host, port, path split) or DefectDojo 3's location
/// reference (a URL in `location_value`, and the finding's status there).
#[derive(Deserialize, Default)]
struct Endpoint {
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    port: Option<u32>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    location_value: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct VulnerabilityId {
    vulnerability_id: String,
}

#[derive(Deserialize)]
struct Finding {
    id: u64,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    mitigation: Option<String>,
    #[serde(default)]
    vulnerability_ids: Vec<VulnerabilityId>,
    #[serde(default)]
    cvssv3: Option<String>,
    #[serde(default)]
    cvssv3_score: Option<f64>,
    #[serde(default)]
    cvssv4: Option<String>,
    #[serde(default)]
    cvssv4_score: Option<f64>,
    #[serde(default)]
    epss_score: Option<f64>,
    #[serde(default)]
    known_exploited: Option<bool>,
    #[serde(default = "yes")]
    active: bool,
    #[serde(default)]
    is_mitigated: bool,
    #[serde(default)]
    false_p: bool,
    #[serde(default)]
    out_of_scope: bool,
    #[serde(default)]
    risk_accepted: bool,
    #[serde(default)]
    mitigated: Option<String>,
    #[serde(default)]
    last_status_update: Option<String>,
    #[serde(default)]
    component_name: Option<String>,
    #[serde(default)]
    component_version: Option<String>,
    #[serde(default)]
    file_path: Option<String>,
    #[serde(default)]
    line: Option<i64>,
    #[serde(default)]
    fix_version: Option<String>,
    #[serde(default)]
    endpoints: Vec<u64>,
    #[serde(default)]
    test: Option<u64>,
    #[serde(default)]
    related_fields: Option<Related>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct Related {
    #[serde(default)]
    test: Option<Test>,
}

#[derive(Deserialize)]
struct Test {
    #[serde(default)]
    engagement: Option<Engagement>,
}

#[derive(Deserialize)]
struct Engagement {
    #[serde(default)]
    product: Option<Product>,
}

#[derive(Deserialize)]
struct Product {
    #[serde(default)]
    name: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The host, port and path of a DefectDojo 3 location URL ("https://app.example.com:8443/login",
/// or a bare host).
fn split_url(url: &str) -> (String, Option<u32>, Option<String>) {
    let rest = url.trim();
    let rest = rest.split_once("://").map_or(rest, |(_, r)| r);
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], Some(rest[i..].to_string())),
        None => (rest, None),
    };
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => (v6, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, Some(p)),
            _ => (authority, None),
        }
    };
    (
        host.to_string(),
        port.and_then(|p| p.parse().ok()),
        path.filter(|p| p != "/"),
    )
}

/// Where the finding is: the scanned thing each of its endpoints names, with the finding's status
/// and location there, or its product when it has none.
fn places(
    f: &Finding,
    known: &HashMap<String, Endpoint>,
) -> Vec<(ParsedAsset, Option<String>, String)> {
    let mut out = Vec::new();
    for id in &f.endpoints {
        let Some(e) = known.get(&id.to_string()) else {
            continue;
        };
        let (host, port, path) = match (some(&e.host), some(&e.location_value)) {
            (Some(h), _) => (h.to_string(), e.port, some(&e.path).map(String::from)),
            (None, Some(url)) => split_url(url),
            (None, None) => continue,
        };
        if host.is_empty() {
            continue;
        }
        let mut a = host_asset(&host);
        let port = port.or(match some(&e.protocol) {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        let location = match (port, path) {
            (Some(p), Some(path)) => format!("{p}/tcp {path}"),
            (Some(p), None) => format!("{p}/tcp"),
            (None, Some(path)) => format!("0/tcp {path}"),
            (None, None) => "0/tcp".to_string(),
        };
        a.label = host;
        out.push((a, e.status.clone(), location));
    }
    if out.is_empty() {
        let product = f
            .related_fields
            .as_ref()
            .and_then(|r| r.test.as_ref())
            .and_then(|t| t.engagement.as_ref())
            .and_then(|e| e.product.as_ref())
            .and_then(|p| some(&p.name))
            .map(String::from);
        let label = product.clone().unwrap_or_else(|| match f.test {
            Some(t) => format!("DefectDojo test {t}"),
            None => format!("DefectDojo finding {}", f.id),
        });
        let location = match (some(&f.file_path), f.line, some(&f.component_name)) {
            (Some(p), Some(l), _) if l > 0 => format!("{p}:{l}"),
            (Some(p), _, _) => p.to_string(),
            (None, _, Some(c)) => match some(&f.component_version) {
                Some(v) => format!("{c}@{v}"),
                None => c.to_string(),
            },
            _ => "-".to_string(),
        };
        let asset = ParsedAsset {
            identifiers: vec![(IdentifierKind::Artifact, format!("defectdojo:{label}"))],
            label,
            ..Default::default()
        };
        out.push((asset, None, location));
    }
    out
}

fn host_asset(host: &str) -> ParsedAsset {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let mut identifiers = Vec::new();
    if host.parse::<std::net::IpAddr>().is_ok() {
        identifiers.push((IdentifierKind::Ip, host.clone()));
    } else if let Some((short, _)) = host.split_once('.') {
        identifiers.push((IdentifierKind::Fqdn, host.clone()));
        identifiers.push((IdentifierKind::Hostname, short.to_string()));
    } else {
        identifiers.push((IdentifierKind::Hostname, host.clone()));
    }
    ParsedAsset {
        label: host,
        identifiers,
        ..Default::default()
    }
}

fn severity(s: Option<&str>) -> Option<Severity> {
    match s?.trim().to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "high" => Some(Severity::High),
        "medium" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        "info" | "informational" => Some(Severity::Info),
        _ => None,
    }
}

/// What DefectDojo says became of the finding (at one endpoint, when `at_endpoint` is given).
fn verdict(f: &Finding, at_endpoint: Option<&str>) -> Option<Verdict> {
    let said = |status, reason: String| {
        Some(Verdict {
            status,
            reason: format!("DefectDojo: {reason}"),
        })
    };
    match at_endpoint.map(str::trim) {
        Some("Mitigated") => {
            return said(VerdictStatus::Fixed, "mitigated at this endpoint".into())
        }
        Some("FalsePositive") => {
            return said(
                VerdictStatus::NotAffected,
                "false positive at this endpoint".into(),
            )
        }
        Some("OutOfScope") => {
            return said(
                VerdictStatus::NotAffected,
                "out of scope at this endpoint".into(),
            )
        }
        _ => {}
    }
    if f.false_p {
        said(VerdictStatus::NotAffected, "false positive".into())
    } else if f.out_of_scope {
        said(VerdictStatus::NotAffected, "out of scope".into())
    } else if f.is_mitigated || some(&f.mitigated).is_some() {
        said(
            VerdictStatus::Fixed,
            match some(&f.mitigated) {
                Some(at) => format!("mitigated {at}"),
                None => "mitigated".into(),
            },
        )
    } else if !f.active && !f.risk_accepted {
        said(VerdictStatus::Fixed, "closed (inactive)".into())
    } else {
        None
    }
}

fn finding(f: &Finding, at_endpoint: Option<&str>) -> ParsedFinding {
    let score = |s: Option<f64>, v: &Option<String>| {
        s.filter(|s| (0.0..=10.0).contains(s))
            .map(|s| (s, some(v).map(String::from)))
    };
    ParsedFinding {
        scanner_id: f.id.to_string(),
        title: some(&f.title)
            .map(String::from)
            .unwrap_or_else(|| format!("DefectDojo finding {}", f.id)),
        severity: severity(f.severity.as_deref()),
        scanner_score: some(&f.severity).map(String::from),
        cvss2: None,
        cvss3: score(f.cvssv3_score, &f.cvssv3),
        cvss4: score(f.cvssv4_score, &f.cvssv4),
        epss: f.epss_score.filter(|s| (0.0..=1.0).contains(s)),
        known_exploited: f.known_exploited.unwrap_or(false),
        exploit_available: false,
        cves: f
            .vulnerability_ids
            .iter()
            .map(|v| v.vulnerability_id.trim().to_ascii_uppercase())
            .filter(|v| v.starts_with("CVE-"))
            .collect(),
        description: some(&f.description).map(String::from),
        solution: some(&f.mitigation).map(String::from),
        fixed_version: some(&f.fix_version).map(String::from),
        location: String::new(),
        evidence: None,
        verdict: verdict(f, at_endpoint),
    }
}
