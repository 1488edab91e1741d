//! Truce's report parsers: one module per format behind the small [`Format`] trait; the format
//! is detected from content, never from the name. Parsers stream (one host at a time, so memory
//! stays flat in file size) and produce plain values: they never see SQLite, the network or the
//! workspace (`crates/truce-core/tests/crate_graph.rs` checks it); the core's store writes them.

mod csvread;
mod cve;
mod cyclonedx;
mod defectdojo;
mod defender;
mod defender_tvm;
mod error;
mod generic_csv;
mod grype;
mod json;
mod json_read;
pub mod mapping;
mod markup;
mod nessus;
mod nessus_csv;
mod nexpose;
mod openvas;
mod openvex;
mod qualys;
mod qualys_csv;
mod qualys_detections;
mod rapid7_insightvm;
mod sarif;
mod severity;
mod tenable_sc;
mod tenable_vm;
mod trivy;
mod xml;

use std::io::BufRead;

use chrono::{DateTime, SecondsFormat, Utc};

pub use error::{Error, Result};
pub use generic_csv::GenericCsv;
pub use json::{cve, error as json_error_with};
pub use markup::to_text as markup_to_text;
pub use severity::Severity;

/// A time as the parsers give it and every table keeps it: RFC 3339, UTC, always milliseconds
/// ('2026-12-01T21:00:00.000Z'). One fixed precision, so the text's order is the time's order.
pub fn utc_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The kinds of key a scanner uses to name a machine or an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentifierKind {
    Fqdn,
    Hostname,
    Netbios,
    Ip,
    Mac,
    CloudId,
    ImageDigest,
    /// What an image or dependency scanner scanned, when it has no digest: an image
    /// reference ('alpine:3.19'), a repository or a path.
    Artifact,
}

impl IdentifierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Fqdn => "fqdn",
            IdentifierKind::Hostname => "hostname",
            IdentifierKind::Netbios => "netbios",
            IdentifierKind::Ip => "ip",
            IdentifierKind::Mac => "mac",
            IdentifierKind::CloudId => "cloud_id",
            IdentifierKind::ImageDigest => "image_digest",
            IdentifierKind::Artifact => "artifact",
        }
    }
}

/// One scanned machine, image or artifact with everything the file says was found on it.
#[derive(Debug, Clone, Default)]
pub struct ParsedAsset {
    /// The scanner's own name for the target (ReportHost@name ...), for messages.
    pub label: String,
    pub identifiers: Vec<(IdentifierKind, String)>,
    pub os: Option<String>,
    /// When the scan of this target started, RFC 3339 UTC.
    pub scanned_at: Option<String>,
    pub findings: Vec<ParsedFinding>,
    /// The tool behind these findings when one format carries several (SARIF: "sarif:codeql");
    /// `None` means the format's own `scanner()`. A rescan closes only its own tool's findings.
    pub scanner: Option<String>,
    /// Vendor verdicts (VEX) about findings other files reported. Only an OpenVEX document
    /// sends these, in an asset with no identifiers and no findings: the writer then
    /// creates no asset and applies each statement to the matching open findings.
    pub statements: Vec<VexStatement>,
}

/// One vulnerability at one location on the host, as the scanner reported it.
#[derive(Debug, Clone, Default)]
pub struct ParsedFinding {
    pub scanner_id: String,
    pub title: String,
    pub severity: Option<Severity>,
    pub scanner_score: Option<String>,
    pub cvss2: Option<(f64, Option<String>)>,
    pub cvss3: Option<(f64, Option<String>)>,
    pub cvss4: Option<(f64, Option<String>)>,
    pub epss: Option<f64>,
    pub known_exploited: bool,
    pub exploit_available: bool,
    pub cves: Vec<String>,
    pub description: Option<String>,
    pub solution: Option<String>,
    pub fixed_version: Option<String>,
    /// '443/tcp' for host scanners, 'package@version' for image scanners.
    pub location: String,
    pub evidence: Option<String>,
    /// What the report's author says about this finding (CycloneDX `analysis.state`):
    /// the writer sets an open finding to false_positive or fixed accordingly.
    pub verdict: Option<Verdict>,
}

/// A vendor's verdict on a vulnerability (VEX).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictStatus {
    /// The product is not affected (or the finding is a false positive): false_positive.
    NotAffected,
    /// The vulnerability is fixed in the product: fixed.
    Fixed,
}

/// A verdict on one finding, with the reason the change log keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: VerdictStatus,
    /// "VEX not_affected: code_not_reachable (detail ...)".
    pub reason: String,
}

/// One OpenVEX statement for one product: applies to every open finding of `vulnerability`
/// (its scanner id or one of its CVEs) located at the product's package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    pub vulnerability: String,
    /// Package name and version from the product's purl; `None` means every package.
    pub product: Option<(String, Option<String>)>,
    pub status: VerdictStatus,
    pub reason: String,
    /// When the verdict was made (RFC 3339 UTC): the closing time of what it fixes.
    pub at: Option<String>,
}

/// A scanner report format.
pub trait Format: Sync {
    /// The name users pass to `--format`.
    fn name(&self) -> &'static str;
    /// The scanner, as stored with each vulnerability ('nessus' ...).
    fn scanner(&self) -> &'static str;
    /// Whether the first bytes of a file look like this format.
    fn sniff(&self, head: &[u8]) -> bool;
    /// Whether a finding this report does not mention, on a host it covers, was fixed (a rescan
    /// of the host), or is simply not part of it (an export of what changed in a window).
    fn closes_missing(&self) -> bool {
        true
    }
    /// Streams the report, calling `asset` once per scanned target (a target may come more
    /// than once; the writer merges). `file` names the input in errors.
    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()>;
}

pub fn formats() -> &'static [&'static dyn Format] {
    &[
        &nessus::Nessus,
        &openvas::OpenVas,
        &nexpose::Nexpose,
        &trivy::Trivy,
        &grype::Grype,
        &sarif::Sarif,
        &defender_tvm::DefenderTvm,
        &defender::Defender,
        &nessus_csv::NessusCsv,
        &qualys::Qualys,
        &qualys_csv::QualysCsv,
        &qualys_csv::QualysVmdr,
        &cyclonedx::CycloneDx,
        &openvex::OpenVex,
        &tenable_vm::TenableVm,
        &tenable_sc::TenableSc,
        &defectdojo::DefectDojo,
        &qualys_detections::QualysDetections,
        &rapid7_insightvm::Rapid7InsightVm,
    ]
}

/// Picks the format by name, or by sniffing `head` when no name is given.
pub fn choose_format(file: &str, name: Option<&str>, head: &[u8]) -> Result<&'static dyn Format> {
    if let Some(name) = name {
        return formats()
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<_> = formats().iter().map(|f| f.name()).collect();
                Error::Invalid(format!(
                    "unknown format '{name}' (known: {})",
                    known.join(", ")
                ))
            });
    }
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(bad(file, "byte 0", "the file is empty"));
    }
    formats()
        .iter()
        .copied()
        .find(|f| f.sniff(head))
        .ok_or_else(|| {
            let known: Vec<_> = formats().iter().map(|f| f.name()).collect();
            Error::UnknownFormat {
                file: file.to_string(),
                known: known.join(", "),
                hint: String::new(),
            }
        })
}

/// A chosen format: a built-in one, or a generic CSV read through a saved column mapping.
pub enum Chosen {
    Builtin(&'static dyn Format),
    Mapped(Box<GenericCsv>),
}

impl Chosen {
    pub fn format(&self) -> &dyn Format {
        match self {
            Chosen::Builtin(f) => *f,
            Chosen::Mapped(g) => g.as_ref(),
        }
    }
}

/// The error for a problem at `position` of `file`.
pub fn bad(file: &str, position: &str, problem: &str) -> Error {
    Error::BadInput {
        file: file.to_string(),
        position: position.to_string(),
        problem: problem.to_string(),
    }
}
