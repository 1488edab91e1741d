//! Tenable Nessus `.nessus` files (NessusClientData_v2).
//! Identity: (ReportHost, pluginID, port, protocol). Severity attribute 0..4 maps to
//! info, low, medium, high, critical; `risk_factor` is kept as the scanner's own score.

use std::io::BufRead;

use chrono::{NaiveDateTime, TimeZone, Utc};
use quick_xml::events::{BytesStart, Event};

use crate::error::Result;
use crate::utc_text;
use crate::xml::{attr_value, eof_in_document, expect_root, read_text, XmlReader};
use crate::Severity;
use crate::{Format, IdentifierKind, ParsedAsset, ParsedFinding};

pub struct Nessus;

impl Format for Nessus {
    fn name(&self) -> &'static str {
        "nessus"
    }

    fn scanner(&self) -> &'static str {
        "nessus"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = String::from_utf8_lossy(head);
        head.contains("<NessusClientData_v2")
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_host: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let mut r = XmlReader::new(file, input);
        let mut saw_root = false;
        loop {
            let ev = r.next()?.into_owned();
            match ev {
                Event::Start(e) if !saw_root => {
                    expect_root(&r, &e, b"NessusClientData_v2", "Nessus v2 format")?;
                    saw_root = true;
                }
                Event::Empty(e) if !saw_root => {
                    expect_root(&r, &e, b"NessusClientData_v2", "Nessus v2 format")?;
                    return Ok(());
                }
                Event::Start(e) if e.local_name().as_ref() == b"Policy" => {
                    // The policy is often most of the file and says nothing about findings.
                    let mut skip = Vec::new();
                    r.reader
                        .read_to_end_into(e.name(), &mut skip)
                        .map_err(|err| r.error(format!("malformed XML in <Policy>: {err}")))?;
                }
                Event::Start(e) if e.local_name().as_ref() == b"ReportHost" => {
                    let host = read_host(&mut r, &e)?;
                    on_host(host)?;
                }
                Event::End(e) if e.local_name().as_ref() == b"NessusClientData_v2" => {
                    return Ok(());
                }
                Event::Eof => {
                    return Err(eof_in_document(&r, saw_root, b"NessusClientData_v2"));
                }
                Event::Text(t) if !saw_root && !t.iter().all(u8::is_ascii_whitespace) => {
                    return Err(r.error("text before the root element: not an XML report"));
                }
                _ => {}
            }
        }
    }
}

fn read_host(r: &mut XmlReader<'_>, start: &BytesStart<'_>) -> Result<ParsedAsset> {
    let mut host = ParsedAsset::default();
    for a in start.attributes() {
        let a = a.map_err(|e| r.error(format!("bad attribute: {e}")))?;
        if a.key.as_ref() == b"name" {
            host.label = attr_value(r, &a)?;
        }
    }
    if host.label.trim().is_empty() {
        return Err(r.error("<ReportHost> without a name"));
    }
    let mut props: Vec<(String, String)> = Vec::new();
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) if e.local_name().as_ref() == b"tag" => {
                let mut name = String::new();
                for a in e.attributes() {
                    let a = a.map_err(|err| r.error(format!("bad attribute: {err}")))?;
                    if a.key.as_ref() == b"name" {
                        name = attr_value(r, &a)?;
                    }
                }
                let value = read_text(r, b"tag")?;
                props.push((name, value));
            }
            Event::Start(e) if e.local_name().as_ref() == b"ReportItem" => {
                host.findings.push(read_item(r, &e)?);
            }
            Event::Empty(e) if e.local_name().as_ref() == b"ReportItem" => {
                let mut f = item_attributes(r, &e)?;
                f.title = if f.title.is_empty() {
                    f.scanner_id.clone()
                } else {
                    f.title
                };
                host.findings.push(f);
            }
            Event::End(e) if e.local_name().as_ref() == b"ReportHost" => break,
            Event::Eof => return Err(r.error("the file ends inside <ReportHost> (truncated?)")),
            _ => {}
        }
    }
    apply_properties(&mut host, &props);
    Ok(host)
}

fn item_attributes(r: &XmlReader<'_>, e: &BytesStart<'_>) -> Result<ParsedFinding> {
    let mut f = ParsedFinding::default();
    let (mut port, mut proto) = (String::from("0"), String::from("tcp"));
    for a in e.attributes() {
        let a = a.map_err(|err| r.error(format!("bad attribute: {err}")))?;
        match a.key.as_ref() {
            b"port" => port = attr_value(r, &a)?,
            b"protocol" => proto = attr_value(r, &a)?,
            b"pluginID" => f.scanner_id = attr_value(r, &a)?,
            b"pluginName" => f.title = attr_value(r, &a)?,
            b"severity" => {
                let v = attr_value(r, &a)?;
                f.severity =
                    Some(severity_from_level(&v).ok_or_else(|| {
                        r.error(format!("ReportItem severity \"{v}\" is not 0..4"))
                    })?);
            }
            _ => {}
        }
    }
    if f.scanner_id.is_empty() {
        return Err(r.error("<ReportItem> without a pluginID"));
    }
    f.location = format!("{}/{}", port.trim(), proto.trim().to_ascii_lowercase());
    Ok(f)
}

fn read_item(r: &mut XmlReader<'_>, start: &BytesStart<'_>) -> Result<ParsedFinding> {
    let mut f = item_attributes(r, start)?;
    let mut synopsis = None;
    loop {
        let ev = r.next()?.into_owned();
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                let text = read_text(r, &name)?;
                let text = text.trim();
                match name.as_slice() {
                    b"cve" if !text.is_empty() => {
                        crate::cve::cves_in(text, &mut f.cves);
                    }
                    b"plugin_name" if f.title.is_empty() => f.title = text.to_string(),
                    b"risk_factor" => f.scanner_score = Some(text.to_string()),
                    b"description" => f.description = Some(text.to_string()),
                    b"synopsis" => synopsis = Some(text.to_string()),
                    b"solution" => f.solution = Some(text.to_string()),
                    b"plugin_output" => f.evidence = Some(text.to_string()),
                    b"cvss_base_score" => set_score(&mut f.cvss2, text),
                    b"cvss_vector" => set_vector(&mut f.cvss2, text),
                    b"cvss3_base_score" => set_score(&mut f.cvss3, text),
                    b"cvss3_vector" => set_vector(&mut f.cvss3, text),
                    b"cvss4_base_score" => set_score(&mut f.cvss4, text),
                    b"cvss4_vector" => set_vector(&mut f.cvss4, text),
                    b"epss_score" => f.epss = text.parse().ok(),
                    b"exploit_available" => f.exploit_available = text.eq_ignore_ascii_case("true"),
                    b"xref"
                        if text
                            .to_ascii_uppercase()
                            .starts_with("CISA-KNOWN-EXPLOITED") =>
                    {
                        f.known_exploited = true
                    }
                    _ => {}
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"ReportItem" => break,
            Event::Eof => return Err(r.error("the file ends inside <ReportItem> (truncated?)")),
            _ => {}
        }
    }
    if f.description.is_none() {
        f.description = synopsis;
    }
    if f.title.is_empty() {
        f.title = format!("Nessus plugin {}", f.scanner_id);
    }
    Ok(f)
}

fn set_score(slot: &mut Option<(f64, Option<String>)>, text: &str) {
    if let Ok(v) = text.parse::<f64>() {
        let vector = slot.take().and_then(|(_, v)| v);
        *slot = Some((v, vector));
    }
}

fn set_vector(slot: &mut Option<(f64, Option<String>)>, text: &str) {
    let score = slot.as_ref().map(|(s, _)| *s).unwrap_or(f64::NAN);
    *slot = Some((score, Some(text.to_string())));
}

pub fn severity_from_level(v: &str) -> Option<Severity> {
    Some(match v.trim() {
        "0" => Severity::Info,
        "1" => Severity::Low,
        "2" => Severity::Medium,
        "3" => Severity::High,
        "4" => Severity::Critical,
        _ => return None,
    })
}

fn apply_properties(host: &mut ParsedAsset, props: &[(String, String)]) {
    let mut ids: Vec<(IdentifierKind, String)> = Vec::new();
    let mut push = |kind, value: &str| {
        let value = value.trim().to_ascii_lowercase();
        if !value.is_empty() && !ids.iter().any(|(k, v)| *k == kind && *v == value) {
            ids.push((kind, value));
        }
    };
    classify_name(&host.label, &mut push);
    let mut start_ts = None;
    let mut start_text = None;
    for (name, value) in props {
        match name.as_str() {
            "host-fqdn" => {
                push(IdentifierKind::Fqdn, value);
                if let Some(short) = value.split('.').next() {
                    push(IdentifierKind::Hostname, short);
                }
            }
            "host-ip" => push(IdentifierKind::Ip, value),
            "netbios-name" => push(IdentifierKind::Netbios, value),
            "mac-address" => {
                for mac in value.split(|c: char| c.is_whitespace() || c == ',') {
                    if !mac.is_empty() {
                        push(IdentifierKind::Mac, &mac.replace('-', ":"));
                    }
                }
            }
            "operating-system" => {
                host.os = Some(value.lines().next().unwrap_or("").trim().to_string())
            }
            "HOST_START_TIMESTAMP" => start_ts = value.trim().parse::<i64>().ok(),
            "HOST_START" => start_text = Some(value.clone()),
            _ => {}
        }
    }
    host.identifiers = ids;
    host.scanned_at = start_ts
        .and_then(|s| Utc.timestamp_opt(s, 0).single())
        .or_else(|| {
            // "Wed Mar 23 14:31:51 2022": Nessus writes the scanner's local time without a zone;
            // UTC is the best reading we have.
            start_text.and_then(|t| {
                NaiveDateTime::parse_from_str(t.trim(), "%a %b %e %H:%M:%S %Y")
                    .ok()
                    .map(|n| n.and_utc())
            })
        })
        .map(utc_text);
}

/// ReportHost@name is an IP, an FQDN or a short host name. Shared with the Nessus CSV
/// importer so both forms of one scan name a host the same way.
pub(super) fn classify_name(name: &str, push: &mut impl FnMut(IdentifierKind, &str)) {
    let name = name.trim();
    if name.parse::<std::net::IpAddr>().is_ok() {
        push(IdentifierKind::Ip, name);
    } else if name.contains('.') {
        push(IdentifierKind::Fqdn, name);
        if let Some(short) = name.split('.').next() {
            push(IdentifierKind::Hostname, short);
        }
    } else {
        push(IdentifierKind::Hostname, name);
    }
}
