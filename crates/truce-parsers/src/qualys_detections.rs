//! Qualys VMDR's Host List Detection answer (`HOST_LIST_VM_DETECTION_OUTPUT`, from
//! `/api/2.0/fo/asset/host/vm/detection/?action=list`): hosts with their detections and each
//! detection's status. See docs/formats/qualys-detections.md.
//!
//! The answer names each vulnerability by QID only; its title, CVEs, description and solution are
//! the KnowledgeBase's. The Qualys source therefore hands over a page as `QUALYS_VMDR_PAGE`: the
//! KnowledgeBase's answer for the page's QIDs (`KNOWLEDGE_BASE_VULN_LIST_OUTPUT`) first, then the
//! detections. A detection answer saved alone imports too, its vulnerabilities titled by QID.
//!
//! Identity as the `qualys` scan report's: (host, QID, port, protocol), `0/tcp` without a port,
//! scanner `qualys`: the same host and QID from a scan report and from the API are one finding.
//! Severity from the detection's SEVERITY 1-5 as the scan report's (information gathered is info).
//! STATUS `Fixed` closes; `New`, `Active` and `Re-Opened` keep the finding open or open it again.
//! A page holds what changed, never the whole of a host: nothing is closed for being absent.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::Event;

use crate::error::Result;
use crate::json::utc;
use crate::markup;
use crate::nessus::classify_name;
use crate::qualys::{location, severity_from_level, Kind};
use crate::xml::{eof_in_document, read_text, skip_element, XmlReader};
use crate::{Format, IdentifierKind, ParsedAsset, ParsedFinding, Verdict, VerdictStatus};

pub struct QualysDetections;

const PAGE: &[u8] = b"QUALYS_VMDR_PAGE";
const DETECTIONS: &[u8] = b"HOST_LIST_VM_DETECTION_OUTPUT";
const KNOWLEDGE: &[u8] = b"KNOWLEDGE_BASE_VULN_LIST_OUTPUT";

impl Format for QualysDetections {
    fn name(&self) -> &'static str {
        "qualys-detections"
    }

    fn scanner(&self) -> &'static str {
        "qualys"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        crate::xml::root_element(head)
            .is_some_and(|root| root.as_bytes() == PAGE || root.as_bytes() == DETECTIONS)
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
        let mut r = XmlReader::new(file, input);
        let mut saw_root: Option<Vec<u8>> = None;
        let mut kb: HashMap<String, Details> = HashMap::new();
        loop {
            let ev = r.next()?.into_owned();
            match ev {
                Event::Start(e) if saw_root.is_none() => {
                    let name = e.local_name().as_ref().to_vec();
                    if name != PAGE && name != DETECTIONS {
                        return Err(r.error(format!(
                            "<{}> is not a Qualys Host List Detection answer (HOST_LIST_VM_DETECTION_OUTPUT)",
                            String::from_utf8_lossy(&name)
                        )));
                    }
                    saw_root = Some(name);
                }
                Event::Empty(e) if saw_root.is_none() => {
                    return Err(r.error(format!(
                        "<{}/> is empty: not a Qualys Host List Detection answer",
                        String::from_utf8_lossy(e.local_name().as_ref())
                    )));
                }
                Event::Start(e) if e.local_name().as_ref() == KNOWLEDGE => {
                    read_knowledge(&mut r, &mut kb)?;
                }
                Event::Start(e) if e.local_name().as_ref() == b"HOST" => {
                    for asset in read_host(&mut r, &kb)? {
                        on_asset(asset)?;
                    }
                }
                Event::Start(e) if e.local_name().as_ref() == b"WARNING" => {
                    // The next page's address: the source's to follow, nothing to import.
                    skip_element(&mut r, b"WARNING")?;
                }
                Event::End(e) if Some(e.local_name().as_ref()) == saw_root.as_deref() => {
                    return Ok(());
                }
                Event::Eof => {
                    return Err(eof_in_document(&r, saw_root.is_some(), DETECTIONS));
                }
                Event::Text(t) if saw_root.is_none() && !t.iter().all(u8::is_ascii_whitespace) => {
                    return Err(r.error("text before the root element: not an XML answer"));
                }
                _ => {}
            }
        }
    }
}

/// What the KnowledgeBase says of a QID.
#[derive(Default)]
struct Details {
    title: String,
    cvss2: Option<(f64, Option<String>)>,
    cvss3: Option<(f64, Option<String>)>,
    cves: Vec<String>,
    description: Option<String>,
    solution: Option<String>,
}

fn read_knowledge(r: &mut XmlReader<'_>, kb: &mut HashMap<String, Details>) -> Result<()> {
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) if e.local_name().as_ref() == b"VULN" => {
                let (qid, d) = read_vuln(r)?;
                kb.insert(qid, d);
            }
            Event::End(e) if e.local_name().as_ref() == KNOWLEDGE => return Ok(()),
            Event::Eof => {
                return Err(r.error(
                    "the answer ends inside <KNOWLEDGE_BASE_VULN_LIST_OUTPUT> (truncated?)",
                ))
            }
            _ => {}
        }
    }
}

/// A score with its vector: CVSS (`BASE`, `VECTOR_STRING`) or CVSS_V3 of a KnowledgeBase VULN.
fn read_cvss(r: &mut XmlReader<'_>, end: &[u8]) -> Result<Option<(f64, Option<String>)>> {
    let (mut base, mut vector) = (None, None);
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                let text = read_text(r, &name)?;
                let text = text.trim();
                match name.as_slice() {
                    b"BASE" => {
                        base = text
                            .parse::<f64>()
                            .ok()
                            .filter(|s| (0.0..=10.0).contains(s))
                    }
                    b"VECTOR_STRING" if !text.is_empty() => vector = Some(text.to_string()),
                    _ => {}
                }
            }
            Event::End(e) if e.local_name().as_ref() == end => break,
            Event::Eof => return Err(r.error("the answer ends inside a CVSS score (truncated?)")),
            _ => {}
        }
    }
    Ok(base.map(|b| (b, vector)))
}

fn read_vuln(r: &mut XmlReader<'_>) -> Result<(String, Details)> {
    let mut d = Details::default();
    let mut qid = String::new();
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match name.as_slice() {
                    // Containers whose children are read here.
                    b"CVE_LIST" | b"CVE" => continue,
                    b"CVSS" => {
                        d.cvss2 = read_cvss(r, b"CVSS")?;
                        continue;
                    }
                    b"CVSS_V3" => {
                        d.cvss3 = read_cvss(r, b"CVSS_V3")?;
                        continue;
                    }
                    _ => {}
                }
                let text = read_text(r, &name)?;
                let text = text.trim();
                match name.as_slice() {
                    b"QID" => qid = text.to_string(),
                    b"TITLE" => d.title = markup::to_text(text),
                    b"ID" => crate::cve::cves_in(text, &mut d.cves),
                    b"DIAGNOSIS" if !text.is_empty() => d.description = Some(markup::to_text(text)),
                    b"SOLUTION" if !text.is_empty() => d.solution = Some(markup::to_text(text)),
                    _ => {}
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"VULN" => break,
            Event::Eof => return Err(r.error("the answer ends inside <VULN> (truncated?)")),
            _ => {}
        }
    }
    if qid.is_empty() || !qid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(r.error(format!(
            "a KnowledgeBase <VULN> with QID \"{qid}\": expected a number"
        )));
    }
    Ok((qid, d))
}

/// One HOST: an asset per detection, each seen when its detection last changed (found, or
/// fixed), so that a detection reopened after its fix opens its finding again.
fn read_host(r: &mut XmlReader<'_>, kb: &HashMap<String, Details>) -> Result<Vec<ParsedAsset>> {
    let (mut id, mut ip, mut ipv6, mut dns, mut fqdn, mut netbios, mut os, mut scanned) =
        (None, None, None, None, None, None, None, None);
    let mut detections = Vec::new();
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                b"DETECTION_LIST" | b"DNS_DATA" => {}
                b"DETECTION" => detections.push(read_detection(r, kb)?),
                b"TAGS" | b"METADATA" | b"CLOUD_PROVIDER_TAGS" => {
                    let name = e.local_name().as_ref().to_vec();
                    skip_element(r, &name)?;
                }
                name => {
                    let name = name.to_vec();
                    let text = read_text(r, &name)?;
                    let text = text.trim().to_string();
                    if text.is_empty() {
                        continue;
                    }
                    match name.as_slice() {
                        b"ID" => id = Some(text),
                        b"IP" => ip = Some(text),
                        b"IPV6" => ipv6 = Some(text),
                        b"DNS" => dns = Some(text),
                        b"FQDN" => fqdn = Some(text),
                        b"NETBIOS" => netbios = Some(text),
                        b"OS" => os = Some(text.lines().next().unwrap_or("").trim().to_string()),
                        b"LAST_SCAN_DATETIME" | b"LAST_VM_SCANNED_DATE" => {
                            scanned = scanned.or(utc(&text))
                        }
                        _ => {}
                    }
                }
            },
            Event::End(e) if e.local_name().as_ref() == b"HOST" => break,
            Event::Eof => return Err(r.error("the answer ends inside <HOST> (truncated?)")),
            _ => {}
        }
    }
    let id = id.ok_or_else(|| r.error("<HOST> without its <ID>"))?;
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(r.error(format!("<HOST> with ID \"{id}\": expected a number")));
    }
    let mut ids: Vec<(IdentifierKind, String)> = Vec::new();
    let mut push = |kind, value: &str| {
        let value = value.trim().to_ascii_lowercase();
        if !value.is_empty() && !ids.iter().any(|(k, v)| *k == kind && *v == value) {
            ids.push((kind, value));
        }
    };
    // Qualys's own host id, kept apart from other clouds' ids.
    push(IdentifierKind::CloudId, &format!("qualys:{id}"));
    for name in [&fqdn, &dns].into_iter().flatten() {
        classify_name(name, &mut push);
    }
    for address in [&ip, &ipv6].into_iter().flatten() {
        push(IdentifierKind::Ip, address);
    }
    if let Some(nb) = &netbios {
        push(IdentifierKind::Netbios, nb);
    }
    let label = fqdn
        .or(dns)
        .or(ip)
        .or(netbios)
        .unwrap_or_else(|| format!("Qualys host {id}"));
    Ok(detections
        .into_iter()
        .map(|(finding, changed)| ParsedAsset {
            label: label.clone(),
            identifiers: ids.clone(),
            os: os.clone(),
            scanned_at: changed.or_else(|| scanned.clone()),
            findings: vec![finding],
            ..Default::default()
        })
        .collect())
}

/// One DETECTION, and when it last changed (its last fix when Fixed, else its last sighting).
fn read_detection(
    r: &mut XmlReader<'_>,
    kb: &HashMap<String, Details>,
) -> Result<(ParsedFinding, Option<String>)> {
    let mut f = ParsedFinding::default();
    let (mut port, mut proto, mut kind, mut level, mut status) = (None, None, None, None, None);
    let (mut found, mut fixed) = (None, None);
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                if matches!(name.as_slice(), b"QDS_FACTORS") {
                    skip_element(r, &name)?;
                    continue;
                }
                let text = read_text(r, &name)?;
                let trimmed = text.trim();
                match name.as_slice() {
                    b"QID" => f.scanner_id = trimmed.to_string(),
                    b"TYPE" => kind = Some(trimmed.to_string()),
                    b"SEVERITY" if !trimmed.is_empty() => {
                        level = Some(
                            trimmed
                                .parse::<u8>()
                                .ok()
                                .filter(|l| (1..=5).contains(l))
                                .ok_or_else(|| {
                                    r.error(format!("SEVERITY \"{trimmed}\" is not 1..5"))
                                })?,
                        )
                    }
                    b"PORT" if !trimmed.is_empty() => port = Some(trimmed.to_string()),
                    b"PROTOCOL" if !trimmed.is_empty() => {
                        proto = Some(trimmed.to_ascii_lowercase())
                    }
                    b"RESULTS" if !trimmed.is_empty() => f.evidence = Some(text.clone()),
                    b"STATUS" => status = Some(trimmed.to_string()),
                    b"LAST_FOUND_DATETIME" => found = utc(trimmed),
                    b"LAST_FIXED_DATETIME" => fixed = utc(trimmed),
                    _ => {}
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"DETECTION" => break,
            Event::Eof => return Err(r.error("the answer ends inside <DETECTION> (truncated?)")),
            _ => {}
        }
    }
    if f.scanner_id.is_empty() || !f.scanner_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(r.error(format!(
            "<DETECTION> with QID \"{}\": expected a number",
            f.scanner_id
        )));
    }
    let kind_text = kind.unwrap_or_default();
    let kind = Kind::parse(&kind_text).ok_or_else(|| {
        r.error(format!(
            "QID {}: TYPE \"{kind_text}\" is not Confirmed, Potential or Info",
            f.scanner_id
        ))
    })?;
    let changed = match status.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("fixed") => {
            f.verdict = Some(Verdict {
                status: VerdictStatus::Fixed,
                reason: match &fixed {
                    Some(at) => format!("Qualys: fixed (last fixed {at})"),
                    None => "Qualys: fixed".into(),
                },
            });
            fixed.or(found)
        }
        None | Some("" | "new" | "active" | "re-opened" | "reopened") => found,
        Some(_) => {
            return Err(r.error(format!(
                "QID {}: STATUS \"{}\" is none of New, Active, Re-Opened, Fixed",
                f.scanner_id,
                status.unwrap_or_default()
            )))
        }
    };
    f.location = location(r, &f.scanner_id, port.as_deref(), proto.as_deref())?;
    f.severity = kind.severity(level).or(Some(severity_from_level(1)));
    f.scanner_score = level.map(|l| l.to_string());
    if let Some(d) = kb.get(&f.scanner_id) {
        f.title = d.title.clone();
        f.cvss2 = d.cvss2.clone();
        f.cvss3 = d.cvss3.clone();
        f.cves = d.cves.clone();
        f.description = d.description.clone();
        f.solution = d.solution.clone();
    }
    if f.title.trim().is_empty() {
        f.title = format!("Qualys QID {}", f.scanner_id);
    }
    Ok((f, changed))
}
