//! Microsoft Defender for Endpoint software vulnerabilities, as the API returns them
//! (`{"@odata.context": ..., "value": [{"machineId", "cveId", "productName", ...}]}`).
//! See docs/formats/defender.md. Asset per machineId (cloud id; computerDnsName as FQDN when a
//! record carries it); finding per (machine, cveId, "productName@productVersion");
//! severity Critical/High/Medium/Low as is, anything else info.
//!
//! Also the .zip export (`machines/*.json` + `vulnerabilities/*.json`): the vulnerability
//! records as above, each asset enriched from its machine record (DNS name, last IP, OS).

use std::collections::HashMap;
use std::io::{BufRead, Read};

use serde::Deserialize;

use crate::cve::cves_in;
use crate::error::{Error, Result};
use crate::json_read::{has_key, object_head, read};
use crate::Severity;
use crate::{bad, Format, IdentifierKind, ParsedAsset, ParsedFinding};

pub struct Defender;

impl Format for Defender {
    fn name(&self) -> &'static str {
        "defender"
    }

    fn scanner(&self) -> &'static str {
        "defender"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        if head.starts_with(ZIP_MAGIC) {
            return zip_names_defender_entry(head);
        }
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
        let is_zip = input
            .fill_buf()
            .map_err(|e| bad(file, "byte 0", &format!("cannot read: {e}")))?
            .starts_with(ZIP_MAGIC);
        let (records, machines) = if is_zip {
            read_zip(file, input)?
        } else {
            let export: Export = read(file, input, "a Defender vulnerability export")?;
            (export.value, HashMap::new())
        };
        // Records come in any order; group them per machine, keeping the file's order.
        let mut assets: Vec<ParsedAsset> = Vec::new();
        let mut index = HashMap::new();
        for v in records {
            let machine = v.machine_id.trim().to_string();
            let i = *index.entry(machine.clone()).or_insert_with(|| {
                let mut asset = ParsedAsset {
                    label: machine.clone(),
                    identifiers: vec![(IdentifierKind::CloudId, machine.clone())],
                    ..Default::default()
                };
                if let Some(m) = machines.get(&machine) {
                    enrich(&mut asset, m);
                }
                assets.push(asset);
                assets.len() - 1
            });
            let asset = &mut assets[i];
            add_dns_name(asset, v.computer_dns_name.as_deref());
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

/// A machine record of the .zip export's machines/*.json (only the fields Truce keeps).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Machine {
    id: String,
    #[serde(default)]
    computer_dns_name: Option<String>,
    #[serde(default)]
    last_ip_address: Option<String>,
    #[serde(default)]
    os_platform: Option<String>,
    #[serde(default)]
    os_version: Option<String>,
}

#[derive(Deserialize)]
struct Machines {
    value: Vec<Machine>,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// Zip-bomb guard: the most entries and uncompressed bytes a .zip export may hold.
const MAX_ENTRIES: usize = 10_000;
const MAX_UNCOMPRESSED: u64 = 512 * 1024 * 1024;

/// Whether a local file header in `head` names an entry under machines/ or vulnerabilities/.
fn zip_names_defender_entry(head: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = crate::json_read::find(&head[from..], ZIP_MAGIC) {
        let at = from + i;
        if let Some(h) = head.get(at..at + 30) {
            let len = u16::from_le_bytes([h[26], h[27]]) as usize;
            if let Some(name) = head.get(at + 30..at + 30 + len) {
                if name.starts_with(b"vulnerabilities/") || name.starts_with(b"machines/") {
                    return true;
                }
            }
        }
        from = at + ZIP_MAGIC.len();
    }
    false
}

/// The vulnerability records of every vulnerabilities/*.json entry, in archive order, and
/// the machine records of every machines/*.json entry by id. Other entries are ignored.
fn read_zip(
    file: &str,
    input: &mut dyn BufRead,
) -> Result<(Vec<Record>, HashMap<String, Machine>)> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| bad(file, "byte 0", &format!("cannot read: {e}")))?;
    let not_zip = |e: zip::result::ZipError| {
        bad(
            file,
            "byte 0",
            &format!("not a readable .zip archive (truncated?): {e}"),
        )
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(not_zip)?;
    if archive.len() > MAX_ENTRIES {
        return Err(bad(
            file,
            "byte 0",
            &format!(
                "the archive holds {} entries, more than the {MAX_ENTRIES} Truce reads (zip bomb?)",
                archive.len()
            ),
        ));
    }
    let too_big = || {
        bad(
            file,
            "byte 0",
            &format!(
                "the archive unpacks to more than {} MB, more than Truce reads (zip bomb?)",
                MAX_UNCOMPRESSED / (1024 * 1024)
            ),
        )
    };
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(not_zip)?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > MAX_UNCOMPRESSED {
        return Err(too_big());
    }
    let mut records = Vec::new();
    let mut machines = HashMap::new();
    let mut vulnerability_entries = 0;
    let mut budget = MAX_UNCOMPRESSED;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(not_zip)?;
        let name = entry.name().to_string();
        let wanted = !entry.is_dir()
            && name.to_ascii_lowercase().ends_with(".json")
            && (name.starts_with("vulnerabilities/") || name.starts_with("machines/"));
        if !wanted {
            continue;
        }
        // Sizes in the archive can lie: also count what is actually unpacked.
        let mut data = Vec::new();
        (&mut entry)
            .take(budget + 1)
            .read_to_end(&mut data)
            .map_err(|e| {
                bad(
                    file,
                    &format!("entry {name}"),
                    &format!("corrupt entry: {e}"),
                )
            })?;
        if data.len() as u64 > budget {
            return Err(too_big());
        }
        budget -= data.len() as u64;
        let in_entry = |e: Error| match e {
            Error::BadInput {
                file,
                position,
                problem,
            } => Error::BadInput {
                file,
                position: format!("entry {name}: {position}"),
                problem,
            },
            e => e,
        };
        if name.starts_with("vulnerabilities/") {
            vulnerability_entries += 1;
            let export: Export =
                read(file, &mut &data[..], "a Defender vulnerability export").map_err(in_entry)?;
            records.extend(export.value);
        } else {
            let list: Machines =
                read(file, &mut &data[..], "a Defender machine list").map_err(in_entry)?;
            for m in list.value {
                machines.insert(m.id.trim().to_string(), m);
            }
        }
    }
    if vulnerability_entries == 0 {
        return Err(bad(
            file,
            "byte 0",
            "the archive holds no vulnerabilities/*.json entry: nothing to import",
        ));
    }
    Ok((records, machines))
}

/// computerDnsName as an identifier: a dotted name without spaces is an FQDN, anything
/// else (a bare host name, a device name like "Max's iPad Air (2nd generation)") a host name.
fn add_dns_name(asset: &mut ParsedAsset, name: Option<&str>) {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return;
    };
    let name = name.to_ascii_lowercase();
    if asset.identifiers.iter().any(|(_, x)| *x == name) {
        return;
    }
    let kind = if name.contains('.') && !name.contains(char::is_whitespace) {
        IdentifierKind::Fqdn
    } else {
        IdentifierKind::Hostname
    };
    asset.identifiers.push((kind, name));
}

/// What a machine record adds to the asset of its machineId: name, address, OS.
fn enrich(asset: &mut ParsedAsset, m: &Machine) {
    add_dns_name(asset, m.computer_dns_name.as_deref());
    if let Some(ip) = m
        .last_ip_address
        .as_deref()
        .map(str::trim)
        .filter(|ip| !ip.is_empty())
    {
        asset.identifiers.push((IdentifierKind::Ip, ip.to_string()));
    }
    let os = [m.os_platform.as_deref(), m.os_version.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !os.is_empty() {
        asset.os = Some(os);
    }
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
