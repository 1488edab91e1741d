//! Qualys VM scan reports exported as CSV: one row per (host, QID, port), the header on the
//! first line ("IP","Network","DNS","NetBIOS",...,"QID","Title","Vuln Status","Type",
//! "Severity","Port","Protocol",...), or the PCI report's "IP,HOSTNAME,LAST SCAN,QID,VULN
//! TITLE,TYPE,SEVERITY,...,Q_SEVERITY,...".
//!
//! Identity and severity are those of the XML report (see `qualys.rs`), so the CSV and the
//! XML of one scan are the same findings: (host, QID, port, protocol), "0/tcp" without a
//! port; the Qualys level 1-5 ("Q_SEVERITY" when present: the PCI report's "SEVERITY" is
//! a word on the PCI scale), information gathered always info.

use std::collections::HashMap;
use std::io::BufRead;

use crate::csvread::{cell, header_fields, Header, Rows};
use crate::error::Result;
use crate::markup;
use crate::nessus::classify_name;
use crate::qualys::Kind;
use crate::{bad, Format, IdentifierKind, ParsedAsset, ParsedFinding};

pub struct QualysCsv;

const QID: &[&str] = &["qid"];
const IP: &[&str] = &["ip", "asset ipv4"];
const DNS: &[&str] = &["dns", "hostname", "asset name"];
const NETBIOS: &[&str] = &["netbios"];
const LEVEL: &[&str] = &["q_severity", "severity"];

struct Columns {
    qid: usize,
    level: Vec<usize>,
    ip: Option<usize>,
    ipv6: Option<usize>,
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
            ipv6: h.find(&["asset ipv6"]),
            dns: h.find(DNS),
            netbios: h.find(NETBIOS),
            os: h.find(&["os", "operating system"]),
            title: h.find(&["title", "vuln title"]),
            kind: h.find(&["type", "type detected"]),
            status: h.find(&["vuln status", "status"]),
            port: h.find(&["port"]),
            protocol: h.find(&["protocol"]),
            cve: h.find(&["cve id", "cveid", "cve"]),
            cvss2: h.find(&["cvss base", "cvss_base", "cvssv2 base (nvd)"]),
            cvss3: h.find(&["cvss3 base", "cvssv3.1 base (nvd)"]),
            threat: h.find(&["threat"]),
            impact: h.find(&["impact"]),
            solution: h.find(&["solution"]),
            result: h.find(&["results", "result"]),
        };
        if c.ip.is_none() && c.ipv6.is_none() && c.dns.is_none() && c.netbios.is_none() {
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
            // The scan report's own "IP" column: VMDR's "Asset IPV4" is the other format.
            has(QID) && has(&["ip"]) && has(LEVEL) && !vmdr_header(&names)
        })
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let rows = Rows::open(file, input, b',')?;
        parse_rows(file, rows, on_asset)
    }
}

/// Qualys VMDR "Asset Vuln Datalist" exports: the QID layout (one row per detection) and
/// the CVE layout (one row per detection and CVE), with or without the report title,
/// company and user lines before the header. Same identity and severity as the scan report.
pub struct QualysVmdr;

/// How many lines may come before a VMDR header (title, company and user: 3 in practice).
const VMDR_PREAMBLE: u64 = 10;

fn vmdr_header(names: &[String]) -> bool {
    let has = |n: &str| names.iter().any(|x| x == n);
    has("qid") && has("asset ipv4") && has("type detected") && has("severity")
}

impl Format for QualysVmdr {
    fn name(&self) -> &'static str {
        "qualys-vmdr"
    }

    fn scanner(&self) -> &'static str {
        "qualys"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let mut rest = head;
        for _ in 0..VMDR_PREAMBLE {
            if header_fields(rest, b',').is_some_and(|n| vmdr_header(&n)) {
                return true;
            }
            match rest.iter().position(|&b| b == b'\n') {
                Some(i) => rest = &rest[i + 1..],
                None => return false,
            }
        }
        false
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let rows = Rows::open_with(file, input, b',', VMDR_PREAMBLE, &|n| vmdr_header(n))?;
        parse_rows(file, rows, on_asset)
    }
}

/// Consecutive rows of one host become one asset; rows with the same (QID, port, protocol)
/// on it are one finding, with the CVEs of all of them.
fn parse_rows(
    file: &str,
    mut rows: Rows<'_>,
    on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
) -> Result<()> {
    let c = Columns::map(file, &rows.header)?;
    let mut current: Option<Group> = None;
    while let Some((line, rec)) = rows.next()? {
        let at = format!("line {line}");
        if cell(rec, c.status).is_some_and(|s| s.eq_ignore_ascii_case("fixed")) {
            continue; // Qualys's record of a detection that is gone.
        }
        let key: Vec<String> = [c.ip, c.ipv6, c.dns, c.netbios]
            .iter()
            .map(|&col| cell(rec, col).unwrap_or("").to_string())
            .collect();
        if current.as_ref().is_some_and(|g| g.key != key) {
            on_asset(current.take().unwrap().finish())?;
        }
        if current.is_none() {
            current = Some(Group {
                key,
                index: HashMap::new(),
                asset: host(file, &at, rec, &c)?,
            });
        }
        let g = current.as_mut().unwrap();
        let f = finding(file, &at, rec, &c)?;
        let k = (f.scanner_id.clone(), f.location.clone());
        match g.index.get(&k) {
            Some(&i) => {
                let have = &mut g.asset.findings[i].cves;
                for cve in f.cves {
                    if !have.contains(&cve) {
                        have.push(cve);
                    }
                }
            }
            None => {
                g.index.insert(k, g.asset.findings.len());
                g.asset.findings.push(f);
            }
        }
    }
    if let Some(g) = current {
        on_asset(g.finish())?;
    }
    Ok(())
}

struct Group {
    key: Vec<String>,
    index: HashMap<(String, String), usize>,
    asset: ParsedAsset,
}

impl Group {
    fn finish(mut self) -> ParsedAsset {
        // CVEs belong to the QID: every finding of a QID on this host carries all of them,
        // as the writer keeps those of the first finding of a QID it meets.
        let mut by_qid: HashMap<String, Vec<String>> = HashMap::new();
        for f in &self.asset.findings {
            let all = by_qid.entry(f.scanner_id.clone()).or_default();
            for cve in &f.cves {
                if !all.contains(cve) {
                    all.push(cve.clone());
                }
            }
        }
        for f in &mut self.asset.findings {
            f.cves = by_qid[&f.scanner_id].clone();
        }
        self.asset
    }
}

fn host(file: &str, at: &str, rec: &csv::StringRecord, c: &Columns) -> Result<ParsedAsset> {
    let (ip, dns, netbios) = (cell(rec, c.ip), cell(rec, c.dns), cell(rec, c.netbios));
    let ipv6 = cell(rec, c.ipv6);
    let label = dns.or(ip).or(ipv6).or(netbios).ok_or_else(|| {
        bad(
            file,
            at,
            "no host: the IP, DNS / asset name and NetBIOS cells are empty",
        )
    })?;
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
    // VMDR lists every address of an asset in one cell: '10.0.0.20,10.0.0.21'.
    for ips in [ip, ipv6].into_iter().flatten() {
        for one in ips.split([',', ' ', ';']).filter(|s| !s.is_empty()) {
            push(IdentifierKind::Ip, one);
        }
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
    // VMDR writes "'-" (a spreadsheet-escaped dash) for "no protocol".
    let protocol = cell(rec, c.protocol)
        .filter(|p| !matches!(*p, "-" | "'-"))
        .unwrap_or("tcp")
        .to_ascii_lowercase();
    let text = |col| cell(rec, col).map(str::to_string);
    let mut cves: Vec<String> = Vec::new();
    crate::cve::cves_in(cell(rec, c.cve).unwrap_or(""), &mut cves);
    let html = |i| text(i).map(|t| markup::to_text(&t));
    let description = match (html(c.threat), html(c.impact)) {
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
        solution: html(c.solution),
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
