//! Qualys VM scan reports in XML (ASSET_DATA_REPORT: HOST_LIST, then GLOSSARY).
//!
//! Identity: (host, QID, port, protocol); a VULN_INFO without a port is a host-level finding
//! at "0/tcp", as Nessus writes its host-level items. Hosts are named by IP, DNS (an FQDN
//! and its short host name) and NETBIOS.
//!
//! Severity comes from the glossary's SEVERITY 1-5: 5 urgent -> critical, 4 critical ->
//! high, 3 serious -> medium, 2 medium -> low, 1 minimal -> info. TYPE "Ig" (information
//! gathered) is info whatever its level: Qualys rates those by how sensitive the
//! information is, not as flaws. "Practice" (a potential vulnerability, not confirmed) is
//! rated like "Vuln": it is something to check and fix.
//!
//! Memory: Qualys writes the GLOSSARY, which holds each QID's title and severity, after
//! every host. Until it has been read a finding cannot be completed, so hosts are held as
//! they are read (identifiers, and per finding its QID, type, location and RESULT text) and
//! handed over at the end: memory grows with the number of findings (about the size of the
//! HOST_LIST), plus one glossary entry per distinct QID. If a report puts the glossary
//! first, hosts are handed over as they are read.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{DateTime, Utc};
use quick_xml::events::Event;

use crate::error::Result;
use crate::markup;
use crate::nessus::classify_name;
use crate::utc_text;
use crate::xml::{eof_in_document, expect_root, read_text, XmlReader};
use crate::Severity;
use crate::{Format, IdentifierKind, ParsedAsset, ParsedFinding};

pub struct Qualys;

const ROOT: &[u8] = b"ASSET_DATA_REPORT";

impl Format for Qualys {
    fn name(&self) -> &'static str {
        "qualys"
    }

    fn scanner(&self) -> &'static str {
        "qualys"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        // The first element must be the root: only the XML declaration, comments and the
        // DOCTYPE may come before it.
        let head = String::from_utf8_lossy(head);
        let Some(at) = head.find("<ASSET_DATA_REPORT") else {
            return false;
        };
        head[..at]
            .match_indices('<')
            .all(|(i, _)| matches!(head.as_bytes().get(i + 1), Some(b'?' | b'!')))
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let mut r = XmlReader::new(file, input);
        let mut saw_root = false;
        let mut glossary: Option<HashMap<String, Details>> = None;
        let mut pending: Vec<Host> = Vec::new();
        loop {
            let ev = r.next()?.into_owned();
            match ev {
                Event::Start(e) if !saw_root => {
                    expect_root(&r, &e, ROOT, "Qualys scan report")?;
                    saw_root = true;
                }
                Event::Empty(e) if !saw_root => {
                    expect_root(&r, &e, ROOT, "Qualys scan report")?;
                    return Ok(());
                }
                Event::Start(e) if e.local_name().as_ref() == b"HOST" => {
                    let host = read_host(&mut r)?;
                    match &glossary {
                        Some(g) => on_asset(host.complete(g))?,
                        None => pending.push(host),
                    }
                }
                Event::Start(e) if e.local_name().as_ref() == b"GLOSSARY" => {
                    let g = glossary.get_or_insert_with(HashMap::new);
                    read_glossary(&mut r, g)?;
                    for host in pending.drain(..) {
                        on_asset(host.complete(g))?;
                    }
                }
                Event::End(e) if e.local_name().as_ref() == ROOT => {
                    // No glossary at all: titles and severities stay unknown.
                    let empty = HashMap::new();
                    for host in pending.drain(..) {
                        on_asset(host.complete(glossary.as_ref().unwrap_or(&empty)))?;
                    }
                    return Ok(());
                }
                Event::Eof => {
                    return Err(eof_in_document(&r, saw_root, ROOT));
                }
                Event::Text(t) if !saw_root && !t.iter().all(u8::is_ascii_whitespace) => {
                    return Err(r.error("text before the root element: not an XML report"));
                }
                _ => {}
            }
        }
    }
}

/// The kinds of finding Qualys reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Confirmed,
    Potential,
    Information,
}

impl Kind {
    /// TYPE as the XML and CSV reports write it (Vuln, Practice, Ig), or as the PCI and
    /// VMDR reports do (Confirmed, Potential, Info...). An empty TYPE is a vulnerability.
    pub(super) fn parse(text: &str) -> Option<Kind> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "" | "vuln" | "confirmed" => Kind::Confirmed,
            "practice" | "potential" => Kind::Potential,
            "ig" | "info" | "information gathered" => Kind::Information,
            _ => return None,
        })
    }

    /// Information gathered is info whatever its level; the rest follows the level.
    pub(super) fn severity(self, level: Option<u8>) -> Option<Severity> {
        match (self, level) {
            (Kind::Information, _) => Some(Severity::Info),
            (_, level) => level.map(severity_from_level),
        }
    }
}

struct Pending {
    finding: ParsedFinding,
    kind: Kind,
}

struct Host {
    asset: ParsedAsset,
    findings: Vec<Pending>,
}

/// One glossary entry: what the report says about a QID.
#[derive(Default)]
struct Details {
    title: String,
    level: Option<u8>,
    cvss2: Option<(f64, Option<String>)>,
    cvss3: Option<(f64, Option<String>)>,
    cves: Vec<String>,
    description: Option<String>,
    solution: Option<String>,
    exploit_available: bool,
}

impl Host {
    fn complete(self, glossary: &HashMap<String, Details>) -> ParsedAsset {
        let mut asset = self.asset;
        for p in self.findings {
            let mut f = p.finding;
            match glossary.get(&f.scanner_id) {
                Some(d) => {
                    f.title = d.title.clone();
                    f.severity = p.kind.severity(d.level);
                    f.scanner_score = d.level.map(|l| l.to_string());
                    f.cvss2 = d.cvss2.clone();
                    f.cvss3 = d.cvss3.clone();
                    f.cves = d.cves.clone();
                    f.description = d.description.clone();
                    f.solution = d.solution.clone();
                    f.exploit_available = d.exploit_available;
                }
                None => f.severity = p.kind.severity(None),
            }
            if f.title.trim().is_empty() {
                f.title = format!("Qualys QID {}", f.scanner_id);
            }
            asset.findings.push(f);
        }
        asset
    }
}

/// Where a QID was found: "PORT/PROTOCOL", "0/tcp" without a port (a host-level finding, as
/// Nessus writes its own); a PORT that is not one is refused.
pub(super) fn location(
    r: &XmlReader<'_>,
    qid: &str,
    port: Option<&str>,
    proto: Option<&str>,
) -> Result<String> {
    if let Some(p) = port {
        if p.parse::<u16>().is_err() {
            return Err(r.error(format!("QID {qid}: PORT \"{p}\" is not 0..65535")));
        }
    }
    Ok(format!(
        "{}/{}",
        port.unwrap_or("0"),
        proto.unwrap_or("tcp")
    ))
}

/// Qualys levels 1-5 (minimal, medium, serious, critical, urgent) on Truce's scale.
pub(super) fn severity_from_level(level: u8) -> Severity {
    match level {
        5 => Severity::Critical,
        4 => Severity::High,
        3 => Severity::Medium,
        2 => Severity::Low,
        _ => Severity::Info,
    }
}

fn read_host(r: &mut XmlReader<'_>) -> Result<Host> {
    let (mut ip, mut dns, mut netbios, mut os) = (None, None, None, None);
    let mut findings = Vec::new();
    let mut latest: Option<DateTime<Utc>> = None;
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                b"VULN_INFO_LIST" => {}
                b"VULN_INFO" => {
                    if let Some((p, last)) = read_vuln_info(r)? {
                        if let Some(t) = last {
                            latest = Some(latest.map_or(t, |l| l.max(t)));
                        }
                        findings.push(p);
                    }
                }
                name => {
                    let name = name.to_vec();
                    let text = read_text(r, &name)?;
                    let text = text.trim().to_string();
                    if text.is_empty() {
                        continue;
                    }
                    match name.as_slice() {
                        b"IP" => ip = Some(text),
                        b"DNS" => dns = Some(text),
                        b"NETBIOS" => netbios = Some(text),
                        b"OPERATING_SYSTEM" => {
                            os = Some(text.lines().next().unwrap_or("").trim().to_string())
                        }
                        _ => {}
                    }
                }
            },
            Event::End(e) if e.local_name().as_ref() == b"HOST" => break,
            Event::Eof => return Err(r.error("the file ends inside <HOST> (truncated?)")),
            _ => {}
        }
    }
    let label = dns
        .clone()
        .or_else(|| ip.clone())
        .or_else(|| netbios.clone())
        .ok_or_else(|| r.error("<HOST> without IP, DNS or NETBIOS"))?;
    let mut ids: Vec<(IdentifierKind, String)> = Vec::new();
    let mut push = |kind, value: &str| {
        let value = value.trim().to_ascii_lowercase();
        if !value.is_empty() && !ids.iter().any(|(k, v)| *k == kind && *v == value) {
            ids.push((kind, value));
        }
    };
    if let Some(dns) = &dns {
        classify_name(dns, &mut push);
    }
    if let Some(ip) = &ip {
        push(IdentifierKind::Ip, ip);
    }
    if let Some(nb) = &netbios {
        push(IdentifierKind::Netbios, nb);
    }
    Ok(Host {
        asset: ParsedAsset {
            label,
            identifiers: ids,
            os,
            // The latest LAST_FOUND: when Qualys last scanned the host, as far as the report says.
            scanned_at: latest.map(utc_text),
            findings: Vec::new(),
            scanner: None,
            statements: Vec::new(),
        },
        findings,
    })
}

/// One VULN_INFO, with its LAST_FOUND; None for one Qualys reports as fixed.
fn read_vuln_info(r: &mut XmlReader<'_>) -> Result<Option<(Pending, Option<DateTime<Utc>>)>> {
    let mut f = ParsedFinding::default();
    let (mut port, mut proto, mut kind, mut status) = (None, None, None, None);
    let mut last = None;
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                let text = read_text(r, &name)?;
                let trimmed = text.trim();
                match name.as_slice() {
                    b"QID" => f.scanner_id = trimmed.to_string(),
                    b"TYPE" => kind = Some(trimmed.to_string()),
                    b"PORT" if !trimmed.is_empty() => port = Some(trimmed.to_string()),
                    b"PROTOCOL" if !trimmed.is_empty() => {
                        proto = Some(trimmed.to_ascii_lowercase())
                    }
                    b"RESULT" if !trimmed.is_empty() => f.evidence = Some(text),
                    b"VULN_STATUS" => status = Some(trimmed.to_string()),
                    b"LAST_FOUND" => {
                        last = DateTime::parse_from_rfc3339(trimmed)
                            .ok()
                            .map(|t| t.with_timezone(&Utc))
                    }
                    _ => {}
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"VULN_INFO" => break,
            Event::Eof => return Err(r.error("the file ends inside <VULN_INFO> (truncated?)")),
            _ => {}
        }
    }
    if f.scanner_id.is_empty() || !f.scanner_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(r.error(format!(
            "<VULN_INFO> with QID \"{}\": expected a number",
            f.scanner_id
        )));
    }
    if status.is_some_and(|s| s.eq_ignore_ascii_case("fixed")) {
        return Ok(None);
    }
    let kind = kind.unwrap_or_default();
    let kind = Kind::parse(&kind).ok_or_else(|| {
        r.error(format!(
            "QID {}: TYPE \"{kind}\" is not Vuln, Practice or Ig",
            f.scanner_id
        ))
    })?;
    f.location = location(r, &f.scanner_id, port.as_deref(), proto.as_deref())?;
    Ok(Some((Pending { finding: f, kind }, last)))
}

fn read_glossary(r: &mut XmlReader<'_>, g: &mut HashMap<String, Details>) -> Result<()> {
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) if e.local_name().as_ref() == b"VULN_DETAILS" => {
                let (qid, d) = read_details(r)?;
                g.insert(qid, d);
            }
            Event::End(e) if e.local_name().as_ref() == b"GLOSSARY" => return Ok(()),
            Event::Eof => return Err(r.error("the file ends inside <GLOSSARY> (truncated?)")),
            _ => {}
        }
    }
}

fn read_details(r: &mut XmlReader<'_>) -> Result<(String, Details)> {
    let mut d = Details::default();
    let mut qid = String::new();
    let (mut threat, mut impact) = (None, None);
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match name.as_slice() {
                    // Containers: their children are read here.
                    b"CVSS_SCORE" | b"CVSS3_SCORE" | b"CVE_ID_LIST" | b"CVE_ID"
                    | b"CORRELATION" => continue,
                    // Known exploits, listed by source (Exploit-DB, Metasploit ...).
                    b"EXPLOITABILITY" => d.exploit_available = true,
                    _ => {}
                }
                let text = read_text(r, &name)?;
                let text = text.trim();
                match name.as_slice() {
                    b"QID" => qid = text.to_string(),
                    b"TITLE" => d.title = text.to_string(),
                    b"SEVERITY" => {
                        d.level = Some(
                            text.parse::<u8>()
                                .ok()
                                .filter(|l| (1..=5).contains(l))
                                .ok_or_else(|| {
                                    r.error(format!("SEVERITY \"{text}\" is not 1..5"))
                                })?,
                        )
                    }
                    b"THREAT" if !text.is_empty() => threat = Some(markup::to_text(text)),
                    b"IMPACT" if !text.is_empty() => impact = Some(markup::to_text(text)),
                    b"SOLUTION" if !text.is_empty() => d.solution = Some(markup::to_text(text)),
                    b"CVSS_BASE" => d.cvss2 = score_and_vector(text),
                    b"CVSS3_BASE" => d.cvss3 = score_and_vector(text),
                    b"ID" => {
                        crate::cve::cves_in(text, &mut d.cves);
                    }
                    _ => {}
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"VULN_DETAILS" => break,
            Event::Eof => return Err(r.error("the file ends inside <VULN_DETAILS> (truncated?)")),
            _ => {}
        }
    }
    if qid.is_empty() {
        return Err(r.error("<VULN_DETAILS> without a QID"));
    }
    d.description = match (threat, impact) {
        (Some(t), Some(i)) if !i.eq_ignore_ascii_case("n/a") => Some(format!("{t}\n\nImpact: {i}")),
        (Some(t), _) => Some(t),
        (None, i) => i,
    };
    Ok((qid, d))
}

/// '9.3 (AV:N/AC:M/Au:N/C:C/I:C/A:C)' or a bare '9.3'; scores outside 0-10 are dropped.
fn score_and_vector(text: &str) -> Option<(f64, Option<String>)> {
    let (score, rest) = match text.split_once(' ') {
        Some((s, rest)) => (s, rest.trim()),
        None => (text, ""),
    };
    let score = score
        .parse::<f64>()
        .ok()
        .filter(|v| (0.0..=10.0).contains(v))?;
    let vector = rest
        .strip_prefix('(')
        .and_then(|v| v.strip_suffix(')'))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    Some((score, vector))
}
