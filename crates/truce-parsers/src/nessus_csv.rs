//! Nessus and Tenable CSV exports: Nessus Professional ("Plugin ID, CVE, CVSS, Risk, Host,
//! Protocol, Port, Name ..."), Tenable.sc ("Plugin, Plugin Name, Severity, IP Address, DNS
//! Name, NetBIOS Name ...") and Tenable Vulnerability Management ("definition.id;
//! asset.name; port; protocol; severity ..."). Columns are found by name, case-insensitively.
//!
//! Identity is the .nessus one, so a CSV export and a .nessus of the same scan are the same
//! findings: scanner "nessus", the plugin id, location "{port}/{protocol}", and host
//! identifiers built as from ReportHost@name and HostProperties (see `nessus.rs`).
//! Nessus Professional writes one row per (host, plugin, port, CVE): rows that differ only
//! by CVE are one finding carrying every CVE.
//!
//! Severity comes from "Risk", else "Severity", else "definition.severity": None/Info,
//! Low, Medium, High, Critical, or the numbers 0-4 (the .nessus scale).

use std::collections::HashMap;
use std::io::BufRead;

use crate::csvread::{cell, header_fields, parse_time, Header, Rows};
use crate::error::Result;
use crate::nessus::{classify_name, severity_from_level};
use crate::utc_text;
use crate::Severity;
use crate::{bad, Format, IdentifierKind, ParsedAsset, ParsedFinding};

pub struct NessusCsv;

const PLUGIN_ID: &[&str] = &["plugin id", "plugin", "definition.id"];
const SEVERITY: &[&str] = &["risk", "severity", "definition.severity"];
const HOST: &[&str] = &["host", "asset.name"];
const IP: &[&str] = &["ip address", "asset.display_ipv4_address"];
const FQDN: &[&str] = &["dns name", "fqdn", "asset.display_fqdn"];
const NETBIOS: &[&str] = &["netbios name", "netbios", "asset.netbios_name"];
const MAC: &[&str] = &["mac address", "asset.display_mac_address"];
const PORT: &[&str] = &["port"];
const PROTOCOL: &[&str] = &["protocol"];

/// The columns of one export, by meaning.
struct Columns {
    plugin: usize,
    severity: Vec<usize>,
    host: Option<usize>,
    ip: Option<usize>,
    fqdn: Option<usize>,
    netbios: Option<usize>,
    mac: Option<usize>,
    port: usize,
    protocol: usize,
    os: Option<usize>,
    title: Option<usize>,
    cve: Option<usize>,
    cvss2: Option<usize>,
    cvss2_vector: Option<usize>,
    cvss3: Option<usize>,
    cvss3_vector: Option<usize>,
    cvss4: Option<usize>,
    cvss4_vector: Option<usize>,
    epss: Option<usize>,
    description: Option<usize>,
    synopsis: Option<usize>,
    solution: Option<usize>,
    output: Option<usize>,
    risk_factor: Option<usize>,
    exploit: Vec<usize>,
    xref: Vec<usize>,
    host_start: Option<usize>,
    last_seen: Option<usize>,
    state: Option<usize>,
}

impl Columns {
    fn map(file: &str, h: &Header) -> Result<Columns> {
        let required = |aliases: &[&str], what: &str| {
            h.find(aliases).ok_or_else(|| {
                bad(
                    file,
                    "line 1",
                    &format!(
                        "the header has no {what} column (looked for: {})",
                        aliases.join(", ")
                    ),
                )
            })
        };
        let plugin = required(PLUGIN_ID, "plugin id")?;
        let port = required(PORT, "port")?;
        let protocol = required(PROTOCOL, "protocol")?;
        let severity = h.find_all(SEVERITY);
        if severity.is_empty() {
            return Err(bad(
                file,
                "line 1",
                &format!(
                    "the header has no severity column (looked for: {})",
                    SEVERITY.join(", ")
                ),
            ));
        }
        let c = Columns {
            plugin,
            severity,
            host: h.find(HOST),
            ip: h.find(IP),
            fqdn: h.find(FQDN),
            netbios: h.find(NETBIOS),
            mac: h.find(MAC),
            port,
            protocol,
            os: h.find(&["os", "operating system", "asset.operating_system"]),
            title: h.find(&["name", "plugin name", "definition.name"]),
            cve: h.find(&["cve", "definition.cve"]),
            cvss2: h.find(&[
                "cvss v2.0 base score",
                "cvss v2 base score",
                "cvss base score",
                "cvss",
                "definition.cvss2.base_score",
            ]),
            cvss2_vector: h.find(&[
                "cvss v2.0 vector",
                "cvss v2 vector",
                "cvss vector",
                "definition.cvss2.base_vector",
            ]),
            cvss3: h.find(&[
                "cvss v3.0 base score",
                "cvss v3 base score",
                "cvss3 base score",
                "definition.cvss3.base_score",
            ]),
            cvss3_vector: h.find(&[
                "cvss v3.0 vector",
                "cvss v3 vector",
                "cvss3 vector",
                "definition.cvss3.base_vector",
            ]),
            cvss4: h.find(&[
                "cvss v4.0 base score",
                "cvss v4 base score",
                "cvss4 base score",
            ]),
            cvss4_vector: h.find(&["cvss v4.0 vector", "cvss v4 vector", "cvss4 vector"]),
            epss: h.find(&["epss score", "epss", "definition.epss.score"]),
            description: h.find(&["description", "definition.description"]),
            synopsis: h.find(&["synopsis", "definition.synopsis"]),
            solution: h.find(&["solution", "steps to remediate", "definition.solution"]),
            output: h.find(&["plugin output", "plugin text", "output"]),
            risk_factor: h.find(&["risk factor"]),
            exploit: h.find_all(&["exploit?", "exploit available"]),
            xref: h.find_all(&["xref", "cross references", "definition.references"]),
            host_start: h.find(&["host start"]),
            last_seen: h.find(&["last observed", "last found", "last_seen"]),
            state: h.find(&["vulnerability state", "state"]),
        };
        if c.host.is_none() && c.ip.is_none() && c.fqdn.is_none() && c.netbios.is_none() {
            return Err(bad(
                file,
                "line 1",
                &format!(
                    "the header has no host column (looked for: {})",
                    [HOST, IP, FQDN, NETBIOS].concat().join(", ")
                ),
            ));
        }
        Ok(c)
    }
}

/// The comma or semicolon export whose header names this format's columns.
fn delimiter_of(head: &[u8]) -> Option<(u8, Vec<String>)> {
    [b',', b';'].into_iter().find_map(|d| {
        let names = header_fields(head, d)?;
        let has = |aliases: &[&str]| names.iter().any(|n| aliases.contains(&n.as_str()));
        // Tenable WAS exports look alike but name web pages, not hosts and ports ("CVSSv3").
        let was = names.iter().any(|n| n == "cvssv3");
        // One of severity and port may be missing: the file is still ours, and parse names
        // the missing column rather than calling the file unknown.
        let ours = has(PLUGIN_ID)
            && has(&[HOST, IP, FQDN, NETBIOS].concat())
            && (has(SEVERITY) || has(PORT));
        (ours && !was).then_some((d, names))
    })
}

impl Format for NessusCsv {
    fn name(&self) -> &'static str {
        "nessus-csv"
    }

    fn scanner(&self) -> &'static str {
        "nessus"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        delimiter_of(head).is_some()
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
        // With --format given the header may not be recognisable: the comma is the default.
        let delimiter = delimiter_of(head)
            .map(|(d, _)| d)
            .or_else(|| {
                let first = head.split(|&b| b == b'\n').next().unwrap_or(head);
                (first.contains(&b';') && !first.contains(&b',')).then_some(b';')
            })
            .unwrap_or(b',');
        let mut rows = Rows::open(file, input, delimiter)?;
        let cols = Columns::map(file, &rows.header)?;
        let mut group: Option<Group> = None;
        while let Some((line, rec)) = rows.next()? {
            if cell(rec, cols.state).is_some_and(|s| s.eq_ignore_ascii_case("fixed")) {
                continue; // Tenable's record of a finding that is gone: nothing to remediate.
            }
            let host = host_of(file, line, rec, &cols)?;
            if group.as_ref().is_some_and(|g| g.key != host.key) {
                on_asset(group.take().unwrap().finish())?;
            }
            let g = group.get_or_insert_with(|| Group::new(host));
            g.add(file, line, rec, &cols)?;
        }
        if let Some(g) = group {
            on_asset(g.finish())?;
        }
        Ok(())
    }
}

struct HostRow {
    /// The host's raw identifying cells: a change of any starts another host.
    key: Vec<String>,
    asset: ParsedAsset,
}

fn host_of(file: &str, line: u64, rec: &csv::StringRecord, c: &Columns) -> Result<HostRow> {
    let host = cell(rec, c.host);
    let ip = cell(rec, c.ip);
    let fqdn = cell(rec, c.fqdn);
    let netbios = cell(rec, c.netbios);
    let mac = cell(rec, c.mac);
    let label = host.or(fqdn).or(ip).or(netbios).ok_or_else(|| {
        bad(
            file,
            &format!("line {line}"),
            "no host: the host, IP address, DNS name and NetBIOS name cells are all empty",
        )
    })?;
    let mut ids: Vec<(IdentifierKind, String)> = Vec::new();
    let mut push = |kind, value: &str| {
        let value = value.trim().to_ascii_lowercase();
        if !value.is_empty() && !ids.iter().any(|(k, v)| *k == kind && *v == value) {
            ids.push((kind, value));
        }
    };
    // As nessus.rs reads ReportHost@name, host-fqdn, host-ip, netbios-name and mac-address.
    classify_name(label, &mut push);
    if let Some(fqdn) = fqdn {
        push(IdentifierKind::Fqdn, fqdn);
        if let Some(short) = fqdn.split('.').next() {
            push(IdentifierKind::Hostname, short);
        }
    }
    if let Some(ip) = ip {
        push(IdentifierKind::Ip, ip);
    }
    if let Some(nb) = netbios {
        // Tenable.sc writes 'WORKGROUP\NAME'; .nessus has the bare name.
        push(
            IdentifierKind::Netbios,
            nb.rsplit('\\').next().unwrap_or(nb),
        );
    }
    if let Some(mac) = mac {
        for m in mac.split(|ch: char| ch.is_whitespace() || ch == ',' || ch == ';') {
            if !m.is_empty() {
                push(IdentifierKind::Mac, &m.replace('-', ":"));
            }
        }
    }
    let key = [host, ip, fqdn, netbios, mac]
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect();
    let os = cell(rec, c.os).map(|o| o.lines().next().unwrap_or("").trim().to_string());
    Ok(HostRow {
        key,
        asset: ParsedAsset {
            label: label.to_string(),
            identifiers: ids,
            os,
            ..Default::default()
        },
    })
}

/// Consecutive rows of one host, merged into findings by (plugin, port, protocol).
struct Group {
    key: Vec<String>,
    asset: ParsedAsset,
    /// (plugin, location) -> position in `asset.findings`.
    index: HashMap<(String, String), usize>,
    host_start: Option<chrono::DateTime<chrono::Utc>>,
    last_seen: Option<chrono::DateTime<chrono::Utc>>,
}

impl Group {
    fn new(h: HostRow) -> Group {
        Group {
            key: h.key,
            asset: h.asset,
            index: HashMap::new(),
            host_start: None,
            last_seen: None,
        }
    }

    fn add(&mut self, file: &str, line: u64, rec: &csv::StringRecord, c: &Columns) -> Result<()> {
        let at = format!("line {line}");
        let plugin = cell(rec, Some(c.plugin))
            .ok_or_else(|| bad(file, &at, "the plugin id cell is empty"))?;
        if !plugin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                file,
                &at,
                &format!("plugin id \"{plugin}\" is not a number"),
            ));
        }
        let port =
            cell(rec, Some(c.port)).ok_or_else(|| bad(file, &at, "the port cell is empty"))?;
        if port.parse::<u16>().is_err() {
            return Err(bad(file, &at, &format!("port \"{port}\" is not 0..65535")));
        }
        let protocol = cell(rec, Some(c.protocol))
            .ok_or_else(|| bad(file, &at, "the protocol cell is empty"))?
            .to_ascii_lowercase();
        let location = format!("{port}/{protocol}");
        let severity = severity_of(file, &at, rec, c)?;
        let cves = cves_of(cell(rec, c.cve));

        if let Some(t) = cell(rec, c.host_start).and_then(parse_time) {
            self.host_start = Some(self.host_start.map_or(t, |s| s.min(t)));
        }
        if let Some(t) = cell(rec, c.last_seen).and_then(parse_time) {
            self.last_seen = Some(self.last_seen.map_or(t, |s| s.max(t)));
        }
        if self.asset.os.is_none() {
            self.asset.os = cell(rec, c.os).map(|o| o.lines().next().unwrap_or("").trim().into());
        }

        let key = (plugin.to_string(), location.clone());
        if let Some(f) = self.index.get(&key).map(|&i| &mut self.asset.findings[i]) {
            // Another CVE of the same finding (or a plain repeat).
            for cve in cves {
                if !f.cves.contains(&cve) {
                    f.cves.push(cve);
                }
            }
            return Ok(());
        }
        let text = |col| cell(rec, col).map(str::to_string);
        let mut f = ParsedFinding {
            scanner_id: plugin.to_string(),
            title: text(c.title).unwrap_or_else(|| format!("Nessus plugin {plugin}")),
            severity: Some(severity),
            scanner_score: text(c.risk_factor),
            cvss2: score(rec, c.cvss2, c.cvss2_vector),
            cvss3: score(rec, c.cvss3, c.cvss3_vector),
            cvss4: score(rec, c.cvss4, c.cvss4_vector),
            epss: cell(rec, c.epss)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| (0.0..=1.0).contains(v)),
            known_exploited: c.xref.iter().any(|&x| {
                cell(rec, Some(x))
                    .is_some_and(|v| v.to_ascii_uppercase().contains("CISA-KNOWN-EXPLOITED"))
            }),
            exploit_available: c.exploit.iter().any(|&x| {
                cell(rec, Some(x)).is_some_and(|v| {
                    v.eq_ignore_ascii_case("yes") || v.eq_ignore_ascii_case("true")
                })
            }),
            cves,
            description: text(c.description).or_else(|| text(c.synopsis)),
            solution: text(c.solution),
            location,
            evidence: cell(rec, c.output).map(|o| {
                // Tenable.sc prefixes the output with its own label.
                o.strip_prefix("Plugin Output:")
                    .unwrap_or(o)
                    .trim()
                    .to_string()
            }),
            ..Default::default()
        };
        if f.evidence.as_deref() == Some("") {
            f.evidence = None;
        }
        self.index.insert(key, self.asset.findings.len());
        self.asset.findings.push(f);
        Ok(())
    }

    fn finish(mut self) -> ParsedAsset {
        // CVEs belong to the plugin: the writer keeps those of the first finding of a plugin
        // it meets, so every finding of a plugin on this host carries all of them.
        let mut by_plugin: HashMap<&str, Vec<String>> = HashMap::new();
        for f in &self.asset.findings {
            let all = by_plugin.entry(f.scanner_id.as_str()).or_default();
            for c in &f.cves {
                if !all.contains(c) {
                    all.push(c.clone());
                }
            }
        }
        let by_plugin: HashMap<String, Vec<String>> = by_plugin
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        for f in &mut self.asset.findings {
            f.cves = by_plugin[&f.scanner_id].clone();
        }
        // When the scan of the host started, else the latest time a finding was seen.
        self.asset.scanned_at = self.host_start.or(self.last_seen).map(utc_text);
        self.asset
    }
}

fn severity_of(file: &str, at: &str, rec: &csv::StringRecord, c: &Columns) -> Result<Severity> {
    let Some(v) = c.severity.iter().find_map(|&col| cell(rec, Some(col))) else {
        return Err(bad(
            file,
            at,
            "the severity (Risk / Severity) cell is empty",
        ));
    };
    let sev = match v.to_ascii_lowercase().as_str() {
        "none" | "info" | "informational" => Some(Severity::Info),
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => severity_from_level(v),
    };
    sev.ok_or_else(|| {
        bad(
            file,
            at,
            &format!(
                "severity \"{v}\" is not one of None, Info, Low, Medium, High, Critical or 0-4"
            ),
        )
    })
}

/// Every CVE id in a cell ('CVE-2013-2566,CVE-2015-2808', 'CVE-a, CVE-b', one per row ...).
fn cves_of(cell: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    crate::cve::cves_in(cell.unwrap_or(""), &mut out);
    out
}

/// A CVSS base score in 0-10 with its vector. A score outside that range is not guessed
/// at: some exports drop the decimal point ('75' for 7.5), and 75 is no CVSS score.
fn score(
    rec: &csv::StringRecord,
    score: Option<usize>,
    vector: Option<usize>,
) -> Option<(f64, Option<String>)> {
    let s = cell(rec, score)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| (0.0..=10.0).contains(v))?;
    Some((s, cell(rec, vector).map(str::to_string)))
}
