//! Anchore Grype JSON reports (`grype <target> -o json`), from the early schema (0.7:
//! `cvssV2`/`cvssV3`, `fixedInVersion`) to the current one (`cvss[]`, `fix`, `epss[]`,
//! `knownExploited[]`). Matches are read one at a time and only what Truce keeps stays in
//! memory: Grype writes `source`, which names the asset, after all of them.
//!
//! Asset: `source.target`. For an image: `manifestDigest`, `imageID` and the digests of
//! `repoDigests` as `image_digest`, `userInput` and `tags` as `artifact`. For a directory
//! or file: the path as `artifact` (Grype 0.24 wrote it with its quotes, `"\".\""`; they are
//! dropped). `distro` gives the OS, `descriptor.timestamp` the scan time.
//!
//! Finding identity: (artifact, vulnerability.id, artifact.name, artifact.version), location
//! "{name}@{version}". Grype reports one package found at several paths (or by two
//! catalogers) as several matches: they merge into one finding, and every location path goes
//! into the evidence.
//!
//! Severity: Critical/High/Medium/Low as is; Negligible, Unknown, or none at all, are info.
//! The word is kept as the scanner's score. CVEs: vulnerability.id when it is a CVE, and every
//! CVE among relatedVulnerabilities (a GHSA match names its CVE there). CVSS v2/v3/v4 for each
//! version: the vulnerability's own `cvss` entries (Primary first), else the old
//! `cvssV2`/`cvssV3`, else the related vulnerabilities' entries (nvd first). EPSS: the
//! highest `epss` of the vulnerability, else of its related vulnerabilities. Fixed version:
//! `fix.versions` joined with ", " (or the old `fixedInVersion`). Known exploited: a
//! non-empty `knownExploited` on the vulnerability or a related one.
//!
//! Skipped: matches without a vulnerability id (nothing to track them by), and
//! `ignoredMatches` (the user told Grype to ignore them).

use std::fmt;
use std::io::{BufRead, BufReader};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::Result;
use crate::json;
use crate::Severity;
use crate::{Format, IdentifierKind, ParsedAsset, ParsedFinding};

pub struct Grype;

impl Format for Grype {
    fn name(&self) -> &'static str {
        "grype"
    }

    fn scanner(&self) -> &'static str {
        "grype"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let sk = json::skeleton(head, 3);
        sk.root == b'{'
            && sk.has("matches")
            && ((sk.has("matches/[]/vulnerability") && sk.has("matches/[]/artifact"))
                || sk.value("descriptor/name") == Some("grype"))
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let mut aborted = None;
        let mut de = serde_json::Deserializer::from_reader(crate::json_read::CappedStrings::new(
            BufReader::with_capacity(64 * 1024, input),
        ));
        let done = Document {
            emit: on_asset,
            aborted: &mut aborted,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        done.map_err(|e| json::error(file, e, aborted))
    }
}

// ---- the report as Grype writes it (only what Truce keeps) ----

#[derive(Deserialize)]
struct Match {
    vulnerability: Vuln,
    #[serde(default, rename = "relatedVulnerabilities")]
    related: Option<Vec<Vuln>>,
    #[serde(default)]
    artifact: Artifact,
}

#[derive(Deserialize, Clone, Copy)]
enum GrypeSeverity {
    Critical,
    High,
    Medium,
    Low,
    Negligible,
    Unknown,
}

impl GrypeSeverity {
    fn severity(self) -> Severity {
        match self {
            GrypeSeverity::Critical => Severity::Critical,
            GrypeSeverity::High => Severity::High,
            GrypeSeverity::Medium => Severity::Medium,
            GrypeSeverity::Low => Severity::Low,
            GrypeSeverity::Negligible | GrypeSeverity::Unknown => Severity::Info,
        }
    }

    fn word(self) -> &'static str {
        match self {
            GrypeSeverity::Critical => "Critical",
            GrypeSeverity::High => "High",
            GrypeSeverity::Medium => "Medium",
            GrypeSeverity::Low => "Low",
            GrypeSeverity::Negligible => "Negligible",
            GrypeSeverity::Unknown => "Unknown",
        }
    }
}

/// A vulnerability, or a related one (same shape, fewer fields filled).
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Vuln {
    id: Option<String>,
    namespace: Option<String>,
    severity: Option<GrypeSeverity>,
    description: Option<String>,
    cvss: Option<Vec<Cvss>>,
    #[serde(rename = "cvssV2")]
    cvss_v2: Option<OldCvss>,
    #[serde(rename = "cvssV3")]
    cvss_v3: Option<OldCvss>,
    epss: Option<Vec<Epss>>,
    fix: Option<Fix>,
    fixed_in_version: Option<String>,
    known_exploited: Option<KnownExploited>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cvss {
    #[serde(rename = "type")]
    kind: Option<String>,
    version: Option<String>,
    vector: Option<String>,
    metrics: Option<Metrics>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Metrics {
    base_score: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct OldCvss {
    base_score: Option<f64>,
    vector: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Epss {
    epss: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Fix {
    versions: Option<Vec<String>>,
    state: Option<String>,
}

/// A list of KEV entries (current Grype); a flag is accepted too.
#[derive(Deserialize)]
#[serde(untagged)]
enum KnownExploited {
    Flag(bool),
    List(Vec<IgnoredAny>),
}

impl KnownExploited {
    fn yes(&self) -> bool {
        match self {
            KnownExploited::Flag(b) => *b,
            KnownExploited::List(l) => !l.is_empty(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Artifact {
    name: Option<String>,
    version: Option<String>,
    locations: Option<Vec<Location>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Location {
    path: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Source {
    #[serde(rename = "type")]
    kind: Option<String>,
    target: Option<Target>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Target {
    Path(String),
    Object(TargetObject),
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct TargetObject {
    user_input: Option<String>,
    #[serde(rename = "imageID")]
    image_id: Option<String>,
    manifest_digest: Option<String>,
    tags: Option<Vec<String>>,
    repo_digests: Option<Vec<String>>,
    path: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Distro {
    name: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Descriptor {
    name: Option<String>,
    timestamp: Option<String>,
}

// ---- streaming ----

struct Document<'a, 'b> {
    emit: &'a mut dyn FnMut(ParsedAsset) -> Result<()>,
    aborted: &'b mut Option<crate::error::Error>,
}

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Grype JSON report (an object with matches and source)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut findings = json::Findings::default();
        let mut saw_matches = false;
        let mut source: Option<Source> = None;
        let mut distro: Option<Distro> = None;
        let mut descriptor: Option<Descriptor> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "matches" => {
                    map.next_value_seed(Matches(&mut findings))?;
                    saw_matches = true;
                }
                "source" => source = map.next_value()?,
                "distro" => distro = map.next_value()?,
                "descriptor" => descriptor = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !saw_matches {
            return Err(de::Error::custom("not a Grype report: no matches"));
        }
        let descriptor = descriptor.unwrap_or_default();
        if let Some(name) = json::text(descriptor.name) {
            if name != "grype" {
                return Err(de::Error::custom(format!(
                    "not a Grype report: its descriptor names \"{name}\""
                )));
            }
        }
        let Some(source) = source else {
            return Err(de::Error::custom(
                "the report has no source: nothing names the scanned image or directory",
            ));
        };
        let mut asset = source_asset(source).map_err(de::Error::custom)?;
        if let Some(d) = distro {
            let os = format!(
                "{} {}",
                d.name.as_deref().unwrap_or(""),
                d.version.as_deref().unwrap_or("")
            );
            asset.os = json::text(Some(os));
        }
        asset.scanned_at = descriptor.timestamp.as_deref().and_then(json::utc);
        asset.findings = findings.into_vec();
        (self.emit)(asset).map_err(|e| {
            *self.aborted = Some(e);
            de::Error::custom(json::ABORTED)
        })
    }
}

struct Matches<'s>(&'s mut json::Findings);

impl<'de> DeserializeSeed<'de> for Matches<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Matches<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of matches")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(m) = seq.next_element::<Match>()? {
            if let Some(f) = finding(m) {
                self.0.add(f);
            }
        }
        Ok(())
    }
}

// ---- to Truce ----

/// Drops one pair of quotes around a whole path (`"\".\""` is `.`).
fn unquote(path: &str) -> &str {
    let p = path.trim();
    p.strip_prefix('"')
        .and_then(|p| p.strip_suffix('"'))
        .unwrap_or(p)
}

fn source_asset(source: Source) -> Result<ParsedAsset, String> {
    let mut asset = ParsedAsset::default();
    let ids = &mut asset.identifiers;
    match source.target {
        Some(Target::Path(p)) => json::push_id(ids, IdentifierKind::Artifact, unquote(&p)),
        Some(Target::Object(t)) => {
            for d in [&t.manifest_digest, &t.image_id].into_iter().flatten() {
                if let Some(d) = json::digest(d) {
                    json::push_id(ids, IdentifierKind::ImageDigest, &d);
                }
            }
            for d in t.repo_digests.iter().flatten() {
                if let Some(d) = json::digest(d) {
                    json::push_id(ids, IdentifierKind::ImageDigest, &d);
                }
            }
            for a in t.user_input.iter().chain(t.path.iter()) {
                json::push_id(ids, IdentifierKind::Artifact, unquote(a));
            }
            for tag in t.tags.iter().flatten() {
                json::push_id(ids, IdentifierKind::Artifact, tag);
            }
        }
        None => {}
    }
    if asset.identifiers.is_empty() {
        let kind = source.kind.unwrap_or_default();
        return Err(format!(
            "the source ({kind}) names no image digest, image or path: nothing to put the findings on"
        ));
    }
    asset.label = asset
        .identifiers
        .iter()
        .find(|(k, _)| *k == IdentifierKind::Artifact)
        .unwrap_or(&asset.identifiers[0])
        .1
        .clone();
    Ok(asset)
}

fn finding(m: Match) -> Option<ParsedFinding> {
    let v = m.vulnerability;
    let related = m.related.unwrap_or_default();
    let id = json::text(v.id.clone())?;
    let name = json::text(m.artifact.name).unwrap_or_default();
    let version = json::text(m.artifact.version).unwrap_or_default();
    let mut f = ParsedFinding {
        title: id.clone(),
        location: json::location(&name, &version, &id),
        severity: Some(v.severity.map_or(Severity::Info, GrypeSeverity::severity)),
        scanner_score: v.severity.map(|s| s.word().to_string()),
        description: json::text(v.description.clone()).or_else(|| {
            related
                .iter()
                .find_map(|r| json::text(r.description.clone()))
        }),
        cvss2: pick_cvss(&v, &related, 2),
        cvss3: pick_cvss(&v, &related, 3),
        cvss4: pick_cvss(&v, &related, 4),
        epss: max_epss(&v).or_else(|| related.iter().filter_map(max_epss).reduce(f64::max)),
        known_exploited: std::iter::once(&v)
            .chain(&related)
            .any(|x| x.known_exploited.as_ref().is_some_and(KnownExploited::yes)),
        ..ParsedFinding::default()
    };
    if let Some(c) = json::cve(&id) {
        f.cves.push(c);
    }
    for r in &related {
        if let Some(c) = r.id.as_deref().and_then(json::cve) {
            json::push_unique(&mut f.cves, c);
        }
    }
    let fix = v.fix.unwrap_or_default();
    let versions: Vec<String> = fix
        .versions
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| json::text(Some(s)))
        .collect();
    f.fixed_version = if versions.is_empty() {
        json::text(v.fixed_in_version)
    } else {
        Some(versions.join(", "))
    };
    if let Some(fixed) = &f.fixed_version {
        if !name.is_empty() {
            f.solution = Some(format!("Upgrade {name} to {fixed}"));
        }
    }
    let mut evidence: Vec<String> = Vec::new();
    for loc in m.artifact.locations.unwrap_or_default() {
        if let Some(p) = json::text(loc.path) {
            json::push_unique(&mut evidence, p);
        }
    }
    if let Some(state) = json::text(fix.state) {
        evidence.push(format!("Grype fix state: {state}"));
    }
    f.evidence = json::text(Some(evidence.join("\n")));
    f.scanner_id = id;
    Some(f)
}

/// Which CVSS slot a version string ("2.0", "3.1", "4.0") belongs to: 2, 3 or 4.
fn cvss_major(version: &str) -> Option<u8> {
    match version.trim().split('.').next()? {
        "2" => Some(2),
        "3" => Some(3),
        "4" => Some(4),
        _ => None,
    }
}

fn max_epss(v: &Vuln) -> Option<f64> {
    v.epss
        .iter()
        .flatten()
        .filter_map(|e| e.epss.filter(|x| x.is_finite()))
        .reduce(f64::max)
}

/// The `major` CVSS version: the vulnerability's own entries (Primary first), its old
/// cvssV2/cvssV3 fields, then the related vulnerabilities' entries (nvd first).
fn pick_cvss(v: &Vuln, related: &[Vuln], major: u8) -> Option<(f64, Option<String>)> {
    let from_list = |list: &Option<Vec<Cvss>>| -> Option<(f64, Option<String>)> {
        let list = list.as_deref().unwrap_or_default();
        let primary = |c: &&Cvss| c.kind.as_deref() == Some("Primary");
        list.iter()
            .filter(primary)
            .chain(list.iter().filter(|c| !primary(c)))
            .filter(|c| c.version.as_deref().and_then(cvss_major) == Some(major))
            .find_map(|c| {
                let score = c.metrics.as_ref()?.base_score.filter(|s| s.is_finite())?;
                Some((score, json::text(c.vector.clone())))
            })
    };
    let old = |o: &Option<OldCvss>| {
        let o = o.as_ref()?;
        let score = o.base_score.filter(|s| s.is_finite())?;
        Some((score, json::text(o.vector.clone())))
    };
    let nvd = |r: &&Vuln| r.namespace.as_deref().is_some_and(|n| n.starts_with("nvd"));
    from_list(&v.cvss)
        .or_else(|| match major {
            2 => old(&v.cvss_v2),
            3 => old(&v.cvss_v3),
            _ => None,
        })
        .or_else(|| {
            related
                .iter()
                .filter(nvd)
                .chain(related.iter().filter(|r| !nvd(r)))
                .find_map(|r| from_list(&r.cvss))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_paths_lose_their_quotes() {
        assert_eq!(unquote("\".\""), ".");
        assert_eq!(unquote("/src"), "/src");
    }
}
