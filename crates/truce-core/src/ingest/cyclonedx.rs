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

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use serde::Deserialize;

use super::openvex::purl;
use super::xml::{self, XmlReader};
use super::{bad, json, json_read, Format, IdentifierKind, ParsedAsset, ParsedFinding};
use super::{Verdict, VerdictStatus};
use crate::error::Result;
use crate::model::Severity;

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

// ---- JSON ----

#[derive(Deserialize)]
enum BomFormat {
    CycloneDX,
}

#[derive(Deserialize)]
struct JBom {
    #[serde(rename = "bomFormat")]
    _bom_format: BomFormat,
    #[serde(rename = "serialNumber")]
    serial: Option<String>,
    #[serde(default)]
    metadata: Option<JMetadata>,
    #[serde(default)]
    components: Option<Vec<JComponent>>,
    vulnerabilities: Option<Vec<JVuln>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JMetadata {
    timestamp: Option<String>,
    component: Option<JComponent>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JComponent {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    hashes: Option<Vec<JHash>>,
    properties: Option<Vec<JProperty>>,
    components: Option<Vec<JComponent>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JHash {
    alg: Option<String>,
    content: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JProperty {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JVuln {
    id: Option<String>,
    references: Option<Vec<JReference>>,
    ratings: Option<Vec<JRating>>,
    description: Option<String>,
    detail: Option<String>,
    recommendation: Option<String>,
    analysis: Option<JAnalysis>,
    affects: Option<Vec<JAffects>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JReference {
    id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JRating {
    score: Option<f64>,
    severity: Option<String>,
    method: Option<String>,
    vector: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JAnalysis {
    state: Option<String>,
    justification: Option<String>,
    response: Option<Vec<String>>,
    detail: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JAffects {
    #[serde(rename = "ref")]
    reference: Option<String>,
}

fn j_component(c: &JComponent) -> Component {
    let prop = |n: &str| {
        c.properties
            .iter()
            .flatten()
            .filter(|p| p.name.as_deref() == Some(n))
            .filter_map(|p| p.value.clone())
            .collect::<Vec<_>>()
    };
    let mut digests = prop("aquasecurity:trivy:RepoDigest");
    digests.extend(prop("aquasecurity:trivy:ImageID"));
    Component {
        name: c.name.clone().unwrap_or_default(),
        version: c.version.clone().unwrap_or_default(),
        kind: c.kind.clone().unwrap_or_default(),
        bom_ref: nonempty(c.bom_ref.clone()),
        purl: nonempty(c.purl.clone()),
        sha256: c
            .hashes
            .iter()
            .flatten()
            .find(|h| h.alg.as_deref() == Some("SHA-256"))
            .and_then(|h| nonempty(h.content.clone())),
        digests,
    }
}

fn j_components(list: &[JComponent], out: &mut Vec<Component>) {
    for c in list {
        out.push(j_component(c));
        if let Some(kids) = &c.components {
            j_components(kids, out);
        }
    }
}

fn from_json(doc: JBom) -> Bom {
    let mut bom = Bom {
        serial: doc.serial,
        has_vulns: doc.vulnerabilities.is_some(),
        ..Default::default()
    };
    if let Some(m) = doc.metadata {
        bom.timestamp = m.timestamp;
        if let Some(c) = &m.component {
            bom.subject = Some(j_component(c));
            if let Some(kids) = &c.components {
                j_components(kids, &mut bom.components);
            }
        }
    }
    j_components(
        doc.components.as_deref().unwrap_or_default(),
        &mut bom.components,
    );
    for v in doc.vulnerabilities.unwrap_or_default() {
        let Some(id) = nonempty(v.id) else { continue };
        let a = v.analysis.unwrap_or_default();
        bom.vulns.push(Vuln {
            id,
            references: v
                .references
                .into_iter()
                .flatten()
                .filter_map(|r| r.id)
                .collect(),
            ratings: v
                .ratings
                .into_iter()
                .flatten()
                .map(|r| Rating {
                    method: r.method.unwrap_or_default(),
                    score: r.score.filter(|s| s.is_finite()),
                    severity: r.severity,
                    vector: nonempty(r.vector),
                })
                .collect(),
            description: nonempty(v.description),
            detail: nonempty(v.detail),
            recommendation: nonempty(v.recommendation),
            state: nonempty(a.state),
            justification: nonempty(a.justification),
            responses: a.response.unwrap_or_default(),
            analysis_detail: nonempty(a.detail),
            targets: v
                .affects
                .into_iter()
                .flatten()
                .filter_map(|t| nonempty(t.reference))
                .map(Target::Ref)
                .collect(),
        });
    }
    bom
}

// ---- XML: read into a small tree with the hardened reader, then walk it ----

struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    kids: Vec<El>,
    /// Byte offset of the start tag, for messages.
    pos: u64,
}

impl El {
    fn child(&self, name: &str) -> Option<&El> {
        self.kids.iter().find(|k| k.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.kids.iter().filter(move |k| k.name == name)
    }

    /// The trimmed text of child `name`, if it has some.
    fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    fn attr(&self, name: &str) -> Option<String> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

fn start(r: &XmlReader<'_>, e: &BytesStart<'_>) -> Result<El> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| r.error(format!("bad attribute: {err}")))?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        attrs.push((key, xml::attr_value(r, &a)?));
    }
    Ok(El {
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        attrs,
        text: String::new(),
        kids: Vec::new(),
        pos: r.reader.buffer_position(),
    })
}

fn read_tree(r: &mut XmlReader<'_>) -> Result<El> {
    let mut stack: Vec<El> = Vec::new();
    loop {
        let ev = match r.next() {
            Ok(ev) => ev.into_owned(),
            Err(e) => return Err(xml::truncation_hint(r, e)),
        };
        match ev {
            Event::Start(e) => {
                let el = start(r, &e)?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = start(r, &e)?;
                match stack.last_mut() {
                    Some(parent) => parent.kids.push(el),
                    None => return Ok(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(r.error("malformed XML: an end tag without its start"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.kids.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    xml::push_text(r, &mut top.text, &t)?;
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    let s = std::str::from_utf8(&c)
                        .map_err(|e| r.error(format!("invalid UTF-8 ({e})")))?;
                    top.text.push_str(s);
                }
            }
            Event::GeneralRef(e) => {
                if let Some(top) = stack.last_mut() {
                    xml::push_ref(r, &mut top.text, &e)?;
                }
            }
            Event::Eof => {
                return Err(match stack.last() {
                    Some(top) => xml::eof_inside(r, top.name.as_bytes()),
                    None => r.error("not a CycloneDX BOM: the file has no XML element"),
                })
            }
            _ => {}
        }
    }
}

fn from_xml(file: &str, input: &mut dyn BufRead) -> Result<Bom> {
    let root = {
        let mut r = XmlReader::new(file, input);
        read_tree(&mut r)?
    };
    let at = |el: &El, problem: &str| bad(file, &format!("byte {}", el.pos), problem);
    if root.name != "bom" {
        return Err(at(
            &root,
            &format!("not a CycloneDX BOM: the root element is <{}>", root.name),
        ));
    }
    let mut bom = Bom {
        serial: root.attr("serialNumber"),
        ..Default::default()
    };
    if let Some(m) = root.child("metadata") {
        bom.timestamp = m.text_of("timestamp");
        if let Some(c) = m.child("component") {
            bom.subject = Some(x_component(c));
            x_components(c, &mut bom, &at)?;
        }
    }
    x_components(&root, &mut bom, &at)?;
    if let Some(list) = root.child("vulnerabilities") {
        bom.has_vulns = true;
        for v in list.children("vulnerability") {
            let mut targets: Vec<Target> = v
                .child("affects")
                .into_iter()
                .flat_map(|a| a.children("target"))
                .filter_map(|t| t.text_of("ref"))
                .map(Target::Ref)
                .collect();
            // Extension 1.0 at the top level: `ref` names the component.
            if v.child("affects").is_none() {
                targets.extend(v.attr("ref").map(Target::Ref));
            }
            if let Some(vuln) = x_vuln(v, targets, &at)? {
                bom.vulns.push(vuln);
            }
        }
    }
    Ok(bom)
}

fn x_component(c: &El) -> Component {
    let mut digests = Vec::new();
    for p in c
        .child("properties")
        .into_iter()
        .flat_map(|p| p.children("property"))
    {
        let name = p.attr("name").unwrap_or_default();
        if name == "aquasecurity:trivy:RepoDigest" || name == "aquasecurity:trivy:ImageID" {
            digests.push(p.text.trim().to_string());
        }
    }
    Component {
        name: c.text_of("name").unwrap_or_default(),
        version: c.text_of("version").unwrap_or_default(),
        kind: c.attr("type").unwrap_or_default(),
        bom_ref: c.attr("bom-ref"),
        purl: c.text_of("purl"),
        sha256: c
            .child("hashes")
            .into_iter()
            .flat_map(|h| h.children("hash"))
            .find(|h| h.attr("alg").as_deref() == Some("SHA-256"))
            .map(|h| h.text.trim().to_string())
            .filter(|h| !h.is_empty()),
        digests,
    }
}

/// The components under `parent` (recursively), and the extension 1.0 vulnerabilities
/// inside them, which affect the component they sit in.
fn x_components(
    parent: &El,
    bom: &mut Bom,
    at: &dyn Fn(&El, &str) -> crate::error::Error,
) -> Result<()> {
    for c in parent
        .child("components")
        .into_iter()
        .flat_map(|l| l.children("component"))
    {
        let comp = x_component(c);
        if let Some(list) = c.child("vulnerabilities") {
            bom.has_vulns = true;
            for v in list.children("vulnerability") {
                let targets = vec![Target::Location(comp.location())];
                if let Some(vuln) = x_vuln(v, targets, at)? {
                    bom.vulns.push(vuln);
                }
            }
        }
        bom.components.push(comp);
        x_components(c, bom, at)?;
    }
    Ok(())
}

fn x_vuln(
    v: &El,
    targets: Vec<Target>,
    at: &dyn Fn(&El, &str) -> crate::error::Error,
) -> Result<Option<Vuln>> {
    let Some(id) = v.text_of("id") else {
        return Ok(None);
    };
    let mut ratings = Vec::new();
    for r in v
        .child("ratings")
        .into_iter()
        .flat_map(|l| l.children("rating"))
    {
        // 1.4+: <score>9.8</score>; extension 1.0: <score><base>9.8</base>...</score>.
        let score_el = r.child("score").map(|s| s.child("base").unwrap_or(s));
        let score = match score_el {
            Some(s) if !s.text.trim().is_empty() => {
                let n: f64 = s.text.trim().parse().map_err(|_| {
                    at(
                        s,
                        &format!("a rating score is not a number: '{}'", s.text.trim()),
                    )
                })?;
                Some(n).filter(|n| n.is_finite())
            }
            _ => None,
        };
        ratings.push(Rating {
            method: r.text_of("method").unwrap_or_default(),
            score,
            severity: r.text_of("severity"),
            vector: r.text_of("vector"),
        });
    }
    let recommendation = v.text_of("recommendation").or_else(|| {
        let list: Vec<String> = v
            .child("recommendations")
            .into_iter()
            .flat_map(|l| l.children("recommendation"))
            .map(|r| r.text.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        (!list.is_empty()).then(|| list.join("\n"))
    });
    let analysis = v.child("analysis");
    Ok(Some(Vuln {
        id,
        references: v
            .child("references")
            .into_iter()
            .flat_map(|l| l.children("reference"))
            .filter_map(|r| r.text_of("id"))
            .collect(),
        ratings,
        description: v.text_of("description"),
        detail: v.text_of("detail"),
        recommendation,
        state: analysis.and_then(|a| a.text_of("state")),
        justification: analysis.and_then(|a| a.text_of("justification")),
        responses: analysis
            .and_then(|a| a.child("responses"))
            .into_iter()
            .flat_map(|l| l.children("response"))
            .map(|r| r.text.trim().to_string())
            .collect(),
        analysis_detail: analysis.and_then(|a| a.text_of("detail")),
        targets,
    }))
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
