//! CycloneDX BOMs that carry vulnerabilities (VDR/VEX), JSON and XML, spec 1.0 to 1.6:
//! the `vulnerabilities` section of 1.4+ (each vulnerability `affects` components by
//! `bom-ref`), and the older vulnerability extension 1.0 of XML BOMs
//! (`v:vulnerabilities` inside a component, as early Grype wrote it, or at the top level
//! with `ref` naming the component). Rules in docs/formats/cyclonedx.md.
//!
//! Asset: the BOM's subject, `metadata.component`: "name@version", its purl and its bom-ref
//! as `artifact`; for a container, the digests it gives (a SHA-256 hash, a digest as version
//! or purl version, Trivy's RepoDigest/ImageID properties) as `image_digest`. Without a
//! subject, the `serialNumber`, else the file's name. A BOM without any vulnerabilities
//! section is an inventory, not a scan: no asset (so it closes nothing).
//!
//! Finding: each vulnerability x each affected component, located at the component's
//! "name@version" (components resolved by bom-ref, nested ones too; an unknown ref read as
//! a purl, else kept as written). `analysis.state` is the author's verdict: not_affected and
//! false_positive make the finding a false positive, resolved and resolved_with_pedigree
//! fixed; exploitable, in_triage or none leave it open.

mod bom_json;
mod bom_xml;

use std::collections::HashMap;
use std::io::BufRead;

use super::openvex::purl;
use super::xml;
use super::{bad, json, json_read, Format, IdentifierKind, ParsedAsset, ParsedFinding};
use super::{Verdict, VerdictStatus};
use crate::error::Result;
use crate::Severity;
use bom_json::{from_json, JBom};
use bom_xml::from_xml;

pub struct CycloneDx;

impl Format for CycloneDx {
    fn name(&self) -> &'static str {
        "cyclonedx"
    }

    fn scanner(&self) -> &'static str {
        "cyclonedx"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let sk = json::skeleton(head, 1);
        if sk.root == b'{' {
            return sk.value("bomFormat") == Some("CycloneDX")
                || sk
                    .value("$schema")
                    .is_some_and(|s| s.contains("cyclonedx.org/schema/bom"));
        }
        xml::root_element(head).as_deref() == Some("bom")
            && json_read::find(head, b"cyclonedx.org/schema/bom").is_some()
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let first = {
            let buf = input
                .fill_buf()
                .map_err(|e| bad(file, "byte 0", &format!("cannot read: {e}")))?;
            let buf = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
            buf.iter().copied().find(|b| !b.is_ascii_whitespace())
        };
        let bom = match first {
            Some(b'<') => from_xml(file, input)?,
            _ => {
                let doc: JBom = json_read::read(file, input, "a CycloneDX BOM")?;
                from_json(doc)
            }
        };
        match to_asset(file, bom) {
            Some(a) => asset(a),
            None => Ok(()),
        }
    }
}

// ---- the BOM, whichever way it was written ----

#[derive(Default, Clone)]
struct Component {
    name: String,
    version: String,
    kind: String,
    bom_ref: Option<String>,
    purl: Option<String>,
    sha256: Option<String>,
    /// Trivy's aquasecurity:trivy:RepoDigest and ImageID properties.
    digests: Vec<String>,
}

impl Component {
    fn location(&self) -> String {
        json::location(
            &self.name,
            &self.version,
            self.bom_ref.as_deref().unwrap_or("?"),
        )
    }
}

struct Rating {
    method: String,
    score: Option<f64>,
    severity: Option<String>,
    vector: Option<String>,
}

enum Target {
    /// A bom-ref, to resolve through the components.
    Ref(String),
    /// The enclosing component of an extension 1.0 vulnerability.
    Location(String),
}

#[derive(Default)]
struct Vuln {
    id: String,
    references: Vec<String>,
    ratings: Vec<Rating>,
    description: Option<String>,
    detail: Option<String>,
    recommendation: Option<String>,
    state: Option<String>,
    justification: Option<String>,
    responses: Vec<String>,
    analysis_detail: Option<String>,
    targets: Vec<Target>,
}

#[derive(Default)]
struct Bom {
    serial: Option<String>,
    timestamp: Option<String>,
    subject: Option<Component>,
    components: Vec<Component>,
    vulns: Vec<Vuln>,
    /// Whether the BOM has a vulnerabilities section at all (even an empty one).
    has_vulns: bool,
}

fn to_asset(file: &str, bom: Bom) -> Option<ParsedAsset> {
    if !bom.has_vulns {
        return None;
    }
    let mut ids = Vec::new();
    let mut label = String::new();
    if let Some(s) = bom.subject.as_ref().filter(|s| !s.name.trim().is_empty()) {
        let name = json::location(s.name.trim(), s.version.trim(), "");
        json::push_id(&mut ids, IdentifierKind::Artifact, &name);
        for r in [&s.purl, &s.bom_ref].into_iter().flatten() {
            json::push_id(&mut ids, IdentifierKind::Artifact, r);
        }
        if s.kind == "container" {
            let mut digests: Vec<String> = Vec::new();
            if let Some(h) = &s.sha256 {
                digests.push(format!("sha256:{}", h.trim().to_ascii_lowercase()));
            }
            let purl_version = s.purl.as_deref().and_then(purl).and_then(|(_, v)| v);
            for d in [Some(s.version.clone()), purl_version]
                .into_iter()
                .flatten()
                .chain(s.digests.iter().cloned())
            {
                if d.trim().to_ascii_lowercase().contains("sha256:") {
                    if let Some(d) = json::digest(&d) {
                        digests.push(d);
                    }
                }
            }
            for d in digests {
                json::push_id(&mut ids, IdentifierKind::ImageDigest, &d);
            }
        }
        label = name;
    }
    if ids.is_empty() {
        let fallback = bom
            .serial
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| {
                std::path::Path::new(file)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| file.to_string())
            });
        json::push_id(&mut ids, IdentifierKind::Artifact, &fallback);
        label = fallback;
    }
    let mut by_ref: HashMap<&str, String> = HashMap::new();
    for c in bom.subject.iter().chain(bom.components.iter()) {
        if let Some(r) = &c.bom_ref {
            by_ref.entry(r.as_str()).or_insert_with(|| c.location());
        }
    }
    let mut findings = json::Findings::default();
    for v in &bom.vulns {
        for t in &v.targets {
            let location = match t {
                Target::Location(l) => l.clone(),
                Target::Ref(r) => match by_ref.get(r.trim()) {
                    Some(l) => l.clone(),
                    None => match purl(r) {
                        Some((name, version)) => {
                            json::location(&name, version.as_deref().unwrap_or(""), r)
                        }
                        None => r.trim().to_string(),
                    },
                },
            };
            findings.add(finding(v, location));
        }
    }
    Some(ParsedAsset {
        label,
        identifiers: ids,
        scanned_at: bom.timestamp.as_deref().and_then(json::utc),
        findings: findings.into_vec(),
        ..Default::default()
    })
}

fn finding(v: &Vuln, location: String) -> ParsedFinding {
    let mut cves = Vec::new();
    for id in std::iter::once(&v.id).chain(v.references.iter()) {
        if let Some(c) = json::cve(id) {
            json::push_unique(&mut cves, c);
        }
    }
    let first = |methods: &[&str]| -> Option<(f64, Option<String>)> {
        methods.iter().find_map(|m| {
            v.ratings
                .iter()
                .find(|r| r.method.eq_ignore_ascii_case(m) && r.score.is_some())
                .map(|r| (r.score.unwrap_or(0.0), r.vector.clone()))
        })
    };
    let (severity, score_word) = severity(&v.ratings);
    let mut description = v.description.clone();
    if let Some(d) = &v.detail {
        if description.as_deref() != Some(d.as_str()) {
            description = Some(match description {
                Some(text) => format!("{text}\n\n{d}"),
                None => d.clone(),
            });
        }
    }
    let verdict = v.state.as_deref().and_then(|state| {
        let status = match state {
            "not_affected" | "false_positive" => VerdictStatus::NotAffected,
            "resolved" | "resolved_with_pedigree" => VerdictStatus::Fixed,
            _ => return None,
        };
        let mut reason = format!("VEX {state}");
        if let Some(j) = &v.justification {
            reason.push_str(&format!(": {j}"));
        }
        if let Some(d) = &v.analysis_detail {
            reason.push_str(&format!(" ({d})"));
        }
        Some(Verdict { status, reason })
    });
    let evidence = v.state.as_ref().map(|state| {
        let mut e = format!("CycloneDX analysis: {state}");
        if let Some(j) = &v.justification {
            e.push_str(&format!(", {j}"));
        }
        if !v.responses.is_empty() {
            e.push_str(&format!(" (response: {})", v.responses.join(", ")));
        }
        e
    });
    ParsedFinding {
        scanner_id: v.id.clone(),
        title: v.id.clone(),
        severity: Some(severity),
        scanner_score: score_word,
        cvss2: first(&["CVSSv2"]),
        cvss3: first(&["CVSSv31", "CVSSv3"]),
        cvss4: first(&["CVSSv4"]),
        cves,
        description,
        solution: v.recommendation.clone(),
        location,
        evidence,
        verdict,
        ..Default::default()
    }
}

/// The CVSS v3/v4 qualitative band of a score.
fn band(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else if score > 0.0 {
        Severity::Low
    } else {
        Severity::Info
    }
}

fn word(w: &str) -> Option<Severity> {
    match w.trim().to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "high" => Some(Severity::High),
        "medium" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        "info" | "none" | "unknown" => Some(Severity::Info),
        _ => None,
    }
}

/// The severity (docs/formats/cyclonedx.md): the first CVSSv31, else CVSSv3, else CVSSv4
/// rating (its score's band, or its word when it has no score); else the first rating's
/// severity word; else the first rating's score by the same bands; else info. Also the
/// word of the rating chosen, kept as the scanner's score.
fn severity(ratings: &[Rating]) -> (Severity, Option<String>) {
    let known = |r: &Rating| r.severity.clone().filter(|w| word(w).is_some());
    for m in ["CVSSv31", "CVSSv3", "CVSSv4"] {
        for r in ratings.iter().filter(|r| r.method.eq_ignore_ascii_case(m)) {
            if let Some(s) = r.score {
                return (band(s), known(r));
            }
            if let Some(w) = known(r) {
                return (word(&w).unwrap_or(Severity::Info), Some(w));
            }
        }
    }
    if let Some(w) = ratings.iter().find_map(known) {
        return (word(&w).unwrap_or(Severity::Info), Some(w));
    }
    if let Some(s) = ratings.iter().find_map(|r| r.score) {
        return (band(s), None);
    }
    (Severity::Info, None)
}

fn nonempty(s: Option<String>) -> Option<String> {
    json::text(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(method: &str, score: Option<f64>, severity: Option<&str>) -> Rating {
        Rating {
            method: method.into(),
            score,
            severity: severity.map(str::to_string),
            vector: None,
        }
    }

    #[test]
    fn severity_prefers_cvss3_then_words() {
        // A CVSSv31 score wins over an earlier word.
        let r = [
            rating("", None, Some("critical")),
            rating("CVSSv2", Some(10.0), None),
            rating("CVSSv31", Some(6.6), None),
        ];
        assert_eq!(severity(&r).0, Severity::Medium);
        // Only words: the first one.
        let r = [
            rating("", None, Some("Low")),
            rating("OWASP", None, Some("high")),
        ];
        assert_eq!(severity(&r), (Severity::Low, Some("Low".into())));
        assert_eq!(
            severity(&[rating("", None, Some("none"))]).0,
            Severity::Info
        );
        assert_eq!(
            severity(&[rating("x", None, Some("weird"))]).0,
            Severity::Info
        );
        assert_eq!(
            severity(&[rating("CVSSv2", Some(7.2), None)]).0,
            Severity::High
        );
        assert_eq!(severity(&[]).0, Severity::Info);
    }
}
