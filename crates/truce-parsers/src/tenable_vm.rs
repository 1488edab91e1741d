//! Tenable Vulnerability Management's vulnerability export: the JSON array one chunk of
//! `GET /vulns/export/{uuid}/chunks/{id}` answers, or a file holding one. See
//! docs/formats/tenable-vm.md. Asset per `asset.uuid` (its names and addresses as keys, so the
//! same host from a .nessus file is the same asset); finding per (asset, `plugin.id`,
//! `port.port`/`port.protocol`), under scanner `nessus`: Tenable's plugins are Nessus's, and the
//! findings of both are one. `state` FIXED closes the finding (a verdict); OPEN and REOPENED keep
//! it open or open it again. An export holds only what changed in its window, so a finding it
//! does not mention is left as it is (`closes_missing` is false).

use std::io::BufRead;

use serde::Deserialize;

use crate::error::Result;
use crate::json_read::each;
use crate::{
    bad, Format, IdentifierKind, ParsedAsset, ParsedFinding, Severity, Verdict, VerdictStatus,
};

pub struct TenableVm;

impl Format for TenableVm {
    fn name(&self) -> &'static str {
        "tenable-vm"
    }

    fn scanner(&self) -> &'static str {
        "nessus"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        let start = text.trim_start();
        start.starts_with('[')
            && start[1..].trim_start().starts_with('{')
            && text.contains("\"asset\"")
            && text.contains("\"plugin\"")
            && (text.contains("\"state\"") || text.contains("\"severity\""))
    }

    fn closes_missing(&self) -> bool {
        false
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        // Streamed: a host goes to the writer as soon as the next one starts, so writing
        // overlaps reading. Tenable chunks by host; a host met again later is merged by the writer.
        let mut current: Option<(String, ParsedAsset)> = None;
        let mut n = 0usize;
        each(
            file,
            input,
            "a Tenable vulnerability export chunk",
            &mut |v: Vuln| {
                let key = v.asset.uuid.trim().to_string();
                if key.is_empty() {
                    return Err(bad(
                        file,
                        &format!("vulnerability {n}"),
                        "its asset has no uuid",
                    ));
                }
                if current.as_ref().is_some_and(|(k, _)| *k != key) {
                    if let Some((_, done)) = current.take() {
                        on_asset(done)?;
                    }
                }
                let (_, a) = current.get_or_insert_with(|| (key, asset(&v.asset)));
                // The latest sighting of the host stands for when it was scanned.
                if let Some(seen) = v.last_found.as_deref().and_then(crate::json::utc) {
                    if a.scanned_at.as_deref().is_none_or(|s| s < seen.as_str()) {
                        a.scanned_at = Some(seen);
                    }
                }
                a.findings.push(finding(file, n, v)?);
                n += 1;
                Ok(())
            },
        )?;
        if let Some((_, last)) = current {
            on_asset(last)?;
        }
        Ok(())
    }
}

/// One vulnerability of an export chunk (only the fields Truce keeps; Tenable leaves empty
/// attributes out, so nearly everything may be missing).
#[derive(Deserialize)]
struct Vuln {
    asset: Asset,
    plugin: Plugin,
    #[serde(default)]
    port: Option<Port>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    severity_id: Option<u8>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    last_found: Option<String>,
    #[serde(default)]
    last_fixed: Option<String>,
    #[serde(default)]
    output: Option<String>,
}

#[derive(Deserialize)]
struct Asset {
    uuid: String,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    fqdn: Option<String>,
    #[serde(default)]
    ipv4: Option<String>,
    #[serde(default)]
    ipv6: Option<String>,
    #[serde(default)]
    mac_address: Option<String>,
    #[serde(default)]
    netbios_name: Option<String>,
    #[serde(default)]
    operating_system: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Plugin {
    id: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    solution: Option<String>,
    #[serde(default)]
    synopsis: Option<String>,
    #[serde(default)]
    cve: Option<Vec<String>>,
    #[serde(default)]
    cvss_base_score: Option<f64>,
    #[serde(default)]
    cvss_vector: Option<Vector>,
    #[serde(default)]
    cvss3_base_score: Option<f64>,
    #[serde(default)]
    cvss3_vector: Option<Vector>,
    #[serde(default)]
    cvss4_base_score: Option<f64>,
    #[serde(default)]
    cvss4_vector: Option<Vector>,
    /// 0 to 100 (a percentage), unlike the 0 to 1 EPSS publishes.
    #[serde(default)]
    epss_score: Option<f64>,
    #[serde(default)]
    exploit_available: Option<bool>,
    #[serde(default)]
    risk_factor: Option<String>,
    #[serde(default)]
    vpr: Option<Vpr>,
}

#[derive(Deserialize)]
struct Vector {
    #[serde(default)]
    raw: Option<String>,
}

#[derive(Deserialize)]
struct Vpr {
    #[serde(default)]
    score: Option<f64>,
}

#[derive(Deserialize)]
struct Port {
    #[serde(default)]
    port: Option<u32>,
    #[serde(default)]
    protocol: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn asset(a: &Asset) -> ParsedAsset {
    let mut keys: Vec<(IdentifierKind, String)> = Vec::new();
    let mut push = |kind, value: &str| {
        let pair = (kind, value.to_string());
        if !keys.contains(&pair) {
            keys.push(pair);
        }
    };
    push(IdentifierKind::CloudId, a.uuid.trim());
    if let Some(fqdn) = some(&a.fqdn) {
        push(IdentifierKind::Fqdn, &fqdn.to_ascii_lowercase());
    }
    let host = some(&a.hostname).or_else(|| some(&a.fqdn).and_then(|f| f.split('.').next()));
    if let Some(h) = host {
        push(IdentifierKind::Hostname, &h.to_ascii_lowercase());
    }
    for ip in [some(&a.ipv4), some(&a.ipv6)].into_iter().flatten() {
        push(IdentifierKind::Ip, ip);
    }
    if let Some(n) = some(&a.netbios_name) {
        push(IdentifierKind::Netbios, n);
    }
    if let Some(m) = some(&a.mac_address) {
        push(
            IdentifierKind::Mac,
            &m.replace('-', ":").to_ascii_lowercase(),
        );
    }
    let label = some(&a.fqdn)
        .or(some(&a.hostname))
        .or(some(&a.ipv4))
        .unwrap_or(a.uuid.trim())
        .to_string();
    ParsedAsset {
        label,
        identifiers: keys,
        os: a
            .operating_system
            .as_ref()
            .and_then(|o| o.iter().map(|s| s.trim()).find(|s| !s.is_empty()))
            .map(String::from),
        ..Default::default()
    }
}

fn severity(v: &Vuln) -> Option<Severity> {
    match v
        .severity
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("critical") => Some(Severity::Critical),
        Some("high") => Some(Severity::High),
        Some("medium") => Some(Severity::Medium),
        Some("low") => Some(Severity::Low),
        Some("info") => Some(Severity::Info),
        _ => match v.severity_id {
            Some(4) => Some(Severity::Critical),
            Some(3) => Some(Severity::High),
            Some(2) => Some(Severity::Medium),
            Some(1) => Some(Severity::Low),
            Some(0) => Some(Severity::Info),
            _ => None,
        },
    }
}

fn finding(file: &str, n: usize, v: Vuln) -> Result<ParsedFinding> {
    let p = &v.plugin;
    let (port, protocol) = v.port.as_ref().map_or((0, "tcp".to_string()), |p| {
        (
            p.port.unwrap_or(0),
            p.protocol
                .as_deref()
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "tcp".into()),
        )
    });
    let score = |s: Option<f64>, vec: &Option<Vector>| {
        s.map(|s| (s, vec.as_ref().and_then(|v| some(&v.raw)).map(String::from)))
    };
    let verdict = match v.state.as_deref().map(str::to_ascii_uppercase).as_deref() {
        Some("FIXED") => Some(Verdict {
            status: VerdictStatus::Fixed,
            reason: match some(&v.last_fixed) {
                Some(at) => format!("Tenable: fixed (last fixed {at})"),
                None => "Tenable: fixed".into(),
            },
        }),
        Some("OPEN" | "REOPENED") | None => None,
        Some(other) => {
            return Err(bad(
                file,
                &format!("vulnerability {n}"),
                &format!("state '{other}' is none of OPEN, REOPENED, FIXED"),
            ))
        }
    };
    let severity = severity(&v);
    Ok(ParsedFinding {
        scanner_id: p.id.to_string(),
        title: some(&p.name)
            .map(String::from)
            .unwrap_or_else(|| format!("Plugin {}", p.id)),
        severity,
        scanner_score: p
            .vpr
            .as_ref()
            .and_then(|v| v.score)
            .map(|s| format!("VPR {s}"))
            .or_else(|| some(&p.risk_factor).map(String::from)),
        cvss2: score(p.cvss_base_score, &p.cvss_vector),
        cvss3: score(p.cvss3_base_score, &p.cvss3_vector),
        cvss4: score(p.cvss4_base_score, &p.cvss4_vector),
        epss: p
            .epss_score
            .filter(|s| (0.0..=100.0).contains(s))
            .map(|s| s / 100.0),
        known_exploited: false,
        exploit_available: p.exploit_available.unwrap_or(false),
        cves: p.cve.clone().unwrap_or_default(),
        description: some(&p.description).or(some(&p.synopsis)).map(String::from),
        solution: some(&p.solution).map(String::from),
        fixed_version: None,
        location: format!("{port}/{protocol}"),
        evidence: v.output,
        verdict,
    })
}
