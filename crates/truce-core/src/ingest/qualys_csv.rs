//! Qualys VM scan reports exported as CSV: one row per (host, QID, port), the header on the
//! first line ("IP","Network","DNS","NetBIOS",...,"QID","Title","Vuln Status","Type",
//! "Severity","Port","Protocol",...), or the PCI report's "IP,HOSTNAME,LAST SCAN,QID,VULN
//! TITLE,TYPE,SEVERITY,...,Q_SEVERITY,...".
//!
//! Identity and severity are those of the XML report (see `qualys.rs`), so the CSV and the
//! XML of one scan are the same findings: (host, QID, port, protocol), "0/tcp" without a
//! port; the Qualys level 1-5 ("Q_SEVERITY" when present: the PCI report's "SEVERITY" is
//! a word on the PCI scale), information gathered always info.

use std::collections::HashSet;
use std::io::BufRead;

use super::csvread::{cell, header_fields, Header, Rows};
use super::nessus::classify_name;
use super::qualys::Kind;
use super::{bad, Format, IdentifierKind, ParsedAsset, ParsedFinding};
use crate::error::Result;

pub struct QualysCsv;

const QID: &[&str] = &["qid"];
const IP: &[&str] = &["ip"];
const DNS: &[&str] = &["dns", "hostname"];
const NETBIOS: &[&str] = &["netbios"];
const LEVEL: &[&str] = &["q_severity", "severity"];

struct Columns {
    qid: usize,
    level: Vec<usize>,
    ip: Option<usize>,
    dns: Option<usize>,
    netbios: Option<usize>,
    os: Option<usize>,
    title: Option<usize>,
    kind: Option<usize>,
    status: Option<usize>,
    port: Option<usize>,
    protocol: Option<usize>,
    cve: Option<usize>,
    cvss2: Option<usize>,
    cvss3: Option<usize>,
    threat: Option<usize>,
    impact: Option<usize>,
    solution: Option<usize>,
    result: Option<usize>,
}

impl Columns {
    fn map(file: &str, h: &Header) -> Result<Columns> {
        let missing = |what: &str, aliases: &[&str]| {
            bad(
                file,
                "line 1",
                &format!(
                    "the header has no {what} column (looked for: {})",
                    aliases.join(", ")
                ),
            )
        };
        let qid = h.find(QID).ok_or_else(|| missing("QID", QID))?;
        let level = h.find_all(LEVEL);
        if level.is_empty() {
            return Err(missing("severity", LEVEL));
        }
        let c = Columns {
            qid,
            level,
            ip: h.find(IP),
            dns: h.find(DNS),
            netbios: h.find(NETBIOS),
            os: h.find(&["os", "operating system"]),
            title: h.find(&["title", "vuln title"]),
            kind: h.find(&["type"]),
            status: h.find(&["vuln status"]),
            port: h.find(&["port"]),
            protocol: h.find(&["protocol"]),
            cve: h.find(&["cve id", "cveid"]),
            cvss2: h.find(&["cvss base", "cvss_base"]),
            cvss3: h.find(&["cvss3 base"]),
            threat: h.find(&["threat"]),
            impact: h.find(&["impact"]),
            solution: h.find(&["solution"]),
            result: h.find(&["results", "result"]),
        };
        if c.ip.is_none() && c.dns.is_none() && c.netbios.is_none() {
            return Err(missing("host", &[IP, DNS, NETBIOS].concat()));
        }
        Ok(c)
    }
}

impl Format for QualysCsv {
    fn name(&self) -> &'static str {
        "qualys-csv"
    }

    fn scanner(&self) -> &'static str {
        "qualys"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        header_fields(head, b',').is_some_and(|names| {
            let has = |aliases: &[&str]| names.iter().any(|n| aliases.contains(&n.as_str()));
            has(QID) && has(IP) && has(LEVEL)
        })
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let mut rows = Rows::open(file, input, b',')?;
        let c = Columns::map(file, &rows.header)?;
        // The host of the rows being read, its findings' keys, and the asset.
        type Current = (Vec<String>, HashSet<(String, String)>, ParsedAsset);
        let mut current: Option<Current> = None;
        while let Some((line, rec)) = rows.next()? {
            let at = format!("line {line}");
            if cell(rec, c.status).is_some_and(|s| s.eq_ignore_ascii_case("fixed")) {
                continue;
            }
            let key: Vec<String> = [c.ip, c.dns, c.netbios]
                .iter()
                .map(|&col| cell(rec, col).unwrap_or("").to_string())
                .collect();
            if current.as_ref().is_some_and(|(k, _, _)| *k != key) {
                on_asset(current.take().unwrap().2)?;
            }
            if current.is_none() {
                current = Some((key, HashSet::new(), host(file, &at, rec, &c)?));
            }
            let (_, seen, asset) = current.as_mut().unwrap();
            let f = finding(file, &at, rec, &c)?;
            // A repeated (QID, port, protocol) on one host is the same finding.
            if seen.insert((f.scanner_id.clone(), f.location.clone())) {
                asset.findings.push(f);
            }
        }
        if let Some((_, _, asset)) = current {
            on_asset(asset)?;
        }
        Ok(())
    }
}

fn host(file: &str, at: &str, rec: &csv::StringRecord, c: &Columns) -> Result<ParsedAsset> {
    let (ip, dns, netbios) = (cell(rec, c.ip), cell(rec, c.dns), cell(rec, c.netbios));
    let label = dns
        .or(ip)
        .or(netbios)
        .ok_or_else(|| bad(file, at, "no host: the IP, DNS and NetBIOS cells are empty"))?;
    let mut ids: Vec<(IdentifierKind, String)> = Vec::new();
    let mut push = |kind, value: &str| {
        let value = value.trim().to_ascii_lowercase();
        if !value.is_empty() && !ids.iter().any(|(k, v)| *k == kind && *v == value) {
            ids.push((kind, value));
        }
    };
    if let Some(dns) = dns {
        classify_name(dns, &mut push);
    }
    if let Some(ip) = ip {
        push(IdentifierKind::Ip, ip);
    }
    if let Some(nb) = netbios {
        push(IdentifierKind::Netbios, nb);
    }
    Ok(ParsedAsset {
        label: label.to_string(),
        identifiers: ids,
        os: cell(rec, c.os).map(|o| o.lines().next().unwrap_or("").trim().to_string()),
        ..Default::default()
    })
}

fn finding(file: &str, at: &str, rec: &csv::StringRecord, c: &Columns) -> Result<ParsedFinding> {
    let qid = cell(rec, Some(c.qid)).ok_or_else(|| bad(file, at, "the QID cell is empty"))?;
    if !qid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(file, at, &format!("QID \"{qid}\" is not a number")));
    }
    let kind_text = cell(rec, c.kind).unwrap_or("");
    let kind = Kind::parse(kind_text).ok_or_else(|| {
        bad(
            file,
            at,
            &format!("type \"{kind_text}\" is not Vuln, Practice or Ig"),
        )
    })?;
    // The first severity cell that holds a Qualys level; a PCI word in "SEVERITY" is skipped
    // when "Q_SEVERITY" has the level.
    let cells: Vec<&str> = c.level.iter().filter_map(|&l| cell(rec, Some(l))).collect();
    let level = cells
        .iter()
        .find_map(|v| v.parse::<u8>().ok().filter(|l| (1..=5).contains(l)));
    if level.is_none() {
        let shown = cells.first().copied().unwrap_or("");
        return Err(bad(
            file,
            at,
            &format!("severity \"{shown}\" is not a Qualys level 1..5"),
        ));
    }
    let port = cell(rec, c.port).unwrap_or("0");
    if port.parse::<u16>().is_err() {
        return Err(bad(file, at, &format!("port \"{port}\" is not 0..65535")));
    }
    let protocol = cell(rec, c.protocol).unwrap_or("tcp").to_ascii_lowercase();
    let text = |col| cell(rec, col).map(str::to_string);
    let mut cves: Vec<String> = Vec::new();
    for t in cell(rec, c.cve).unwrap_or("").split([',', ' ', ';']) {
        let t = t.trim().to_ascii_uppercase();
        if t.starts_with("CVE-") && !cves.contains(&t) {
            cves.push(t);
        }
    }
    let description = match (text(c.threat), text(c.impact)) {
        (Some(t), Some(i)) if !i.eq_ignore_ascii_case("n/a") => Some(format!("{t}\n\nImpact: {i}")),
        (Some(t), _) => Some(t),
        (None, i) => i,
    };
    Ok(ParsedFinding {
        scanner_id: qid.to_string(),
        title: text(c.title).unwrap_or_else(|| format!("Qualys QID {qid}")),
        severity: kind.severity(level),
        scanner_score: level.map(|l| l.to_string()),
        cvss2: cvss(cell(rec, c.cvss2)),
        cvss3: cvss(cell(rec, c.cvss3)),
        cves,
        description,
        solution: text(c.solution),
        location: format!("{port}/{protocol}"),
        evidence: text(c.result),
        ..Default::default()
    })
}

/// '8.1 (AV:N/AC:H/...)' or '6.4'; outside 0-10 is dropped.
fn cvss(text: Option<&str>) -> Option<(f64, Option<String>)> {
    let text = text?;
    let (score, rest) = text.split_once(' ').unwrap_or((text, ""));
    let score = score
        .parse::<f64>()
        .ok()
        .filter(|v| (0.0..=10.0).contains(v))?;
    let vector = rest
        .trim()
        .strip_prefix('(')
        .and_then(|v| v.strip_suffix(')'))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    Some((score, vector))
}
