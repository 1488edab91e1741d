//! OpenVAS / Greenbone (GVM) XML reports: the `<report>` a GMP `get_reports` export writes
//! (also accepted wrapped in `<get_reports_response>`).
//!
//! Identity: one finding per (host, NVT OID, port). The NVT OID is the scanner id.
//! Severity comes from the result's numeric `<severity>` (after any Greenbone overrides),
//! CVSS-like: >= 9.0 critical, >= 7.0 high, >= 4.0 medium, > 0 low, 0 info; without a
//! number, from `<threat>`. Results Greenbone marks False Positive (-1), Debug (-2) or
//! Error (-3) are not findings and are skipped. See docs/formats/openvas.md.
//!
//! Results come before the `<host>` elements that carry host details (host name, OS, MAC,
//! scan start), so the parser holds, per host, one small record per result (location,
//! severity, the result's own text) and the NVT data once per OID, and hands the hosts over
//! at the end of the report. Memory follows the number of results, not the file size: the
//! rest of the report (ports, filters, preferences...) is read past without being kept.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::events::{BytesStart, Event};

use crate::error::Result;
use crate::utc_text;
use crate::xml::{attr, eof_inside, read_text, skip_element, truncation_hint, XmlReader};
use crate::Severity;
use crate::{Format, IdentifierKind, ParsedAsset, ParsedFinding};

pub struct OpenVas;

impl Format for OpenVas {
    fn name(&self) -> &'static str {
        "openvas"
    }

    fn scanner(&self) -> &'static str {
        "openvas"
    }

    /// The root is `<report>` (or `<get_reports_response>`) and the head has a GMP report's
    /// telltale elements: other tools' `<report>` roots lack them.
    fn sniff(&self, head: &[u8]) -> bool {
        match crate::xml::root_element(head).as_deref() {
            Some("report") | Some("get_reports_response") => {
                let text = String::from_utf8_lossy(head);
                [
                    "<results",
                    "<scan_run_status",
                    "<gmp>",
                    "<omp>",
                    "<report_format",
                    "<nvt ",
                ]
                .iter()
                .any(|m| text.contains(m))
            }
            _ => false,
        }
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_host: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let mut r = XmlReader::new(file, input);
        let result = read_report(&mut r, on_host);
        result.map_err(|e| truncation_hint(&mut r, e))
    }
}

fn read_report(
    r: &mut XmlReader<'_>,
    on_host: &mut dyn FnMut(ParsedAsset) -> Result<()>,
) -> Result<()> {
    let mut report = Report::default();
    // Element names from the root down to the current element.
    let mut path: Vec<Vec<u8>> = Vec::new();
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                if path.is_empty() {
                    check_root(r, &name)?;
                }
                let parent = path.last().map(Vec::as_slice);
                match (parent, name.as_slice()) {
                    (Some(b"results"), b"result") => read_result(r, &mut report)?,
                    (Some(b"report"), b"host") => read_host(r, &mut report)?,
                    (Some(b"report"), b"scan_start") => {
                        report.scan_start = time(&read_text(r, &name)?)
                    }
                    (Some(b"report"), b"timestamp") => {
                        report.timestamp = time(&read_text(r, &name)?)
                    }
                    (Some(b"gmp"), b"version") => {
                        report.gmp_version = Some(read_text(r, &name)?.trim().to_string())
                    }
                    // Big or irrelevant subtrees, read past.
                    (_, b"ports" | b"filters" | b"scan" | b"errors" | b"report_format") => {
                        skip_element(r, &name)?
                    }
                    _ => path.push(name),
                }
            }
            Event::Empty(e) if path.is_empty() => {
                check_root(r, e.local_name().as_ref())?;
                return Ok(());
            }
            Event::End(_) => {
                path.pop();
                if path.is_empty() {
                    return report.finish(on_host);
                }
            }
            Event::Eof => {
                return Err(if path.is_empty() {
                    r.error("no <report> element: not an OpenVAS report")
                } else {
                    r.error("the file ends before </report> (truncated?)")
                });
            }
            Event::Text(t) if path.is_empty() && !t.iter().all(u8::is_ascii_whitespace) => {
                return Err(r.error("text before the root element: not an XML report"));
            }
            _ => {}
        }
    }
}

fn check_root(r: &XmlReader<'_>, name: &[u8]) -> Result<()> {
    if name != b"report" && name != b"get_reports_response" {
        return Err(r.error(format!(
            "not an OpenVAS report: the root element is <{}>, expected <report>",
            String::from_utf8_lossy(name)
        )));
    }
    Ok(())
}

/// What the NVT says, kept once per OID.
#[derive(Default)]
struct Nvt {
    title: String,
    cves: Vec<String>,
    cvss2: Option<(f64, Option<String>)>,
    cvss3: Option<(f64, Option<String>)>,
    cvss4: Option<(f64, Option<String>)>,
    description: Option<String>,
    solution: Option<String>,
}

/// One result, as small as it can be.
struct Hit {
    oid: String,
    location: String,
    severity: Severity,
    score: String,
    evidence: Option<String>,
}

#[derive(Default)]
struct Host {
    ip: String,
    names: Vec<String>,
    os: Option<String>,
    mac: Vec<String>,
    start: Option<DateTime<Utc>>,
    hits: Vec<Hit>,
}

#[derive(Default)]
struct Report {
    nvts: HashMap<String, Nvt>,
    hosts: Vec<Host>,
    by_ip: HashMap<String, usize>,
    scan_start: Option<DateTime<Utc>>,
    timestamp: Option<DateTime<Utc>>,
    gmp_version: Option<String>,
}

impl Report {
    fn host(&mut self, ip: &str) -> &mut Host {
        let ip = ip.trim().to_ascii_lowercase();
        let i = match self.by_ip.get(&ip) {
            Some(i) => *i,
            None => {
                self.hosts.push(Host {
                    ip: ip.clone(),
                    ..Host::default()
                });
                self.by_ip.insert(ip, self.hosts.len() - 1);
                self.hosts.len() - 1
            }
        };
        &mut self.hosts[i]
    }

    /// Before GMP 21.4 (GVM 21.04) `cvss_base` was by definition a CVSS v2 base score;
    /// later reports name the version with a vector or a typed `<severities>` entry.
    fn bare_score_is_cvss2(&self) -> bool {
        let Some(v) = &self.gmp_version else {
            return true;
        };
        let mut parts = v.split('.').map(|p| p.trim().parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        (major, minor) < (21, 4)
    }

    fn finish(self, on_host: &mut dyn FnMut(ParsedAsset) -> Result<()>) -> Result<()> {
        let fallback = self.scan_start.or(self.timestamp);
        for host in self.hosts {
            let mut ids: Vec<(IdentifierKind, String)> = Vec::new();
            let mut push = |kind, value: &str| push_id(&mut ids, kind, value);
            for name in &host.names {
                name_identifiers(name, &mut push);
            }
            for mac in &host.mac {
                if let Some(m) = normalize_mac(mac) {
                    push(IdentifierKind::Mac, &m);
                }
            }
            // The address is what OpenVAS scanned; kept as written (samples have invalid ones).
            push(IdentifierKind::Ip, &host.ip);
            let findings = host
                .hits
                .into_iter()
                .map(|h| {
                    let nvt = self.nvts.get(&h.oid);
                    ParsedFinding {
                        title: nvt
                            .map(|n| n.title.clone())
                            .filter(|t| !t.is_empty())
                            .unwrap_or_else(|| format!("OpenVAS NVT {}", h.oid)),
                        severity: Some(h.severity),
                        scanner_score: Some(h.score),
                        cvss2: nvt.and_then(|n| n.cvss2.clone()),
                        cvss3: nvt.and_then(|n| n.cvss3.clone()),
                        cvss4: nvt.and_then(|n| n.cvss4.clone()),
                        cves: nvt.map(|n| n.cves.clone()).unwrap_or_default(),
                        description: nvt.and_then(|n| n.description.clone()),
                        solution: nvt.and_then(|n| n.solution.clone()),
                        location: h.location,
                        evidence: h.evidence,
                        scanner_id: h.oid,
                        ..ParsedFinding::default()
                    }
                })
                .collect();
            on_host(ParsedAsset {
                label: host.ip,
                identifiers: ids,
                os: host.os,
                scanned_at: host.start.or(fallback).map(utc_text),
                findings,
                scanner: None,
                statements: Vec::new(),
            })?;
        }
        Ok(())
    }
}

/// A `<result>`: kept as a small record on its host, its NVT once per OID.
fn read_result(r: &mut XmlReader<'_>, report: &mut Report) -> Result<()> {
    let mut ip = String::new();
    let mut hostname = String::new();
    let mut port = String::new();
    let mut threat = String::new();
    let mut severity: Option<String> = None;
    let mut evidence = None;
    let mut oid = String::new();
    let mut nvt: Option<Nvt> = None;
    let mut result_name = String::new();
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match name.as_slice() {
                    b"host" => (ip, hostname) = read_result_host(r)?,
                    b"port" => port = read_text(r, &name)?.trim().to_string(),
                    b"threat" => threat = read_text(r, &name)?.trim().to_string(),
                    b"severity" => severity = Some(read_text(r, &name)?.trim().to_string()),
                    b"name" => result_name = one_line(&read_text(r, &name)?),
                    b"description" => {
                        let d = tidy(&read_text(r, &name)?);
                        if !d.is_empty() {
                            evidence = Some(d);
                        }
                    }
                    b"nvt" => {
                        oid = attr(r, &e, b"oid")?.unwrap_or_default().trim().to_string();
                        if report.nvts.contains_key(&oid) {
                            skip_element(r, &name)?;
                        } else {
                            nvt = Some(read_nvt(r, report)?);
                        }
                    }
                    _ => skip_element(r, &name)?,
                }
            }
            Event::End(_) => break,
            Event::Eof => return Err(eof_inside(r, b"result")),
            _ => {}
        }
    }
    if ip.is_empty() {
        return Err(r.error("a <result> without a <host> address"));
    }
    if oid.is_empty() {
        return Err(r.error("a <result> without an NVT OID (<nvt oid=\"...\">)"));
    }
    let Some((sev, score)) = result_severity(r, severity.as_deref(), &threat)? else {
        // Not a finding, but the host was scanned.
        let host = report.host(&ip);
        if !hostname.is_empty() && !host.names.contains(&hostname) {
            host.names.push(hostname);
        }
        return Ok(());
    };
    if let Some(mut n) = nvt {
        if n.title.is_empty() {
            n.title = result_name;
        }
        report.nvts.insert(oid.clone(), n);
    }
    let host = report.host(&ip);
    if !hostname.is_empty() && !host.names.contains(&hostname) {
        host.names.push(hostname);
    }
    host.hits.push(Hit {
        oid,
        location: if port.is_empty() {
            "general/tcp".to_string()
        } else {
            port
        },
        severity: sev,
        score,
        evidence,
    });
    Ok(())
}

/// `<host>10.0.0.1<asset asset_id="..."/><hostname>web01</hostname></host>`.
fn read_result_host(r: &mut XmlReader<'_>) -> Result<(String, String)> {
    let mut ip = String::new();
    let mut hostname = String::new();
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Text(t) => crate::xml::push_text(r, &mut ip, &t)?,
            Event::GeneralRef(e) => crate::xml::push_ref(r, &mut ip, &e)?,
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                if name == b"hostname" {
                    hostname = read_text(r, &name)?.trim().to_string();
                } else {
                    skip_element(r, &name)?;
                }
            }
            Event::End(_) => return Ok((ip.trim().to_string(), hostname)),
            Event::Eof => return Err(eof_inside(r, b"host")),
            _ => {}
        }
    }
}

/// The severity of a result, and the score text kept with it; `None` for results that are
/// not findings (False Positive, Debug, Error: negative severities in Greenbone).
fn result_severity(
    r: &XmlReader<'_>,
    severity: Option<&str>,
    threat: &str,
) -> Result<Option<(Severity, String)>> {
    let threat_l = threat.to_ascii_lowercase();
    if matches!(threat_l.as_str(), "false positive" | "debug" | "error") {
        return Ok(None);
    }
    if let Some(s) = severity.filter(|s| !s.is_empty()) {
        let v: f64 = s
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| r.error(format!("result severity \"{s}\" is not a number")))?;
        if v < 0.0 {
            return Ok(None);
        }
        if v > 10.0 {
            return Err(r.error(format!("result severity \"{s}\" is not 0..10")));
        }
        return Ok(Some((from_score(v), s.to_string())));
    }
    let sev = match threat_l.as_str() {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        "log" | "" => Severity::Info,
        _ => return Err(r.error(format!("result threat \"{threat}\" is not a known level"))),
    };
    let score = if threat.is_empty() { "Log" } else { threat };
    Ok(Some((sev, score.to_string())))
}

/// CVSS-like bands on a 0..10 score.
pub(super) fn from_score(v: f64) -> Severity {
    if v >= 9.0 {
        Severity::Critical
    } else if v >= 7.0 {
        Severity::High
    } else if v >= 4.0 {
        Severity::Medium
    } else if v > 0.0 {
        Severity::Low
    } else {
        Severity::Info
    }
}

/// `<nvt>`: name, CVEs, CVSS, summary and solution.
fn read_nvt(r: &mut XmlReader<'_>, report: &Report) -> Result<Nvt> {
    let mut n = Nvt::default();
    let mut cvss_base: Option<f64> = None;
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut solution_el = None;
    // (type, score, vector) from <severities>.
    let mut typed: Vec<(String, Option<f64>, Option<String>)> = Vec::new();
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Empty(e) if e.local_name().as_ref() == b"ref" => read_ref(r, &e, &mut n)?,
            Event::Start(e) if e.local_name().as_ref() == b"ref" => {
                read_ref(r, &e, &mut n)?;
                skip_element(r, b"ref")?;
            }
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match name.as_slice() {
                    b"name" => n.title = one_line(&read_text(r, &name)?),
                    b"cvss_base" => cvss_base = read_text(r, &name)?.trim().parse().ok(),
                    b"tags" => tags = split_tags(&read_text(r, &name)?),
                    b"solution" => solution_el = Some(tidy(&read_text(r, &name)?)),
                    // Older GMP: <cve>CVE-1, CVE-2</cve> (or NOCVE).
                    b"cve" => {
                        for c in read_text(r, &name)?.split([',', ' ', '\n', '\t']) {
                            push_cve(&mut n.cves, c);
                        }
                    }
                    b"refs" => {} // its <ref> children are handled above
                    b"severities" => {}
                    b"severity" => {
                        let kind = attr(r, &e, b"type")?.unwrap_or_default();
                        typed.push(read_typed_severity(r, kind)?);
                    }
                    _ => skip_element(r, &name)?,
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"nvt" => break,
            Event::Eof => return Err(eof_inside(r, b"nvt")),
            _ => {}
        }
    }
    let tag = |k: &str| {
        tags.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| tidy(v))
            .filter(|v| !v.is_empty())
    };
    // CVSS: a typed <severities> entry first, else a vector tag with cvss_base, else
    // cvss_base alone when the report's version says that is CVSS v2.
    for (kind, score, vector) in typed {
        let slot = match kind.as_str() {
            "cvss_base_v2" => &mut n.cvss2,
            "cvss_base_v3" => &mut n.cvss3,
            "cvss_base_v4" => &mut n.cvss4,
            _ => continue,
        };
        if let Some(s) = score.or(cvss_base) {
            *slot = Some((s, vector.filter(|v| !v.is_empty())));
        }
    }
    if n.cvss2.is_none() && n.cvss3.is_none() && n.cvss4.is_none() {
        if let Some(score) = cvss_base {
            match tag("severity_vector").or_else(|| tag("cvss_base_vector")) {
                Some(v) if v.starts_with("CVSS:4") => n.cvss4 = Some((score, Some(v))),
                Some(v) if v.starts_with("CVSS:3") => n.cvss3 = Some((score, Some(v))),
                Some(v) => n.cvss2 = Some((score, Some(v))),
                None if report.bare_score_is_cvss2() => n.cvss2 = Some((score, None)),
                None => {}
            }
        }
    }
    let mut description = String::new();
    for (key, label) in [
        ("summary", ""),
        ("insight", "Insight: "),
        ("affected", "Affected: "),
        ("impact", "Impact: "),
    ] {
        if let Some(v) = tag(key) {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(label);
            description.push_str(&v);
        }
    }
    n.description = Some(description).filter(|d| !d.is_empty());
    n.solution = solution_el
        .filter(|s| !s.is_empty())
        .or_else(|| tag("solution"));
    Ok(n)
}

/// `<ref type="cve" id="CVE-2023-4573"/>`: CVEs kept, other references (URLs, CERT ...) not.
fn read_ref(r: &XmlReader<'_>, e: &BytesStart<'_>, n: &mut Nvt) -> Result<()> {
    let kind = attr(r, e, b"type")?.unwrap_or_default();
    if kind.eq_ignore_ascii_case("cve") {
        if let Some(id) = attr(r, e, b"id")? {
            push_cve(&mut n.cves, &id);
        }
    }
    Ok(())
}

/// `<severity type="cvss_base_v3"><origin/><date/><score>9.8</score><value>CVSS:3.1/...</value></severity>`.
fn read_typed_severity(
    r: &mut XmlReader<'_>,
    kind: String,
) -> Result<(String, Option<f64>, Option<String>)> {
    let mut score = None;
    let mut vector = None;
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match name.as_slice() {
                    b"score" => score = read_text(r, &name)?.trim().parse().ok(),
                    b"value" => vector = Some(read_text(r, &name)?.trim().to_string()),
                    _ => skip_element(r, &name)?,
                }
            }
            Event::End(_) => return Ok((kind, score, vector)),
            Event::Eof => return Err(eof_inside(r, b"severity")),
            _ => {}
        }
    }
}

/// Titles are wrapped in some exports: white space runs become one space.
pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Greenbone text as written, minus the indentation a pretty-printed export adds: the
/// lines after the first lose their common leading white space, every line its trailing
/// white space, and the whole is trimmed. Relative indentation (lists) is kept.
fn tidy(text: &str) -> String {
    let text = text.trim();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").trim_end();
    let rest: Vec<&str> = lines.map(str::trim_end).collect();
    let blanks = |l: &str| l.bytes().take_while(|b| *b == b' ' || *b == b'\t').count();
    let indent = rest
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| blanks(l))
        .min()
        .unwrap_or(0);
    let mut out = first.to_string();
    for l in rest {
        out.push('\n');
        // ASCII blanks only: cutting there is always on a character boundary.
        out.push_str(&l[blanks(l).min(indent)..]);
    }
    out
}

/// `summary=...|insight=...|solution=...`: Greenbone's tag list.
fn split_tags(text: &str) -> Vec<(String, String)> {
    text.split('|')
        .filter_map(|part| {
            let (k, v) = part.split_once('=')?;
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

fn push_cve(cves: &mut Vec<String>, text: &str) {
    crate::cve::cves_in(text, cves);
}

/// A report-level `<host>`: address, scan start and host details.
fn read_host(r: &mut XmlReader<'_>, report: &mut Report) -> Result<()> {
    let mut ip = String::new();
    let mut start = None;
    let mut details: Vec<(String, String)> = Vec::new();
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match name.as_slice() {
                    b"ip" => ip = read_text(r, &name)?.trim().to_string(),
                    b"start" => start = time(&read_text(r, &name)?),
                    b"detail" => {
                        if let Some(d) = read_detail(r)? {
                            details.push(d);
                        }
                    }
                    _ => skip_element(r, &name)?,
                }
            }
            Event::End(_) => break,
            Event::Eof => return Err(eof_inside(r, b"host")),
            _ => {}
        }
    }
    if ip.is_empty() {
        return Ok(()); // nothing to attach it to
    }
    let host = report.host(&ip);
    if host.start.is_none() {
        host.start = start;
    }
    let mut os_txt = None;
    let mut os_cpe = None;
    for (name, value) in details {
        let value = value.trim().to_string();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "hostname" | "DNS-via-TargetDefinition" if !host.names.contains(&value) => {
                host.names.push(value)
            }
            "MAC" => host.mac.push(value),
            "best_os_txt" => os_txt = Some(value),
            "best_os_cpe" => os_cpe = Some(value),
            _ => {}
        }
    }
    if let Some(os) = os_txt.or(os_cpe) {
        host.os = Some(os);
    }
    Ok(())
}

/// `<detail><name>hostname</name><value>web01</value><source>...</source></detail>`.
fn read_detail(r: &mut XmlReader<'_>) -> Result<Option<(String, String)>> {
    let mut name = None;
    let mut value = None;
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let el = e.local_name().as_ref().to_vec();
                match el.as_slice() {
                    b"name" => name = Some(read_text(r, &el)?.trim().to_string()),
                    b"value" => value = Some(read_text(r, &el)?),
                    _ => skip_element(r, &el)?,
                }
            }
            Event::End(_) => return Ok(name.zip(value)),
            Event::Eof => return Err(eof_inside(r, b"detail")),
            _ => {}
        }
    }
}

/// RFC 3339 with any offset ("2025-08-22T15:01:38+02:00"), or the ctime text older
/// OpenVAS wrote ("Mon Sep 25 10:46:09 2017", read as UTC). Unreadable: none.
fn time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(t, "%a %b %e %H:%M:%S %Y")
                .ok()
                .map(|n| n.and_utc())
        })
}

pub(super) fn push_id(ids: &mut Vec<(IdentifierKind, String)>, kind: IdentifierKind, value: &str) {
    let value = value.trim().to_ascii_lowercase();
    if !value.is_empty() && !ids.iter().any(|(k, v)| *k == kind && *v == value) {
        ids.push((kind, value));
    }
}

/// A host name: an FQDN (and its first label as the short name) or a short name.
pub(super) fn name_identifiers(name: &str, push: &mut impl FnMut(IdentifierKind, &str)) {
    let name = name.trim().trim_end_matches('.');
    if name.is_empty() || name.parse::<std::net::IpAddr>().is_ok() {
        return;
    }
    if name.contains('.') {
        push(IdentifierKind::Fqdn, name);
        if let Some(short) = name.split('.').next() {
            push(IdentifierKind::Hostname, short);
        }
    } else {
        push(IdentifierKind::Hostname, name);
    }
}

/// "001122334455", "00-11-22-33-44-55", "00:11:22:33:44:55" -> "00:11:22:33:44:55".
pub(super) fn normalize_mac(text: &str) -> Option<String> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.' | ' '))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    Some(
        (0..6)
            .map(|i| &hex[i * 2..i * 2 + 2])
            .collect::<Vec<_>>()
            .join(":"),
    )
}
