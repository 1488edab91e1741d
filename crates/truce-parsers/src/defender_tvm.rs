//! A page of Microsoft Defender Vulnerability Management's software vulnerabilities export, as
//! its API answers it: the full export (`/api/machines/SoftwareVulnerabilitiesByMachine`) or the
//! delta (`/api/machines/SoftwareVulnerabilityChangesByMachine`, each record with a `status`):
//! `{"@odata.context", "value": [{"deviceId", "deviceName", "cveId", "softwareName", ...}],
//! "@odata.nextLink"}`. See docs/formats/defender-tvm.md.
//!
//! Keyed as the `defender` format keys the machinesVulnerabilities export: the asset by its
//! device id (Defender's machine id), the finding by CVE and "software@version", scanner
//! `defender`. A delta's `Fixed` closes; `New` and `Updated` keep the finding open or open it
//! again. A page is never the whole of anything: nothing is closed for being absent.

use std::io::BufRead;

use serde::Deserialize;

use crate::cve::cves_in;
use crate::error::Result;
use crate::json::utc;
use crate::json_read::{has_key, object_head, read};
use crate::{
    bad, Format, IdentifierKind, ParsedAsset, ParsedFinding, Severity, Verdict, VerdictStatus,
};

pub struct DefenderTvm;

impl Format for DefenderTvm {
    fn name(&self) -> &'static str {
        "defender-tvm"
    }

    fn scanner(&self) -> &'static str {
        "defender"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        object_head(head).is_some_and(|h| {
            has_key(h, "value")
                && has_key(h, "deviceId")
                && (has_key(h, "softwareName") || has_key(h, "cveId"))
        })
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
        let page: Page = read(file, input, "a page of Defender's software vulnerabilities")?;
        for (n, r) in page.value.into_iter().enumerate() {
            let device = r.device_id.trim().to_string();
            if device.is_empty() {
                return Err(bad(
                    file,
                    &format!("record {n}"),
                    "a record without its deviceId",
                ));
            }
            let cve = r.cve_id.as_deref().map(str::trim).unwrap_or("").to_string();
            if cve.is_empty() {
                return Err(bad(
                    file,
                    &format!("record {n}"),
                    "a record without its cveId",
                ));
            }
            let verdict = match r.status.as_deref().map(str::trim) {
                Some("Fixed") => Some(Verdict {
                    status: VerdictStatus::Fixed,
                    reason: match r.event_timestamp.as_deref() {
                        Some(at) => format!("Defender: fixed ({at})"),
                        None => "Defender: fixed".into(),
                    },
                }),
                None | Some("New" | "Updated" | "") => None,
                Some(other) => {
                    return Err(bad(
                        file,
                        &format!("record {n}"),
                        &format!("status '{other}' is none of New, Updated, Fixed"),
                    ))
                }
            };
            let mut identifiers = vec![(IdentifierKind::CloudId, device.clone())];
            if let Some(name) = r
                .device_name
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                let name = name.to_ascii_lowercase();
                let kind = if name.contains('.') && !name.contains(char::is_whitespace) {
                    IdentifierKind::Fqdn
                } else {
                    IdentifierKind::Hostname
                };
                identifiers.push((kind, name));
            }
            let os = [r.os_platform.as_deref(), r.os_version.as_deref()]
                .into_iter()
                .flatten()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let seen = r
                .event_timestamp
                .as_deref()
                .or(r.last_seen_timestamp.as_deref())
                .and_then(when);
            let label = r
                .device_name
                .clone()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| device.clone());
            on_asset(ParsedAsset {
                label,
                identifiers,
                os: (!os.is_empty()).then_some(os),
                scanned_at: seen,
                findings: vec![finding(&r, cve, verdict)],
                ..Default::default()
            })?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Page {
    value: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    device_id: String,
    #[serde(default)]
    device_name: Option<String>,
    #[serde(default)]
    os_platform: Option<String>,
    #[serde(default)]
    os_version: Option<String>,
    #[serde(default)]
    software_name: Option<String>,
    #[serde(default)]
    software_version: Option<String>,
    #[serde(default)]
    cve_id: Option<String>,
    #[serde(default)]
    vulnerability_severity_level: Option<String>,
    #[serde(default)]
    recommended_security_update: Option<String>,
    #[serde(default)]
    recommended_security_update_id: Option<String>,
    #[serde(default)]
    last_seen_timestamp: Option<String>,
    #[serde(default)]
    exploitability_level: Option<String>,
    /// A number, or a number as text (Defender's pages disagree).
    #[serde(default)]
    cvss_score: Option<serde_json::Value>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    event_timestamp: Option<String>,
}

/// A time as Defender writes it: RFC 3339, or "2020-12-30 14:17:26" (UTC, no zone written).
fn when(text: &str) -> Option<String> {
    utc(text).or_else(|| {
        chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f")
            .ok()
            .map(|t| crate::utc_text(t.and_utc()))
    })
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn finding(r: &Record, cve: String, verdict: Option<Verdict>) -> ParsedFinding {
    let severity = match some(&r.vulnerability_severity_level) {
        Some("Critical") => Severity::Critical,
        Some("High") => Severity::High,
        Some("Medium") => Severity::Medium,
        Some("Low") => Severity::Low,
        _ => Severity::Info,
    };
    let location = match (some(&r.software_name), some(&r.software_version)) {
        (None, _) => "-".to_string(),
        (Some(p), None) => p.to_string(),
        (Some(p), Some(v)) => format!("{p}@{v}"),
    };
    let mut cves = Vec::new();
    cves_in(&cve, &mut cves);
    let solution = match (
        some(&r.recommended_security_update),
        some(&r.recommended_security_update_id),
    ) {
        (Some(u), Some(id)) => Some(format!("{u} ({id})")),
        (Some(u), None) => Some(u.to_string()),
        (None, Some(id)) => Some(format!("Install {id}")),
        (None, None) => None,
    };
    // Titled by the CVE, as the machinesVulnerabilities export titles it: one vulnerability row
    // whichever of the two brought it.
    ParsedFinding {
        title: cve.clone(),
        scanner_id: cve,
        severity: Some(severity),
        scanner_score: some(&r.vulnerability_severity_level).map(String::from),
        cvss3: match &r.cvss_score {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(t)) => t.trim().parse().ok(),
            _ => None,
        }
        .filter(|s| (0.0..=10.0).contains(s))
        .map(|s| (s, None)),
        cves,
        solution,
        exploit_available: some(&r.exploitability_level).is_some_and(|l| l != "NoExploit"),
        location,
        verdict,
        ..Default::default()
    }
}
