//! SARIF 2.1.0 logs (CodeQL, Semgrep, ShellCheck, SpotBugs ... any static analysis tool).
//! See docs/formats/sarif.md for the rules; in short:
//!
//! - Scanner "sarif" for every tool: `Format::scanner` is fixed per format, so the tool goes
//!   into the vulnerability id instead: scanner_id = "<tool driver name, lower case>:<ruleId>".
//! - Asset per run: versionControlProvenance[0].repositoryUri, else an absolute
//!   originalUriBaseIds root (SRCROOT first), else "<tool>:<report file name>"; as an Artifact.
//! - One finding per result location: "<artifactLocation.uri>:<startLine>" (uri alone without a
//!   line; the logical location's name without a physical one; "-" without any). Repeats merge.
//! - Severity: rule property "security-severity" wins (>= 9 critical, >= 7 high, >= 4 medium,
//!   above 0 low, else info; a severity word is taken as said); otherwise the level (result, else rule default, else warning):
//!   error high, warning medium, note low, none info.
//! - Skipped: results whose kind is not "fail", and suppressed results (a suppression whose
//!   state is absent or "accepted").

use std::collections::HashMap;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::Value;

use crate::cve::cves_in;
use crate::error::Result;
use crate::json_read::{has_key, object_head, read};
use crate::Severity;
use crate::{bad, Format, IdentifierKind, ParsedAsset, ParsedFinding};

pub struct Sarif;

impl Format for Sarif {
    fn name(&self) -> &'static str {
        "sarif"
    }

    fn scanner(&self) -> &'static str {
        "sarif"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let Some(head) = object_head(head) else {
            return false;
        };
        // A SARIF log is an object with "runs" and "version" "2.1.0" (or a SARIF $schema);
        // Trivy ("SchemaVersion"/"Results") and Grype ("matches") have no "runs" key.
        let text = String::from_utf8_lossy(head);
        has_key(head, "runs")
            && (text.to_ascii_lowercase().contains("sarif") || has_version_210(head))
    }

    fn parse(
        &self,
        file: &str,
        input: &mut dyn BufRead,
        on_asset: &mut dyn FnMut(ParsedAsset) -> Result<()>,
    ) -> Result<()> {
        let log: Log = read(file, input, "a SARIF log")?;
        match log.version.as_deref() {
            Some("2.1.0") => {}
            Some(v) => {
                return Err(bad(
                    file,
                    "$.version",
                    &format!("SARIF version {v} is not supported (only 2.1.0)"),
                ))
            }
            None => {
                return Err(bad(
                    file,
                    "$.version",
                    "no \"version\": not a SARIF 2.1.0 log",
                ))
            }
        }
        let base = std::path::Path::new(file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.to_string());
        for run in log.runs.unwrap_or_default() {
            on_asset(read_run(&run, &base))?;
        }
        Ok(())
    }
}

fn has_version_210(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("\"version\":\"2.1.0\"")
}

#[derive(Deserialize)]
struct Log {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    runs: Option<Vec<Run>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Run {
    tool: Tool,
    results: Option<Vec<SarifResult>>,
    version_control_provenance: Option<Vec<Provenance>>,
    original_uri_base_ids: Option<HashMap<String, ArtifactLocation>>,
    artifacts: Option<Vec<Artifact>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Tool {
    driver: Component,
    extensions: Option<Vec<Component>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Component {
    name: String,
    rules: Option<Vec<Rule>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Rule {
    id: Option<String>,
    name: Option<String>,
    short_description: Option<Message>,
    full_description: Option<Message>,
    help: Option<Message>,
    default_configuration: Option<Configuration>,
    message_strings: Option<HashMap<String, Message>>,
    properties: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Configuration {
    level: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Message {
    text: Option<String>,
    id: Option<String>,
    arguments: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Provenance {
    repository_uri: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ArtifactLocation {
    uri: Option<String>,
    uri_base_id: Option<String>,
    index: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Artifact {
    location: Option<ArtifactLocation>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct SarifResult {
    rule_id: Option<String>,
    rule_index: Option<i64>,
    rule: Option<RuleReference>,
    kind: Option<String>,
    level: Option<String>,
    message: Option<Message>,
    locations: Option<Vec<Location>>,
    suppressions: Option<Vec<Suppression>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RuleReference {
    id: Option<String>,
    index: Option<i64>,
    tool_component: Option<ComponentReference>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ComponentReference {
    index: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Location {
    physical_location: Option<PhysicalLocation>,
    logical_locations: Option<Vec<LogicalLocation>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PhysicalLocation {
    artifact_location: Option<ArtifactLocation>,
    region: Option<Region>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Region {
    start_line: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LogicalLocation {
    fully_qualified_name: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Suppression {
    state: Option<String>,
}

/// What the run analysed: the repository, else an absolute source root, else the tool and
/// the report's file name (nothing in the log names the target).
fn target(run: &Run, tool: &str, file_base: &str) -> String {
    let repo = run
        .version_control_provenance
        .iter()
        .flatten()
        .filter_map(|p| p.repository_uri.as_deref())
        .map(str::trim)
        .find(|u| !u.is_empty());
    if let Some(repo) = repo {
        return repo.to_string();
    }
    if let Some(bases) = &run.original_uri_base_ids {
        let mut keys: Vec<&String> = bases.keys().collect();
        // SRCROOT (the conventional name) first, then the others in name order.
        keys.sort_by_key(|k| (k.trim_matches('%') != "SRCROOT", k.to_string()));
        for k in keys {
            let b = &bases[k];
            if b.uri_base_id.is_none() {
                if let Some(uri) = b.uri.as_deref().map(str::trim) {
                    if is_absolute(uri) {
                        return uri.to_string();
                    }
                }
            }
        }
    }
    format!("{tool}:{file_base}")
}

fn is_absolute(uri: &str) -> bool {
    match uri.find(':') {
        Some(i) if i > 0 => uri[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)),
        _ => false,
    }
}

fn read_run(run: &Run, file_base: &str) -> ParsedAsset {
    let tool_name = run.tool.driver.name.trim();
    let tool = if tool_name.is_empty() {
        "unknown".to_string()
    } else {
        tool_name.to_lowercase()
    };
    let target = target(run, &tool, file_base);
    let mut asset = ParsedAsset {
        label: target.clone(),
        identifiers: vec![(IdentifierKind::Artifact, target)],
        // Each tool is its own scanner: a CodeQL run must not close Semgrep's findings.
        scanner: Some(format!("sarif:{tool}")),
        ..Default::default()
    };
    for result in run.results.iter().flatten() {
        if result.kind.as_deref().is_some_and(|k| k != "fail") {
            continue; // pass, notApplicable, informational, review, open: not a problem found
        }
        if is_suppressed(result) {
            continue;
        }
        read_result(run, &tool, result, &mut asset.findings);
    }
    asset
}

fn is_suppressed(result: &SarifResult) -> bool {
    result
        .suppressions
        .iter()
        .flatten()
        .any(|s| s.state.as_deref().is_none_or(|st| st == "accepted"))
}

fn find_rule<'a>(run: &'a Run, result: &SarifResult) -> Option<&'a Rule> {
    let component = match result
        .rule
        .as_ref()
        .and_then(|r| r.tool_component.as_ref())
        .and_then(|c| c.index)
    {
        Some(i) => run
            .tool
            .extensions
            .as_ref()?
            .get(usize::try_from(i).ok()?)?,
        None => &run.tool.driver,
    };
    let rules = component.rules.as_deref().unwrap_or_default();
    let index = result
        .rule_index
        .or_else(|| result.rule.as_ref().and_then(|r| r.index));
    if let Some(rule) = index
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| rules.get(i))
    {
        return Some(rule);
    }
    let id = result
        .rule_id
        .as_deref()
        .or_else(|| result.rule.as_ref().and_then(|r| r.id.as_deref()))?;
    rules
        .iter()
        .find(|r| r.id.as_deref() == Some(id))
        .or_else(|| {
            run.tool
                .extensions
                .iter()
                .flatten()
                .flat_map(|c| c.rules.iter().flatten())
                .find(|r| r.id.as_deref() == Some(id))
        })
}

/// The message's text, or its template from the rule filled with its arguments.
fn message_text(message: Option<&Message>, rule: Option<&Rule>) -> Option<String> {
    let m = message?;
    if let Some(t) = &m.text {
        return Some(t.clone());
    }
    let template = rule?
        .message_strings
        .as_ref()?
        .get(m.id.as_deref()?)?
        .text
        .clone()?;
    let mut out = template;
    for (i, arg) in m.arguments.iter().flatten().enumerate() {
        out = out.replace(&format!("{{{i}}}"), arg);
    }
    Some(out)
}

fn text(m: &Option<Message>) -> Option<String> {
    m.as_ref()
        .and_then(|m| m.text.as_deref())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

enum SecuritySeverity {
    Score(f64),
    Named(Severity),
}

fn security_severity(rule: Option<&Rule>) -> Option<SecuritySeverity> {
    let v = rule?.properties.as_ref()?.get("security-severity")?;
    let text = match v {
        Value::Number(n) => {
            return n
                .as_f64()
                .filter(|n| n.is_finite())
                .map(SecuritySeverity::Score)
        }
        Value::String(s) => s.trim(),
        _ => return None,
    };
    if let Ok(n) = text.parse::<f64>() {
        return n.is_finite().then_some(SecuritySeverity::Score(n));
    }
    Severity::parse(text).map(SecuritySeverity::Named)
}

fn severity_of_score(score: f64) -> Severity {
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

fn severity_of_level(level: &str) -> Severity {
    match level {
        "error" => Severity::High,
        "note" => Severity::Low,
        "none" => Severity::Info,
        _ => Severity::Medium, // "warning", and the spec's default
    }
}

/// The CVE ids a rule names in its id, name, tags or other string properties.
fn rule_cves(rule_id: &str, rule: Option<&Rule>) -> Vec<String> {
    let mut out = Vec::new();
    cves_in(rule_id, &mut out);
    if let Some(rule) = rule {
        if let Some(name) = &rule.name {
            cves_in(name, &mut out);
        }
        for v in rule.properties.iter().flat_map(|p| p.values()) {
            match v {
                Value::String(s) => cves_in(s, &mut out),
                Value::Array(items) => {
                    for s in items.iter().filter_map(Value::as_str) {
                        cves_in(s, &mut out);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn first_line(s: &str) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() > 200 {
        let cut: String = line.chars().take(199).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

fn read_result(run: &Run, tool: &str, result: &SarifResult, out: &mut Vec<ParsedFinding>) {
    let rule = find_rule(run, result);
    let message = message_text(result.message.as_ref(), rule);
    let rule_id = result
        .rule_id
        .clone()
        .or_else(|| result.rule.as_ref().and_then(|r| r.id.clone()))
        .or_else(|| rule.and_then(|r| r.id.clone()))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        // A result that names no rule (Gitleaks 7) is known by its message.
        .or_else(|| message.as_deref().map(first_line))
        .unwrap_or_else(|| "(no rule)".to_string());
    let (severity, score) = match security_severity(rule) {
        Some(SecuritySeverity::Score(s)) => {
            (severity_of_score(s), format!("security-severity {s}"))
        }
        // Semgrep writes a word ("MEDIUM") where the spec wants a number: it is still meant.
        Some(SecuritySeverity::Named(s)) => (s, format!("security-severity {}", s.as_str())),
        None => {
            let level = result
                .level
                .clone()
                .or_else(|| rule.and_then(|r| r.default_configuration.as_ref()?.level.clone()))
                .unwrap_or_else(|| "warning".to_string());
            (severity_of_level(&level), format!("level {level}"))
        }
    };
    let title = rule
        .and_then(|r| text(&r.short_description))
        .or_else(|| message.as_deref().map(first_line).filter(|t| !t.is_empty()))
        .unwrap_or_else(|| rule_id.clone());
    let description = rule.and_then(|r| text(&r.full_description).or_else(|| text(&r.help)));
    let finding = ParsedFinding {
        scanner_id: format!("{tool}:{rule_id}"),
        title,
        severity: Some(severity),
        scanner_score: Some(score),
        cves: rule_cves(&rule_id, rule),
        description,
        evidence: message,
        ..Default::default()
    };
    let locations: Vec<String> = result
        .locations
        .iter()
        .flatten()
        .map(|l| location(run, l))
        .collect();
    if locations.is_empty() {
        out.push(ParsedFinding {
            location: "-".to_string(),
            ..finding
        });
        return;
    }
    for loc in locations {
        out.push(ParsedFinding {
            location: loc,
            ..finding.clone()
        });
    }
}

/// "uri:startLine", "uri", the logical location's name, or "-".
fn location(run: &Run, l: &Location) -> String {
    if let Some(p) = &l.physical_location {
        let uri = p.artifact_location.as_ref().and_then(|a| {
            a.uri.clone().or_else(|| {
                let i = usize::try_from(a.index?).ok()?;
                run.artifacts
                    .as_ref()?
                    .get(i)?
                    .location
                    .as_ref()?
                    .uri
                    .clone()
            })
        });
        if let Some(uri) = uri {
            return match p.region.as_ref().and_then(|r| r.start_line) {
                Some(line) => format!("{uri}:{line}"),
                None => uri,
            };
        }
    }
    l.logical_locations
        .iter()
        .flatten()
        .find_map(|l| l.fully_qualified_name.clone().or_else(|| l.name.clone()))
        .unwrap_or_else(|| "-".to_string())
}
