//! Rapid7 Nexpose / InsightVM "XML Export" reports: root `<NexposeReport>`, version 2.0 and
//! the older 1.0 of the same shape. (Nexpose Simple XML, `<NeXposeSimpleXML>`, is refused
//! with a message: it has no titles, severities or solutions to import.)
//!
//! Identity: one finding per (node, vulnerability id, location). A test under
//! `endpoints/endpoint` is at "port/protocol" ("53/udp"); a node-level test has no port and
//! is at "0/tcp", as Nessus writes host-level items. Only tests whose status is
//! vulnerable-exploited, vulnerable-version or vulnerable-potential (older exports:
//! "potential") are findings. Severity 0-10 from the vulnerability definition:
//! 9-10 critical, 7-8 high, 4-6 medium, 1-3 low, 0 info. See docs/formats/nexpose.md.
//!
//! The file lists nodes first and `VulnerabilityDefinitions` (titles, severities, CVEs...)
//! after them. The parser keeps one small record per vulnerable test (node, id, location,
//! proof text), then only the definitions those records name, and hands the nodes over at
//! the end. Memory follows the number of findings and distinct vulnerabilities found; the
//! not-vulnerable tests, service fingerprints and configurations are read past.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::events::{BytesStart, Event};

use crate::error::Result;
use crate::openvas::{name_identifiers, normalize_mac, one_line, push_id};
use crate::utc_text;
use crate::xml::{
    attr, eof_inside, push_ref, push_text, read_text, skip_element, truncation_hint, XmlReader,
    MAX_TEXT,
};
use crate::Severity;
use crate::{Format, IdentifierKind, ParsedAsset, ParsedFinding};

pub struct Nexpose;

impl Format for Nexpose {
    fn name(&self) -> &'static str {
        "nexpose"
    }

    fn scanner(&self) -> &'static str {
        "nexpose"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        matches!(
            crate::xml::root_element(head).as_deref(),
            Some("NexposeReport") | Some("NeXposeSimpleXML")
        )
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_host: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let mut r = XmlReader::new(file, input);
        let result = read_export(&mut r, on_host);
        result.map_err(|e| truncation_hint(&mut r, e))
    }
}

fn read_export(
    r: &mut XmlReader<'_>,
    on_host: &mut dyn FnMut(ParsedAsset) -> Result<()>,
) -> Result<()> {
    let mut st = State::default();
    let mut depth = 0usize;
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) if depth == 0 => {
                check_root(r, e.local_name().as_ref())?;
                depth = 1;
            }
            Event::Empty(e) if depth == 0 => {
                check_root(r, e.local_name().as_ref())?;
                return Ok(());
            }
            Event::Empty(e) if e.local_name().as_ref() == b"scan" => read_scan(r, &e, &mut st)?,
            Event::Start(e) if e.local_name().as_ref() == b"scan" => {
                read_scan(r, &e, &mut st)?;
                skip_element(r, b"scan")?;
            }
            Event::Empty(e) if e.local_name().as_ref() == b"vulnerability" => {
                read_definition(r, &e, false, &mut st)?
            }
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match name.as_slice() {
                    b"node" => read_node(r, &e, &mut st)?,
                    b"vulnerability" => read_definition(r, &e, true, &mut st)?,
                    _ => depth += 1,
                }
            }
            Event::End(e) => {
                if e.local_name().as_ref() == b"nodes" {
                    st.nodes_done = true;
                }
                depth -= 1;
                if depth == 0 {
                    return st.finish(on_host);
                }
            }
            Event::Eof => {
                return Err(if depth == 0 {
                    r.error("no <NexposeReport> element: not a Nexpose report")
                } else {
                    r.error("the file ends before </NexposeReport> (truncated?)")
                });
            }
            Event::Text(t) if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) => {
                return Err(r.error("text before the root element: not an XML report"));
            }
            _ => {}
        }
    }
}

fn check_root(r: &XmlReader<'_>, name: &[u8]) -> Result<()> {
    match name {
        b"NexposeReport" => Ok(()),
        b"NeXposeSimpleXML" => Err(r.error(
            "Nexpose Simple XML is not supported: it carries no titles, severities or solutions; \
             export the report as \"XML Export 2.0\" instead",
        )),
        other => Err(r.error(format!(
            "not a Nexpose report: the root element is <{}>, expected <NexposeReport>",
            String::from_utf8_lossy(other)
        ))),
    }
}

/// One vulnerable test, as small as it can be; repeats (same id and location, other `key`,
/// such as each URL a web check fired on) are merged into it.
struct Hit {
    id: String,
    location: String,
    evidence: String,
    /// Repeats whose proof did not fit under [`MAX_EVIDENCE`].
    omitted: usize,
}

/// Proof text kept per finding; repeats past it are counted, not kept.
const MAX_EVIDENCE: usize = 64 * 1024;

#[derive(Default)]
struct Node {
    address: String,
    names: Vec<String>,
    mac: Option<String>,
    /// (certainty, text) of the most certain OS fingerprint.
    os: Option<(f64, String)>,
    scans: HashSet<String>,
    hits: Vec<Hit>,
    /// (id, location) -> index in `hits`.
    index: HashMap<(String, String), usize>,
}

/// A `VulnerabilityDefinitions/vulnerability`, kept only when a finding names it.
#[derive(Default)]
struct Definition {
    title: String,
    severity: Option<(Severity, String)>,
    cvss2: Option<(f64, Option<String>)>,
    cvss3: Option<(f64, Option<String>)>,
    cves: Vec<String>,
    description: Option<String>,
    solution: Option<String>,
    exploit_available: bool,
}

#[derive(Default)]
struct State {
    scans: HashMap<String, DateTime<Utc>>,
    nodes: Vec<Node>,
    /// Vulnerability ids the findings so far name (lower case).
    wanted: HashSet<String>,
    defs: HashMap<String, Definition>,
    /// Past the top-level `</nodes>`: every finding is known, other definitions can go.
    nodes_done: bool,
}

impl State {
    fn finish(self, on_host: &mut dyn FnMut(ParsedAsset) -> Result<()>) -> Result<()> {
        let earliest = self.scans.values().min().copied();
        for node in self.nodes {
            let mut ids: Vec<(IdentifierKind, String)> = Vec::new();
            let mut push = |kind, value: &str| push_id(&mut ids, kind, value);
            for name in &node.names {
                name_identifiers(name, &mut push);
            }
            if let Some(mac) = &node.mac {
                push(IdentifierKind::Mac, mac);
            }
            push(IdentifierKind::Ip, &node.address);
            // The scan(s) its tests name; the earliest, as the report cannot say more.
            let scanned = node
                .scans
                .iter()
                .filter_map(|s| self.scans.get(s))
                .min()
                .copied()
                .or(earliest);
            let findings = node
                .hits
                .into_iter()
                .map(|h| {
                    let d = self.defs.get(&h.id);
                    ParsedFinding {
                        title: d
                            .map(|d| d.title.clone())
                            .filter(|t| !t.is_empty())
                            .unwrap_or_else(|| h.id.clone()),
                        severity: d.and_then(|d| d.severity.as_ref().map(|s| s.0)),
                        scanner_score: d.and_then(|d| d.severity.as_ref().map(|s| s.1.clone())),
                        cvss2: d.and_then(|d| d.cvss2.clone()),
                        cvss3: d.and_then(|d| d.cvss3.clone()),
                        cves: d.map(|d| d.cves.clone()).unwrap_or_default(),
                        description: d.and_then(|d| d.description.clone()),
                        solution: d.and_then(|d| d.solution.clone()),
                        exploit_available: d.is_some_and(|d| d.exploit_available),
                        location: h.location,
                        evidence: evidence(h.evidence, h.omitted),
                        scanner_id: h.id,
                        ..ParsedFinding::default()
                    }
                })
                .collect();
            on_host(ParsedAsset {
                label: node.address,
                identifiers: ids,
                os: node.os.map(|(_, os)| os),
                scanned_at: scanned.map(utc_text),
                findings,
                scanner: None,
                statements: Vec::new(),
            })?;
        }
        Ok(())
    }
}

fn evidence(mut text: String, omitted: usize) -> Option<String> {
    if omitted > 0 {
        text.push_str(&format!("\n\n({omitted} more occurrences not shown)"));
    }
    Some(text).filter(|t| !t.is_empty())
}

/// `<scan id="28959" startTime="20210228T225351463" .../>`.
fn read_scan(r: &XmlReader<'_>, e: &BytesStart<'_>, st: &mut State) -> Result<()> {
    let id = attr(r, e, b"id")?.unwrap_or_default();
    if let Some(t) = attr(r, e, b"startTime")?.as_deref().and_then(time) {
        st.scans.insert(id.trim().to_string(), t);
    }
    Ok(())
}

/// "20210228T225351463": Nexpose's compact time, milliseconds last, no zone (read as UTC).
fn time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    let t = t.get(..15).unwrap_or(t);
    NaiveDateTime::parse_from_str(t, "%Y%m%dT%H%M%S")
        .ok()
        .map(|n| n.and_utc())
}

/// Test statuses that are findings. Excluded: not-vulnerable, skipped-*, error, unknown,
/// and exception-vulnerable-* (suppressed by a vulnerability exception in Nexpose).
fn is_vulnerable(status: &str) -> bool {
    matches!(
        status.trim().to_ascii_lowercase().as_str(),
        "vulnerable-exploited" | "vulnerable-version" | "vulnerable-potential" | "potential"
    )
}

/// A `<node>` with its tests, node-level and per endpoint.
fn read_node(r: &mut XmlReader<'_>, start: &BytesStart<'_>, st: &mut State) -> Result<()> {
    let address = attr(r, start, b"address")?.unwrap_or_default();
    if address.trim().is_empty() {
        return Err(r.error("a <node> without an address"));
    }
    let mut node = Node {
        address: address.trim().to_string(),
        mac: attr(r, start, b"hardware-address")?
            .as_deref()
            .and_then(normalize_mac),
        ..Node::default()
    };
    // Elements open inside the node, and the port/protocol of the endpoint we are in.
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut location: Option<String> = None;
    loop {
        let ev = r.next()?.into_owned();
        let (e, is_start) = match ev {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(_) => {
                match path.pop() {
                    None => break,
                    Some(name) if name == b"endpoint" => location = None,
                    Some(_) => {}
                }
                continue;
            }
            Event::Eof => return Err(eof_inside(r, b"node")),
            _ => continue,
        };
        let name = e.local_name().as_ref().to_vec();
        let parent = path.last().map(Vec::as_slice);
        match (parent, name.as_slice()) {
            (Some(b"fingerprints"), b"os") if path.len() == 1 => {
                if let Some((certainty, text)) = os_text(r, &e)? {
                    if node.os.as_ref().is_none_or(|(c, _)| certainty > *c) {
                        node.os = Some((certainty, text));
                    }
                }
                if is_start {
                    skip_element(r, &name)?;
                }
            }
            (Some(b"names"), b"name") if is_start => {
                let n = read_text(r, &name)?.trim().to_string();
                if !n.is_empty() && !node.names.contains(&n) {
                    node.names.push(n);
                }
            }
            (_, b"test") => {
                let at = location.clone().unwrap_or_else(|| "0/tcp".to_string());
                read_test(r, &e, is_start, at, &mut node, st)?;
            }
            (_, b"vulnerability") => read_definition(r, &e, is_start, st)?,
            (_, b"endpoint") if is_start => {
                let port = attr(r, &e, b"port")?.unwrap_or_default();
                let proto = attr(r, &e, b"protocol")?.unwrap_or_default();
                let port = if port.trim().is_empty() {
                    "0"
                } else {
                    port.trim()
                };
                let proto = if proto.trim().is_empty() {
                    "tcp".to_string()
                } else {
                    proto.trim().to_ascii_lowercase()
                };
                location = Some(format!("{port}/{proto}"));
                path.push(name);
            }
            // Service fingerprints and configurations: not needed.
            (_, b"fingerprint" | b"configuration" | b"configurations") if is_start => {
                skip_element(r, &name)?
            }
            _ if is_start => path.push(name),
            _ => {}
        }
    }
    st.nodes.push(node);
    Ok(())
}

/// `<os certainty="0.67" vendor="Linux" product="Linux" version="2.6.32"/>` -> "Linux 2.6.32".
fn os_text(r: &XmlReader<'_>, e: &BytesStart<'_>) -> Result<Option<(f64, String)>> {
    let certainty = attr(r, e, b"certainty")?
        .and_then(|c| c.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    let vendor = attr(r, e, b"vendor")?.unwrap_or_default();
    let product = attr(r, e, b"product")?
        .or(attr(r, e, b"family")?)
        .unwrap_or_default();
    let version = attr(r, e, b"version")?.unwrap_or_default();
    let mut parts: Vec<&str> = Vec::new();
    if !product.trim().starts_with(vendor.trim()) || product.trim().is_empty() {
        parts.push(vendor.trim());
    }
    parts.push(product.trim());
    parts.push(version.trim());
    let text = parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Some(text).filter(|t| !t.is_empty()).map(|t| (certainty, t)))
}

/// A `<test id="..." status="..." scan-id="...">proof</test>`: a finding when vulnerable.
fn read_test(
    r: &mut XmlReader<'_>,
    e: &BytesStart<'_>,
    is_start: bool,
    location: String,
    node: &mut Node,
    st: &mut State,
) -> Result<()> {
    let id = attr(r, e, b"id")?
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let status = attr(r, e, b"status")?.unwrap_or_default();
    if let Some(scan) = attr(r, e, b"scan-id")? {
        if !scan.trim().is_empty() {
            node.scans.insert(scan.trim().to_string());
        }
    }
    if !is_vulnerable(&status) {
        if is_start {
            skip_element(r, b"test")?;
        }
        return Ok(());
    }
    if id.is_empty() {
        return Err(r.error("a vulnerable <test> without an id"));
    }
    let key = attr(r, e, b"key")?.unwrap_or_default().trim().to_string();
    let proof = if is_start {
        read_rich(r, b"test")?
    } else {
        String::new()
    };
    // "[/cgi-bin/x.asp] HTTP request to ...": the key says which instance the proof is about.
    let proof = match (key.is_empty(), proof.is_empty()) {
        (true, _) => proof,
        (false, true) => format!("[{key}]"),
        (false, false) => format!("[{key}] {proof}"),
    };
    st.wanted.insert(id.clone());
    match node.index.get(&(id.clone(), location.clone())) {
        Some(&i) => {
            let hit = &mut node.hits[i];
            if proof.is_empty() || hit.evidence.contains(&proof) {
                // nothing new to say
            } else if hit.evidence.len() + proof.len() > MAX_EVIDENCE {
                hit.omitted += 1;
            } else {
                if !hit.evidence.is_empty() {
                    hit.evidence.push_str("\n\n");
                }
                hit.evidence.push_str(&proof);
            }
        }
        None => {
            node.index
                .insert((id.clone(), location.clone()), node.hits.len());
            node.hits.push(Hit {
                id,
                location,
                evidence: proof,
                omitted: 0,
            });
        }
    }
    Ok(())
}

/// A `VulnerabilityDefinitions/vulnerability`; read only if a finding needs it (or may:
/// while nodes are still to come).
fn read_definition(
    r: &mut XmlReader<'_>,
    e: &BytesStart<'_>,
    is_start: bool,
    st: &mut State,
) -> Result<()> {
    let id = attr(r, e, b"id")?
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let wanted =
        !id.is_empty() && !st.defs.contains_key(&id) && (!st.nodes_done || st.wanted.contains(&id));
    if !wanted {
        return if is_start {
            skip_element(r, b"vulnerability")
        } else {
            Ok(())
        };
    }
    let mut d = Definition {
        title: one_line(&attr(r, e, b"title")?.unwrap_or_default()),
        ..Definition::default()
    };
    if let Some(s) = attr(r, e, b"severity")? {
        let s = s.trim().to_string();
        let v: f64 = s
            .parse()
            .ok()
            .filter(|v| (0.0..=10.0).contains(v))
            .ok_or_else(|| r.error(format!("vulnerability {id}: severity \"{s}\" is not 0..10")))?;
        d.severity = Some((from_level(v), s));
    }
    let score = |name: &[u8]| -> Result<Option<f64>> {
        Ok(attr(r, e, name)?.and_then(|s| s.trim().parse::<f64>().ok()))
    };
    let vector = |name: &[u8]| -> Result<Option<String>> {
        Ok(attr(r, e, name)?
            .map(|v| {
                v.trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .to_string()
            })
            .filter(|v| !v.is_empty()))
    };
    if let Some(s) = score(b"cvssScore")? {
        let v = vector(b"cvssVector")?;
        if v.as_deref().is_some_and(|v| v.starts_with("CVSS:3")) {
            d.cvss3 = Some((s, v));
        } else {
            d.cvss2 = Some((s, v));
        }
    }
    if let Some(s) = score(b"cvssV3Score")? {
        d.cvss3 = Some((s, vector(b"cvssV3Vector")?));
    }
    // An empty <vulnerability .../> has only its attributes.
    if is_start {
        read_definition_body(r, &mut d)?;
    }
    st.defs.insert(id, d);
    Ok(())
}

/// The children of a definition: description, solution, CVE references, exploits.
fn read_definition_body(r: &mut XmlReader<'_>, d: &mut Definition) -> Result<()> {
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(c) => {
                let name = c.local_name().as_ref().to_vec();
                match name.as_slice() {
                    b"description" => {
                        d.description = Some(read_rich(r, &name)?).filter(|t| !t.is_empty())
                    }
                    b"solution" => {
                        d.solution = Some(read_rich(r, &name)?).filter(|t| !t.is_empty())
                    }
                    b"references" | b"exploits" => {} // children below
                    b"reference" => {
                        let source = attr(r, &c, b"source")?.unwrap_or_default();
                        let text = read_text(r, &name)?;
                        if source.trim().eq_ignore_ascii_case("CVE") {
                            crate::cve::cves_in(&text, &mut d.cves);
                        }
                    }
                    b"exploit" => {
                        d.exploit_available = true;
                        skip_element(r, &name)?;
                    }
                    _ => skip_element(r, &name)?,
                }
            }
            Event::Empty(c) if c.local_name().as_ref() == b"exploit" => d.exploit_available = true,
            Event::End(c) if c.local_name().as_ref() == b"vulnerability" => break,
            Event::Eof => return Err(eof_inside(r, b"vulnerability")),
            _ => {}
        }
    }
    Ok(())
}

/// Nexpose's 0-10 severity: 9-10 critical, 7-8 high, 4-6 medium, 1-3 low, 0 info.
pub(super) fn from_level(v: f64) -> Severity {
    if v >= 9.0 {
        Severity::Critical
    } else if v >= 7.0 {
        Severity::High
    } else if v >= 4.0 {
        Severity::Medium
    } else if v >= 1.0 {
        Severity::Low
    } else {
        Severity::Info
    }
}

/// Nexpose's rich text (`ContainerBlockElement`, `Paragraph`, `UnorderedList`, `ListItem`,
/// `URLLink` ...) as plain text: paragraphs separated by a blank line, list items as
/// "- " lines, links as their text or URL, runs of white space collapsed.
fn read_rich(r: &mut XmlReader<'_>, end: &[u8]) -> Result<String> {
    let mut out = String::new();
    let mut run = String::new();
    // Per open URLLink: its URL and where its text starts.
    let mut links: Vec<(Option<String>, usize)> = Vec::new();
    let mut depth = 0usize;
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Text(t) => push_text(r, &mut run, &t)?,
            Event::GeneralRef(e) => push_ref(r, &mut run, &e)?,
            Event::CData(c) => push_text(r, &mut run, &c)?,
            Event::Start(e) => {
                flush(&mut out, &mut run);
                depth += 1;
                match e.local_name().as_ref() {
                    b"ListItem" => {
                        line(&mut out);
                        out.push_str("- ");
                    }
                    b"UnorderedList" | b"OrderedList" => line(&mut out),
                    b"URLLink" => links.push((attr(r, &e, b"LinkURL")?, out.len())),
                    _ => block(&mut out),
                }
            }
            Event::Empty(e) => {
                flush(&mut out, &mut run);
                if e.local_name().as_ref() == b"URLLink" {
                    if let Some(url) = attr(r, &e, b"LinkURL")? {
                        run.push_str(&format!(" {url} "));
                        flush(&mut out, &mut run);
                    }
                }
            }
            Event::End(e) => {
                flush(&mut out, &mut run);
                if depth == 0 {
                    break;
                }
                depth -= 1;
                match e.local_name().as_ref() {
                    b"ListItem" | b"UnorderedList" | b"OrderedList" => line(&mut out),
                    b"URLLink" => {
                        if let Some((Some(url), at)) = links.pop() {
                            if out.len() <= at || out[at..].trim().is_empty() {
                                run.push_str(&format!(" {url} "));
                                flush(&mut out, &mut run);
                            }
                        }
                    }
                    _ => block(&mut out),
                }
            }
            Event::Eof => return Err(eof_inside(r, end)),
            _ => {}
        }
        if out.len() + run.len() > MAX_TEXT {
            return Err(r.error(format!(
                "a text field is larger than {} MB",
                MAX_TEXT / (1024 * 1024)
            )));
        }
    }
    let mut text = String::new();
    let mut blank = false;
    for l in out.lines().map(str::trim_end) {
        if l.is_empty() {
            blank = !text.is_empty();
            continue;
        }
        if blank {
            text.push('\n');
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(l);
        blank = false;
    }
    Ok(text)
}

/// Moves a run of text into `out`, white space collapsed but kept where it separates words.
fn flush(out: &mut String, run: &mut String) {
    if run.is_empty() {
        return;
    }
    let lead = run.starts_with(char::is_whitespace);
    let trail = run.ends_with(char::is_whitespace);
    let words: Vec<&str> = run.split_whitespace().collect();
    let after_space = |o: &String| o.is_empty() || o.ends_with(char::is_whitespace);
    if (lead || words.is_empty()) && !after_space(out) {
        out.push(' ');
    }
    if !words.is_empty() {
        out.push_str(&words.join(" "));
        if trail {
            out.push(' ');
        }
    }
    run.clear();
}

fn trim_spaces(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
}

/// Starts a new paragraph (unless at the start of a list item).
fn block(out: &mut String) {
    if out.ends_with("- ") {
        return;
    }
    trim_spaces(out);
    if out.is_empty() || out.ends_with("\n\n") {
        return;
    }
    out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
}

/// Starts a new line.
fn line(out: &mut String) {
    trim_spaces(out);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}
