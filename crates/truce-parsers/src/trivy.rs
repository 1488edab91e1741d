//! Aqua Trivy JSON reports (`trivy image|fs|repo|k8s --format json`), in all three shapes:
//! schema 2 (`SchemaVersion`, `ArtifactName`, `Results[]`), the legacy top-level list of
//! results (Trivy before 0.20; a bare `null` when it found nothing), and Kubernetes reports
//! (`ClusterName` with `Resources[]`, or the older `Vulnerabilities[]`/`Misconfigurations[]`
//! lists of resources). Kubernetes resources are streamed: one asset at a time.
//!
//! Asset: the scanned artifact. Identifiers: every image digest the report gives
//! (`Metadata.RepoDigests` without the repository, `Metadata.ImageID`) as `image_digest`,
//! plus `ArtifactName` and `Metadata.RepoTags` as `artifact` (which names the asset).
//! Legacy reports have no ArtifactName: the image is read from the OS result's target
//! ("debian (debian 10.8)" is image "debian"). A Kubernetes resource is the artifact
//! "{ClusterName}/{namespace}/{kind}/{name}" (the cluster is left out when the report has
//! none), plus the digests of its images.
//!
//! Finding identity: (artifact, VulnerabilityID, PkgName, InstalledVersion), location
//! "{PkgName}@{InstalledVersion}". The result Target and PkgPath are NOT part of it: in
//! every sample report, entries sharing those four keys are exact repeats (the fabricated
//! Kubernetes duplicates), never the same package version at two paths; and where one
//! package version does sit at two paths, it is one upgrade to plan, while paths change
//! between builds and would churn findings. The targets and paths go into the evidence.
//!
//! Severity: Trivy's `Severity` CRITICAL/HIGH/MEDIUM/LOW as is; UNKNOWN, or no severity, is
//! info. The word itself is kept as the scanner's score. CVSS v2/v3/v4: for each version
//! the entry of the `SeveritySource` vendor, else nvd's, else the first other vendor
//! that has one (alphabetical).
//!
//! Only vulnerabilities are imported. Misconfigurations, secrets and licenses are skipped:
//! Trivy runs those scanners only on request, and the store closes every open finding of
//! a scanner on an asset that a newer import of that scanner did not report, so mixing
//! them with vulnerabilities would let a vulnerability-only rescan "fix" every
//! misconfiguration (and a config-only scan every vulnerability); secrets would also copy
//! credentials into the workspace. For the same reason a report (or a Kubernetes resource)
//! whose results are all misconfiguration/secret/license results yields no asset at all:
//! it did not look for vulnerabilities, so it must not close any.
//!
//! Also skipped: entries without a VulnerabilityID (nothing to track them by), and entries
//! whose `Status` is `not_affected` (the vendor says the package is not vulnerable).

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::json;
use crate::Severity;
use crate::{Format, IdentifierKind, ParsedAsset, ParsedFinding};

pub struct Trivy;

impl Format for Trivy {
    fn name(&self) -> &'static str {
        "trivy"
    }

    fn scanner(&self) -> &'static str {
        "trivy"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let sk = json::skeleton(head, 2);
        match sk.root {
            // Legacy Trivy wrote a bare null for "no results".
            b'n' => true,
            b'{' => {
                (sk.has("SchemaVersion") && sk.has("ArtifactName"))
                    || (sk.has("ClusterName")
                        && (sk.has("Resources")
                            || sk.has("Vulnerabilities")
                            || sk.has("Misconfigurations")))
            }
            b'[' => {
                sk.has("[]/Target")
                    && (sk.has("[]/Vulnerabilities") || sk.has("[]/Type") || sk.has("[]/Class"))
            }
            _ => false,
        }
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let mut state = State {
            emit: on_asset,
            aborted: None,
            cluster: None,
            pending: Vec::new(),
        };
        let mut de = serde_json::Deserializer::from_reader(crate::json_read::CappedStrings::new(
            BufReader::with_capacity(64 * 1024, input),
        ));
        let done = Document(&mut state)
            .deserialize(&mut de)
            .and_then(|()| de.end());
        done.map_err(|e| json::error(file, e, state.aborted.take()))
    }
}

// ---- the report as Trivy writes it (only what Truce keeps) ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metadata {
    #[serde(rename = "OS")]
    os: Option<Os>,
    #[serde(rename = "ImageID")]
    image_id: Option<String>,
    #[serde(rename = "RepoTags")]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "RepoDigests")]
    repo_digests: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Os {
    #[serde(rename = "Family")]
    family: Option<String>,
    #[serde(rename = "Name")]
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TrivyResult {
    #[serde(rename = "Target")]
    target: Option<String>,
    #[serde(rename = "Class")]
    class: Option<String>,
    #[serde(rename = "Vulnerabilities")]
    vulnerabilities: Option<Vec<Vuln>>,
}

impl TrivyResult {
    /// Whether this result comes from the vulnerability scanner (packages of an OS or a
    /// language), not from the misconfiguration, secret or license scanners. Legacy
    /// results have no Class: Trivy then only scanned packages.
    fn is_package_scan(&self) -> bool {
        match self.class.as_deref() {
            None | Some("os-pkgs") | Some("lang-pkgs") => true,
            Some(_) => self.vulnerabilities.as_ref().is_some_and(|v| !v.is_empty()),
        }
    }
}

#[derive(Deserialize, Clone, Copy)]
enum TrivySeverity {
    #[serde(rename = "CRITICAL")]
    Critical,
    #[serde(rename = "HIGH")]
    High,
    #[serde(rename = "MEDIUM")]
    Medium,
    #[serde(rename = "LOW")]
    Low,
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

impl TrivySeverity {
    fn severity(self) -> Severity {
        match self {
            TrivySeverity::Critical => Severity::Critical,
            TrivySeverity::High => Severity::High,
            TrivySeverity::Medium => Severity::Medium,
            TrivySeverity::Low => Severity::Low,
            TrivySeverity::Unknown => Severity::Info,
        }
    }

    fn word(self) -> &'static str {
        match self {
            TrivySeverity::Critical => "CRITICAL",
            TrivySeverity::High => "HIGH",
            TrivySeverity::Medium => "MEDIUM",
            TrivySeverity::Low => "LOW",
            TrivySeverity::Unknown => "UNKNOWN",
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Vuln {
    #[serde(rename = "VulnerabilityID")]
    id: Option<String>,
    #[serde(rename = "VendorIDs")]
    vendor_ids: Option<Vec<String>>,
    #[serde(rename = "PkgName")]
    pkg_name: Option<String>,
    #[serde(rename = "PkgPath")]
    pkg_path: Option<String>,
    #[serde(rename = "InstalledVersion")]
    installed_version: Option<String>,
    #[serde(rename = "FixedVersion")]
    fixed_version: Option<String>,
    #[serde(rename = "Status")]
    status: Option<String>,
    #[serde(rename = "SeveritySource")]
    severity_source: Option<String>,
    #[serde(rename = "Title")]
    title: Option<String>,
    #[serde(rename = "Description")]
    description: Option<String>,
    #[serde(rename = "Severity")]
    severity: Option<TrivySeverity>,
    #[serde(rename = "CVSS")]
    cvss: Option<BTreeMap<String, Cvss>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cvss {
    #[serde(rename = "V2Score")]
    v2_score: Option<f64>,
    #[serde(rename = "V2Vector")]
    v2_vector: Option<String>,
    #[serde(rename = "V3Score")]
    v3_score: Option<f64>,
    #[serde(rename = "V3Vector")]
    v3_vector: Option<String>,
    #[serde(rename = "V40Score")]
    v40_score: Option<f64>,
    #[serde(rename = "V40Vector")]
    v40_vector: Option<String>,
}

impl Cvss {
    fn version(&self, major: u8) -> Option<(f64, Option<String>)> {
        let (score, vector) = match major {
            2 => (self.v2_score, &self.v2_vector),
            3 => (self.v3_score, &self.v3_vector),
            _ => (self.v40_score, &self.v40_vector),
        };
        let vector = vector.as_ref().filter(|v| !v.trim().is_empty()).cloned();
        score.filter(|s| s.is_finite()).map(|s| (s, vector))
    }
}

/// A Kubernetes resource. Newer Trivy writes Metadata as a list (one per container image).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource {
    #[serde(rename = "Namespace")]
    namespace: Option<String>,
    #[serde(rename = "Kind")]
    kind: Option<String>,
    #[serde(rename = "Name")]
    name: Option<String>,
    #[serde(rename = "Metadata")]
    metadata: Option<OneOrMany<Metadata>>,
    #[serde(rename = "Results")]
    results: Option<Vec<TrivyResult>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

// ---- streaming: the document, and Kubernetes resources one at a time ----

struct State<'a> {
    emit: &'a mut dyn FnMut(ParsedAsset) -> Result<()>,
    /// The writer's error, when it refused an asset and the parse stopped for it.
    aborted: Option<Error>,
    /// The cluster, once its ClusterName key has been read.
    cluster: Option<String>,
    /// Resources read before ClusterName (Trivy writes it first; other writers may not).
    pending: Vec<Resource>,
}

impl State<'_> {
    fn send<E: de::Error>(&mut self, asset: ParsedAsset) -> Result<(), E> {
        (self.emit)(asset).map_err(|e| {
            self.aborted = Some(e);
            E::custom(json::ABORTED)
        })
    }

    fn resource<E: de::Error>(&mut self, r: Resource) -> Result<(), E> {
        match self.cluster.clone() {
            Some(cluster) => match resource_asset(&cluster, r).map_err(E::custom)? {
                Some(asset) => self.send(asset),
                None => Ok(()),
            },
            None => {
                self.pending.push(r);
                Ok(())
            }
        }
    }
}

struct Document<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Trivy JSON report (an object with Results or Resources, or a legacy list of results)")
    }

    /// Legacy Trivy's report of nothing: no target, so no asset.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut results = Vec::new();
        while let Some(r) = seq.next_element::<TrivyResult>()? {
            results.push(r);
        }
        match legacy_asset(results).map_err(de::Error::custom)? {
            Some(asset) => self.0.send(asset),
            None => Ok(()),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut report = Report::default();
        let mut kubernetes = false;
        let mut schema = false;
        let mut has_results = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "SchemaVersion" => {
                    map.next_value::<IgnoredAny>()?;
                    schema = true;
                }
                "ArtifactName" => report.artifact_name = map.next_value()?,
                "CreatedAt" => report.created_at = map.next_value()?,
                "Metadata" => report.metadata = map.next_value()?,
                "Results" => {
                    report.results = map
                        .next_value::<Option<Vec<TrivyResult>>>()?
                        .unwrap_or_default();
                    has_results = true;
                }
                "ClusterName" => {
                    let name = map.next_value::<Option<String>>()?.unwrap_or_default();
                    self.0.cluster = Some(name.trim().to_string());
                    kubernetes = true;
                }
                "Resources" | "Vulnerabilities" | "Misconfigurations" => {
                    map.next_value_seed(Resources(&mut *self.0))?;
                    kubernetes = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if kubernetes {
            let cluster = self.0.cluster.clone().unwrap_or_default();
            for r in std::mem::take(&mut self.0.pending) {
                if let Some(asset) = resource_asset(&cluster, r).map_err(de::Error::custom)? {
                    self.0.send(asset)?;
                }
            }
            return Ok(());
        }
        if !schema && !has_results {
            return Err(de::Error::custom(
                "not a Trivy report: no Results (nor SchemaVersion, ClusterName or Resources)",
            ));
        }
        match report.asset().map_err(de::Error::custom)? {
            Some(asset) => self.0.send(asset),
            None => Ok(()),
        }
    }
}

struct Resources<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Resources<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Resources<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of Kubernetes resources")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(r) = seq.next_element::<Resource>()? {
            self.0.resource(r)?;
        }
        Ok(())
    }
}

// ---- from Trivy's shapes to assets ----

/// A schema-2 report's own fields.
#[derive(Default)]
struct Report {
    artifact_name: Option<String>,
    created_at: Option<String>,
    metadata: Option<Metadata>,
    results: Vec<TrivyResult>,
}

impl Report {
    fn asset(self) -> Result<Option<ParsedAsset>, String> {
        if !self.results.is_empty() && !self.results.iter().any(TrivyResult::is_package_scan) {
            return Ok(None); // a misconfiguration/secret/license scan only
        }
        let mut asset = ParsedAsset::default();
        let name = self.artifact_name.as_deref().unwrap_or("").trim();
        if let Some(md) = &self.metadata {
            image_identifiers(md, &mut asset.identifiers);
        }
        if !name.is_empty() {
            json::push_id(&mut asset.identifiers, IdentifierKind::Artifact, name);
        }
        if let Some(tags) = self.metadata.as_ref().and_then(|m| m.repo_tags.as_ref()) {
            for tag in tags {
                json::push_id(&mut asset.identifiers, IdentifierKind::Artifact, tag);
            }
        }
        if asset.identifiers.is_empty() {
            return Err("the report names no artifact: ArtifactName is empty and Metadata has no image digest".into());
        }
        asset.label = if name.is_empty() {
            asset.identifiers[0].1.clone()
        } else {
            name.to_string()
        };
        asset.os = self.metadata.as_ref().and_then(os_name);
        asset.scanned_at = self.created_at.as_deref().and_then(json::utc);
        asset.findings = findings(self.results);
        Ok(Some(asset))
    }
}

/// A legacy report: the image is the part of the OS result's target before " (family version)".
fn legacy_asset(results: Vec<TrivyResult>) -> Result<Option<ParsedAsset>, String> {
    if results.is_empty() {
        return Ok(None);
    }
    let image = results.iter().find_map(|r| {
        let target = r.target.as_deref()?.trim();
        let (name, os) = target.strip_suffix(')')?.rsplit_once(" (")?;
        (!name.trim().is_empty()).then(|| (name.trim().to_string(), os.trim().to_string()))
    });
    let Some((name, os)) = image else {
        return Err("a legacy Trivy report (a list of results) without an OS result such as \"alpine:3.19 (alpine 3.19.1)\": nothing names the scanned image".into());
    };
    let mut asset = ParsedAsset {
        label: name.clone(),
        identifiers: vec![(IdentifierKind::Artifact, name)],
        os: (!os.is_empty()).then_some(os),
        ..ParsedAsset::default()
    };
    asset.findings = findings(results);
    Ok(Some(asset))
}

fn resource_asset(cluster: &str, r: Resource) -> Result<Option<ParsedAsset>, String> {
    let results = r.results.unwrap_or_default();
    if !results.iter().any(TrivyResult::is_package_scan) {
        return Ok(None); // no image of it was scanned for vulnerabilities
    }
    let part = |s: &Option<String>| s.as_deref().unwrap_or("").trim().to_string();
    let (namespace, kind, name) = (part(&r.namespace), part(&r.kind), part(&r.name));
    if kind.is_empty() && name.is_empty() {
        return Err("a Kubernetes resource without Kind and Name".into());
    }
    let reference = format!("{namespace}/{kind}/{name}");
    let artifact = if cluster.is_empty() {
        reference
    } else {
        format!("{cluster}/{reference}")
    };
    let mut asset = ParsedAsset {
        label: artifact.clone(),
        ..ParsedAsset::default()
    };
    json::push_id(&mut asset.identifiers, IdentifierKind::Artifact, &artifact);
    for md in r.metadata.map(OneOrMany::into_vec).unwrap_or_default() {
        image_identifiers(&md, &mut asset.identifiers);
        if asset.os.is_none() {
            asset.os = os_name(&md);
        }
    }
    asset.findings = findings(results);
    Ok(Some(asset))
}

fn image_identifiers(md: &Metadata, ids: &mut Vec<(IdentifierKind, String)>) {
    for d in md.repo_digests.iter().flatten() {
        if let Some(d) = json::digest(d) {
            json::push_id(ids, IdentifierKind::ImageDigest, &d);
        }
    }
    if let Some(d) = md.image_id.as_deref().and_then(json::digest) {
        json::push_id(ids, IdentifierKind::ImageDigest, &d);
    }
}

fn os_name(md: &Metadata) -> Option<String> {
    let os = md.os.as_ref()?;
    let text = format!(
        "{} {}",
        os.family.as_deref().unwrap_or(""),
        os.name.as_deref().unwrap_or("")
    );
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

// ---- findings ----

/// An artifact's findings with repeats merged on (VulnerabilityID, location).
fn findings(results: Vec<TrivyResult>) -> Vec<ParsedFinding> {
    let mut out = json::Findings::default();
    for r in results {
        if !r.is_package_scan() {
            continue;
        }
        let target = r.target.unwrap_or_default();
        for v in r.vulnerabilities.unwrap_or_default() {
            if let Some(f) = finding(v, target.trim()) {
                out.add(f);
            }
        }
    }
    out.into_vec()
}

fn finding(v: Vuln, target: &str) -> Option<ParsedFinding> {
    let id = json::text(v.id)?;
    let status = json::text(v.status);
    if status.as_deref() == Some("not_affected") {
        return None;
    }
    let pkg = json::text(v.pkg_name).unwrap_or_default();
    let version = json::text(v.installed_version).unwrap_or_default();
    let mut f = ParsedFinding {
        location: json::location(&pkg, &version, target),
        severity: Some(v.severity.map_or(Severity::Info, TrivySeverity::severity)),
        scanner_score: v.severity.map(|s| s.word().to_string()),
        title: json::text(v.title).unwrap_or_else(|| id.clone()),
        description: json::text(v.description),
        fixed_version: json::text(v.fixed_version),
        ..ParsedFinding::default()
    };
    if let Some(fixed) = &f.fixed_version {
        if !pkg.is_empty() {
            f.solution = Some(format!("Upgrade {pkg} to {fixed}"));
        }
    }
    if let Some(cvss) = &v.cvss {
        let source = v.severity_source.as_deref().map(str::trim);
        f.cvss2 = pick_cvss(cvss, source, 2);
        f.cvss3 = pick_cvss(cvss, source, 3);
        f.cvss4 = pick_cvss(cvss, source, 4);
    }
    if let Some(c) = json::cve(&id) {
        f.cves.push(c);
    }
    for other in v.vendor_ids.iter().flatten() {
        if let Some(c) = json::cve(other) {
            json::push_unique(&mut f.cves, c);
        }
    }
    let mut evidence = String::from(target);
    if let Some(path) = json::text(v.pkg_path) {
        evidence = if evidence.is_empty() {
            path
        } else {
            format!("{evidence}: {path}")
        };
    }
    if let Some(status) = status {
        evidence.push_str(&format!("\nTrivy status: {status}"));
    }
    f.evidence = json::text(Some(evidence));
    f.scanner_id = id;
    Some(f)
}

/// The `major` CVSS version: the severity source's entry, else nvd's, else the first vendor's.
fn pick_cvss(
    map: &BTreeMap<String, Cvss>,
    source: Option<&str>,
    major: u8,
) -> Option<(f64, Option<String>)> {
    source
        .into_iter()
        .chain(Some("nvd"))
        .chain(map.keys().map(String::as_str))
        .find_map(|vendor| map.get(vendor).and_then(|c| c.version(major)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_lose_their_repository() {
        assert_eq!(
            json::digest("alpine@sha256:BCAE37").as_deref(),
            Some("sha256:bcae37")
        );
        assert_eq!(
            json::digest("sha256:22ae39").as_deref(),
            Some("sha256:22ae39")
        );
        assert_eq!(json::digest(""), None);
        assert_eq!(json::digest("REDACTED"), None);
    }

    #[test]
    fn cvss_prefers_the_severity_source_then_nvd_then_any() {
        let mut map = BTreeMap::new();
        map.insert(
            "ghsa".to_string(),
            Cvss {
                v3_score: Some(7.5),
                ..Cvss::default()
            },
        );
        map.insert(
            "nvd".to_string(),
            Cvss {
                v3_score: Some(9.8),
                v2_score: Some(5.0),
                ..Cvss::default()
            },
        );
        map.insert(
            "redhat".to_string(),
            Cvss {
                v40_score: Some(6.3),
                ..Cvss::default()
            },
        );
        assert_eq!(pick_cvss(&map, Some("ghsa"), 3).unwrap().0, 7.5);
        assert_eq!(pick_cvss(&map, Some("ubuntu"), 3).unwrap().0, 9.8);
        assert_eq!(pick_cvss(&map, Some("ghsa"), 2).unwrap().0, 5.0);
        assert_eq!(pick_cvss(&map, None, 4).unwrap().0, 6.3);
    }
}
