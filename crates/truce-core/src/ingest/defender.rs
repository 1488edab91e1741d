//! Microsoft Defender for Endpoint software vulnerabilities, as the API returns them
//! (`{"@odata.context": ..., "value": [{"machineId", "cveId", "productName", ...}]}`).
//! See docs/formats/defender.md. Asset per machineId (cloud id; computerDnsName as FQDN when a
//! record carries it); finding per (machine, cveId, "productName@productVersion");
//! severity Critical/High/Medium/Low as is, anything else info.

use std::io::BufRead;

use serde::Deserialize;

use super::json_read::{cves_in, has_key, object_head, read};
use super::{Format, IdentifierKind, ParsedAsset, ParsedFinding};
use crate::error::Result;
use crate::model::Severity;

pub struct Defender;

impl Format for Defender {
    fn name(&self) -> &'static str {
        "defender"
    }

    fn scanner(&self) -> &'static str {
        "defender"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let Some(head) = object_head(head) else {
            return false;
        };
        // The OData envelope of the Defender API, or its vulnerability records.
        let text = String::from_utf8_lossy(head);
        has_key(head, "value")
            && (text.contains("securitycenter.windows.com")
                || text.contains("security.microsoft.com")
                || (has_key(head, "machineId") && has_key(head, "cveId")))
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let export: Export = read(file, input, "a Defender vulnerability export")?;
        // Records come in any order; group them per machine, keeping the file's order.
        let mut assets: Vec<ParsedAsset> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for v in export.value {
            let machine = v.machine_id.trim().to_string();
            let i = *index.entry(machine.clone()).or_insert_with(|| {
                assets.push(ParsedAsset {
                    label: machine.clone(),
                    identifiers: vec![(IdentifierKind::CloudId, machine.clone())],
                    ..Default::default()
                });
                assets.len() - 1
            });
            let asset = &mut assets[i];
            if let Some(dns) = v.computer_dns_name.as_deref().map(str::trim) {
                let dns = dns.to_ascii_lowercase();
                if !dns.is_empty() && !asset.identifiers.iter().any(|(_, x)| *x == dns) {
                    asset.identifiers.push((IdentifierKind::Fqdn, dns));
                }
            }
            asset.findings.push(finding(v));
        }
        for a in assets {
            on_asset(a)?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Export {
    value: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    cve_id: String,
    machine_id: String,
    #[serde(default, alias = "deviceName")]
    computer_dns_name: Option<String>,
    #[serde(default)]
    product_name: Option<String>,
    #[serde(default)]
    product_vendor: Option<String>,
    #[serde(default)]
    product_version: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    fixing_kb_id: Option<String>,
}

fn finding(v: Record) -> ParsedFinding {
    let cve = v.cve_id.trim().to_string();
    let severity = match v.severity.as_deref().map(str::trim) {
        Some("Critical") => Severity::Critical,
        Some("High") => Severity::High,
        Some("Medium") => Severity::Medium,
        Some("Low") => Severity::Low,
        _ => Severity::Info,
    };
    let product = v.product_name.as_deref().unwrap_or("").trim();
    let version = v.product_version.as_deref().unwrap_or("").trim();
    let location = match (product.is_empty(), version.is_empty()) {
        (true, _) => "-".to_string(),
        (false, true) => product.to_string(),
        (false, false) => format!("{product}@{version}"),
    };
    let mut cves = Vec::new();
    cves_in(&cve, &mut cves);
    let kb = v
        .fixing_kb_id
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let vendor = v.product_vendor.as_deref().map(str::trim).unwrap_or("");
    ParsedFinding {
        title: cve.clone(),
        scanner_id: cve,
        severity: Some(severity),
        scanner_score: v.severity.clone(),
        cves,
        solution: kb.map(|k| {
            let k = k.trim_start_matches("KB");
            format!("Install update KB{k}")
        }),
        evidence: (!vendor.is_empty() && !product.is_empty())
            .then(|| format!("{vendor} {product} {version}").trim().to_string()),
        location,
        ..Default::default()
    }
}
