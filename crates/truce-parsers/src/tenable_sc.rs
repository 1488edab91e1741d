//! A page of Tenable Security Center's vulnerability details (`POST /rest/analysis`, tool
//! `vulndetails`) as the Security Center source hands it over:
//! `{"tenable_sc": {"sourceType": "cumulative" | "patched", "results": [...]}}`, each result as
//! SC writes it (every value a string). See docs/formats/tenable-sc.md.
//!
//! Keyed as a .nessus file keys its findings (SC's plugins are Nessus's): the host by its names
//! and addresses, the finding by plugin, port and protocol, scanner `nessus`. A `patched` result
//! closes its finding; a `cumulative` one keeps it open or opens it again. A page is never the
//! whole of anything: nothing is closed for being absent.

use std::io::BufRead;

use chrono::DateTime;
use serde::Deserialize;
use serde_json::Value;

use crate::error::Result;
use crate::json_read::{has_key, object_head, read};
use crate::openvas::{name_identifiers, normalize_mac, push_id};
use crate::{
    bad, utc_text, Format, IdentifierKind, ParsedAsset, ParsedFinding, Severity, Verdict,
    VerdictStatus,
};

pub struct TenableSc;

impl Format for TenableSc {
    fn name(&self) -> &'static str {
        "tenable-sc"
    }

    fn scanner(&self) -> &'static str {
        "nessus"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        object_head(head).is_some_and(|h| has_key(h, "tenable_sc") && has_key(h, "results"))
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
        let doc: Doc = read(
            file,
            input,
            "a page of Security Center vulnerability details",
        )?;
        let patched = match doc.tenable_sc.source_type.as_str() {
            "patched" => true,
            "cumulative" => false,
            other => {
                return Err(bad(
                    file,
                    "tenable_sc.sourceType",
                    &format!("'{other}' is neither cumulative nor patched"),
                ))
            }
        };
        for (n, v) in doc.tenable_sc.results.iter().enumerate() {
            let place = format!("result {n}");
            let plugin = text(&v["pluginID"]);
            if plugin.is_empty() || !plugin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(
                    file,
                    &place,
                    &format!("pluginID '{plugin}' is not a number"),
                ));
            }
            let mut asset = host(v);
            if asset.identifiers.is_empty() {
                return Err(bad(
                    file,
                    &place,
                    "the result names no host (no ip, dnsName or netbiosName)",
                ));
            }
            let seen = if patched {
                epoch(&v["lastMitigated"]).or(epoch(&v["lastSeen"]))
            } else {
                epoch(&v["lastSeen"])
            };
            asset.scanned_at = seen.clone();
            asset
                .findings
                .push(finding(file, &place, v, plugin, patched, seen)?);
            on_asset(asset)?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Doc {
    tenable_sc: Body,
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "sourceType")]
    source_type: String,
    results: Vec<Value>,
}

/// A value SC writes as text (or, rarely, as a number), trimmed; "" when absent.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// An epoch time as SC writes it ("1635610340"; "-1" or "" for unknown), as RFC 3339.
fn epoch(v: &Value) -> Option<String> {
    let s: i64 = text(v).parse().ok().filter(|s| *s > 0)?;
    DateTime::from_timestamp(s, 0).map(utc_text)
}

fn host(v: &Value) -> ParsedAsset {
    let mut ids: Vec<(IdentifierKind, String)> = Vec::new();
    // Not hostUUID: whether it is the asset uuid Tenable VM gives is not documented, and two
    // different cloud ids would keep one host apart as two.
    let dns = text(&v["dnsName"]);
    name_identifiers(&dns, &mut |kind, x| push_id(&mut ids, kind, x));
    let ip = text(&v["ip"]);
    if !ip.is_empty() {
        push_id(&mut ids, IdentifierKind::Ip, &ip);
    }
    // NetBIOS names come as DOMAIN\NAME.
    let netbios_text = text(&v["netbiosName"]);
    let netbios = netbios_text.rsplit('\\').next().unwrap_or("").to_string();
    if !netbios.is_empty() {
        push_id(&mut ids, IdentifierKind::Netbios, &netbios);
    }
    if let Some(mac) = normalize_mac(&text(&v["macAddress"])) {
        push_id(&mut ids, IdentifierKind::Mac, &mac);
    }
    let os = text(&v["operatingSystem"]);
    let label = [dns, ip, netbios]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    ParsedAsset {
        label,
        identifiers: ids,
        os: (!os.is_empty()).then_some(os),
        ..Default::default()
    }
}

fn score(v: &Value, vector: &Value, prefix: &str) -> Option<(f64, Option<String>)> {
    let s: f64 = text(v)
        .parse()
        .ok()
        .filter(|s: &f64| (0.0..=10.0).contains(s) && *s > 0.0)?;
    let vector = text(vector);
    let vector = (!vector.is_empty()).then(|| {
        if vector.starts_with("CVSS:") || prefix.is_empty() {
            vector
        } else {
            format!("{prefix}{vector}")
        }
    });
    Some((s, vector))
}

fn finding(
    file: &str,
    place: &str,
    v: &Value,
    plugin: String,
    patched: bool,
    seen: Option<String>,
) -> Result<ParsedFinding> {
    let severity = match text(&v["severity"]["id"]).as_str() {
        "4" => Severity::Critical,
        "3" => Severity::High,
        "2" => Severity::Medium,
        "1" => Severity::Low,
        "0" => Severity::Info,
        other => {
            return Err(bad(
                file,
                place,
                &format!("severity id '{other}' is not 0 to 4"),
            ))
        }
    };
    let port = text(&v["port"]);
    let port = if port.is_empty() {
        "0".to_string()
    } else {
        port
    };
    if port.parse::<u16>().is_err() {
        return Err(bad(file, place, &format!("port '{port}' is not 0..65535")));
    }
    let protocol = text(&v["protocol"]).to_ascii_lowercase();
    let protocol = if protocol.is_empty() {
        "tcp".to_string()
    } else {
        protocol
    };
    let mut cves = Vec::new();
    crate::cve::cves_in(&text(&v["cve"]), &mut cves);
    let output = text(&v["pluginText"]);
    let output = output
        .strip_prefix("<plugin_output>")
        .and_then(|o| o.strip_suffix("</plugin_output>"))
        .map(str::to_string)
        .unwrap_or(output);
    let vpr = text(&v["vprScore"]);
    let nonempty = |s: String| (!s.is_empty()).then_some(s);
    Ok(ParsedFinding {
        title: nonempty(text(&v["pluginName"])).unwrap_or_else(|| format!("Plugin {plugin}")),
        scanner_id: plugin,
        severity: Some(severity),
        scanner_score: if vpr.is_empty() {
            nonempty(text(&v["riskFactor"]))
        } else {
            Some(format!("VPR {vpr}"))
        },
        cvss2: score(&v["baseScore"], &v["cvssVector"], ""),
        cvss3: score(&v["cvssV3BaseScore"], &v["cvssV3Vector"], "CVSS:3.0/"),
        exploit_available: text(&v["exploitAvailable"]).eq_ignore_ascii_case("yes"),
        cves,
        description: nonempty(text(&v["description"])).or_else(|| nonempty(text(&v["synopsis"]))),
        solution: nonempty(text(&v["solution"])),
        location: format!("{port}/{protocol}"),
        evidence: nonempty(output),
        verdict: patched.then(|| Verdict {
            status: VerdictStatus::Fixed,
            reason: match &seen {
                Some(at) => format!("Tenable SC: mitigated ({at})"),
                None => "Tenable SC: mitigated".into(),
            },
        }),
        ..Default::default()
    })
}
