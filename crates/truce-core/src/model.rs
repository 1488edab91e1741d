//! The domain vocabulary, in the users' words. Types here cross to the UI and are
//! exported to TypeScript by `bindings`; change them and regenerate.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Normalised severity (the parsers' crate defines it: every scanner's scale maps onto it).
pub use truce_parsers::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Open,
    Fixed,
    FalsePositive,
    RiskAccepted,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Open => "open",
            FindingStatus::Fixed => "fixed",
            FindingStatus::FalsePositive => "false_positive",
            FindingStatus::RiskAccepted => "risk_accepted",
        }
    }

    pub fn parse(s: &str) -> Option<FindingStatus> {
        [
            Self::Open,
            Self::Fixed,
            Self::FalsePositive,
            Self::RiskAccepted,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// How many of something there are at each severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SeverityCounts {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub info: u32,
}

impl SeverityCounts {
    pub fn add(&mut self, s: Severity, n: u32) {
        match s {
            Severity::Critical => self.critical += n,
            Severity::High => self.high += n,
            Severity::Medium => self.medium += n,
            Severity::Low => self.low += n,
            Severity::Info => self.info += n,
        }
    }

    pub fn total(&self) -> u32 {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

/// What `truce status` and the first screen count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkspaceCounts {
    pub assets: u32,
    pub findings: u32,
    pub open_findings: u32,
    pub work_items: u32,
    pub change_windows: u32,
    pub imports: u32,
    /// Open findings by severity.
    pub open_by_severity: SeverityCounts,
}

/// One import as the imports list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportSummary {
    pub id: String,
    pub format: String,
    pub file_name: String,
    pub imported_at: String,
    pub imported_by: String,
    pub assets: u32,
    pub findings: u32,
    pub new_findings: u32,
}

/// The first screen: which workspace, how big, what came in lately.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkspaceOverview {
    pub path: String,
    pub name: String,
    pub schema_version: u32,
    pub counts: WorkspaceCounts,
    pub latest_imports: Vec<ImportSummary>,
    pub upcoming_windows: Vec<ChangeWindowSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChangeWindowSummary {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub time_zone: String,
    pub starts_local: String,
    pub duration_min: u32,
    pub rrule: Option<String>,
}

/// One row of the findings list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FindingRow {
    pub id: String,
    pub asset: String,
    pub title: String,
    pub scanner: String,
    pub scanner_id: String,
    pub severity: Severity,
    pub status: FindingStatus,
    pub location: String,
    pub cves: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
}

/// Which findings to list. The list is virtualized: the UI asks for slices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct FindingsQuery {
    pub offset: u32,
    pub limit: u32,
    /// Case-insensitive match on asset, title, CVE or scanner id.
    pub text: Option<String>,
    /// Only these severities; empty means all.
    pub severities: Vec<Severity>,
    /// Include fixed, false-positive and risk-accepted findings.
    pub include_closed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FindingsPage {
    /// How many findings match the query in all.
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<FindingRow>,
}

/// What one imported file did to the workspace (also `truce import --json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportReport {
    pub file: String,
    pub format: String,
    /// Distinct assets in the file after merging repeats.
    pub assets: u32,
    /// Distinct findings in the file after merging repeats.
    pub findings: u32,
    pub new: u32,
    pub closed: u32,
    pub reopened: u32,
    pub unchanged: u32,
    pub by_severity: SeverityCounts,
}

/// How far the app's import has got (the `import-progress` event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportProgress {
    pub file: String,
    /// 0-based position of this file among the files being imported.
    pub index: u32,
    pub count: u32,
    pub read_bytes: f64,
    pub total_bytes: f64,
}

/// What happened to one file of an import: its report, or why it was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportOutcome {
    pub file: String,
    pub report: Option<ImportReport>,
    pub error: Option<String>,
}

/// Recently opened workspaces, newest first, as the welcome screen and the menu show them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RecentWorkspaces {
    pub paths: Vec<String>,
}

/// Which workspace the app has open, if any, and why not when opening failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AppStatus {
    pub workspace: Option<WorkspaceOverview>,
    pub recent: Vec<String>,
    pub error: Option<String>,
}

/// A change window is a maintenance window (work may happen) or a blackout (freeze: none may).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    Maintenance,
    Blackout,
}

impl WindowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Maintenance => "maintenance",
            WindowKind::Blackout => "blackout",
        }
    }

    pub fn parse(s: &str) -> Option<WindowKind> {
        [WindowKind::Maintenance, WindowKind::Blackout]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// A change window series as stored: when it first starts (wall time in its zone), how it
/// repeats, and what it is for. `None` scope lists mean "all".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChangeWindow {
    pub id: String,
    pub name: String,
    pub kind: WindowKind,
    pub description: Option<String>,
    /// IANA zone, e.g. Europe/Berlin.
    pub time_zone: String,
    /// The first occurrence's wall time, 'YYYY-MM-DDTHH:MM:SS'.
    pub starts_local: String,
    pub duration_min: u32,
    pub rrule: Option<String>,
    /// RFC 5545 EXRULEs (deprecated), one a line: their instances are removed.
    pub exrule: Option<String>,
    /// RFC 5545 values separated by commas: '20240611T030000Z', '20240611T050000' (wall time), '20240611'.
    pub exdates: Option<String>,
    pub rdates: Option<String>,
    pub environments: Option<Vec<String>>,
    pub asset_tags: Option<Vec<String>>,
    /// Team ids.
    pub teams: Option<Vec<String>>,
    pub max_assets: Option<u32>,
    pub max_items: Option<u32>,
    /// The iCalendar file name or URL it was imported from, and the event's UID there.
    pub source: Option<String>,
    pub source_uid: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One concrete occurrence of a window: items are scheduled on these, never on a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Occurrence {
    pub window_id: String,
    pub window_name: String,
    pub kind: WindowKind,
    #[ts(type = "string")]
    pub start_utc: chrono::DateTime<chrono::Utc>,
    #[ts(type = "string")]
    pub end_utc: chrono::DateTime<chrono::Utc>,
    pub time_zone: String,
    /// Wall times in `time_zone` ('YYYY-MM-DDTHH:MM:SS').
    #[ts(type = "string")]
    pub start_local: chrono::NaiveDateTime,
    #[ts(type = "string")]
    pub end_local: chrono::NaiveDateTime,
    /// The same wall times with their UTC offset, RFC 3339 ('2026-03-31T22:00:00+02:00').
    pub start_zoned: String,
    pub end_zoned: String,
    pub environments: Option<Vec<String>>,
    pub asset_tags: Option<Vec<String>>,
    pub teams: Option<Vec<String>>,
    pub max_assets: Option<u32>,
    pub max_items: Option<u32>,
}

/// What importing an iCalendar file or URL did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WindowImportReport {
    pub source: String,
    pub created: u32,
    pub updated: u32,
    pub removed: u32,
    pub unchanged: u32,
    /// Windows whose event is gone from the source but that have items scheduled on them, so
    /// they were kept: "name (id)".
    pub kept_in_use: Vec<String>,
    /// Occurrences with items scheduled on them that the updated calendar no longer has:
    /// "name (id) at 2026-03-24T21:00:00Z". The items stay; they need a new occurrence.
    pub stranded: Vec<String>,
}
