//! What the planning screens and `truce items` show. Exported to TypeScript by `bindings`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{FindingStatus, Severity};

/// Where a work item is in its life. See `docs/planning.md` for the allowed moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Backlog,
    Proposed,
    Scheduled,
    Approved,
    InProgress,
    Done,
    Verified,
    Failed,
    RolledBack,
    Deferred,
}

impl ItemState {
    pub const ALL: [ItemState; 10] = [
        ItemState::Backlog,
        ItemState::Proposed,
        ItemState::Scheduled,
        ItemState::Approved,
        ItemState::InProgress,
        ItemState::Done,
        ItemState::Verified,
        ItemState::Failed,
        ItemState::RolledBack,
        ItemState::Deferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Backlog => "backlog",
            ItemState::Proposed => "proposed",
            ItemState::Scheduled => "scheduled",
            ItemState::Approved => "approved",
            ItemState::InProgress => "in_progress",
            ItemState::Done => "done",
            ItemState::Verified => "verified",
            ItemState::Failed => "failed",
            ItemState::RolledBack => "rolled_back",
            ItemState::Deferred => "deferred",
        }
    }

    /// Finished (done, verified) or set aside (deferred): the item keeps its place on an
    /// occurrence, and the capacity it uses, as a record, but is no longer checked or planned,
    /// and never holds a window back.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            ItemState::Done | ItemState::Verified | ItemState::Deferred
        )
    }

    /// `state NOT IN (...)`: the SQL of `!is_settled()` over a `state` column.
    pub fn not_settled_sql() -> String {
        let settled: Vec<String> = Self::ALL
            .into_iter()
            .filter(|s| s.is_settled())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!("state NOT IN ({})", settled.join(", "))
    }

    /// Accepts the stored names and the spoken ones ("in progress", "rolled-back").
    pub fn parse(s: &str) -> Option<ItemState> {
        let s = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Whether an item (or finding) will be fixed within its SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    OnTrack,
    /// Less than 25% of the allowed time left, or scheduled on an occurrence ending after the due date.
    AtRisk,
    Breached,
    /// Nothing open, so no clock runs.
    None,
}

impl SlaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaStatus::OnTrack => "on track",
            SlaStatus::AtRisk => "at risk",
            SlaStatus::Breached => "breached",
            SlaStatus::None => "-",
        }
    }
}

/// A person as an item shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

/// One work item as the list (and `truce items`) shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkItemCard {
    pub id: String,
    pub title: String,
    /// The fix: "Upgrade to PHP version 7.3.0 or later."
    pub action: String,
    pub team_id: Option<String>,
    pub team: Option<String>,
    pub environment: Option<String>,
    pub state: ItemState,
    /// Highest severity among its findings.
    pub severity: Severity,
    pub known_exploited: bool,
    pub findings: u32,
    /// Findings no longer open (fixed or false positive).
    pub findings_fixed: u32,
    pub assets: u32,
    /// Assets none of whose findings in this item is open any more ("9 of 10 hosts done").
    pub assets_fixed: u32,
    /// Earliest due date of its open findings (RFC 3339 UTC).
    pub due_at: Option<String>,
    pub sla: SlaStatus,
    pub security_owner: Option<PersonRef>,
    pub ops_owner: Option<PersonRef>,
    pub approver: Option<PersonRef>,
    pub window_id: Option<String>,
    pub window_name: Option<String>,
    pub occurrence_start: Option<String>,
    pub group_key: Option<String>,
    /// A person split, merged or edited it: regrouping keeps its findings.
    pub pinned: bool,
    pub missed_commitments: u32,
    /// What ops promised for the occurrence the item is on, while that promise is open.
    pub open_commitment: Option<String>,
    /// The hosts still to fix, by name, when there are at most [`NAMED_HOSTS`]; else empty
    /// (the card shows the count).
    pub hosts: Vec<String>,
}

/// Up to this many hosts, a card names them instead of counting them.
pub const NAMED_HOSTS: usize = 3;

/// One finding of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ItemFinding {
    pub id: String,
    pub asset_id: String,
    pub asset: String,
    pub title: String,
    pub severity: Severity,
    pub status: FindingStatus,
    pub first_seen: String,
    pub due_at: Option<String>,
    /// In CISA's KEV catalog, or flagged so by the scanner.
    pub known_exploited: bool,
    /// The scanner says a public exploit exists.
    pub exploit_available: bool,
    /// FIRST's EPSS probability (0-1) of exploitation in the next 30 days, where the scanner gave it.
    pub epss: Option<f64>,
}

/// One entry of an item's history: a field change or a transition, from the change log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
    /// The laptop it was made on, when that is another laptop (merged from a team hub).
    pub device: Option<String>,
    /// Merged from another laptop after a later change to the same field: kept in the history,
    /// it changed nothing here.
    pub set_aside: bool,
}

/// Ops' promise to fix an item in one occurrence of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CommitmentRow {
    pub id: String,
    pub window_id: String,
    pub occurrence_start: String,
    pub committed_by: String,
    pub committed_at: String,
    pub promise: String,
    /// open, kept, missed or withdrawn.
    pub state: String,
}

/// An item with everything its detail page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkItemDetail {
    pub item: WorkItemCard,
    pub findings: Vec<ItemFinding>,
    pub commitments: Vec<CommitmentRow>,
    pub history: Vec<HistoryEntry>,
}

/// A new item a regroup made (or, in a preview, would make).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RegroupItem {
    pub action: String,
    pub team_id: Option<String>,
    pub environment: Option<String>,
    /// The hosts' operating system family, when items are split by it.
    pub os_family: Option<String>,
    pub findings: u32,
}

/// What a regroup did, or would do (preview).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RegroupReport {
    pub preview: bool,
    pub created: Vec<RegroupItem>,
    /// Findings that joined an item that already existed.
    pub joined: u32,
    /// Findings taken out of an automatic backlog item whose key no longer fits them.
    pub left: u32,
    /// Automatic backlog items removed because no finding was left in them.
    pub removed: u32,
    pub items: u32,
}

/// The grouping rules: which dimensions split items, and whether info findings are planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct GroupingRules {
    pub by_team: bool,
    pub by_environment: bool,
    /// Hosts of different operating system families (Windows, Ubuntu, enterprise Linux...) get
    /// separate items for one fix: they are patched with different tools and versions.
    #[serde(default = "yes")]
    pub by_os_family: bool,
    pub include_info: bool,
}

fn yes() -> bool {
    true
}

impl Default for GroupingRules {
    fn default() -> Self {
        GroupingRules {
            by_team: true,
            by_environment: true,
            by_os_family: true,
            include_info: false,
        }
    }
}

/// One SLA policy row: base days per severity, or an override.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SlaPolicy {
    /// severity, known_exploited, internet_facing or criticality.
    pub scope: String,
    pub value: String,
    /// The finding severity an override applies to; "*" for all.
    pub severity: String,
    pub days: u32,
}

/// An ownership rule: assets matching `pattern` by `kind` belong to `team_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OwnershipRule {
    pub id: String,
    pub position: i64,
    /// tag, environment, hostname (glob with * and ?) or cidr.
    pub kind: String,
    pub pattern: String,
    pub team_id: String,
    pub team: String,
}

/// One team's open risk: findings still open in its items, and items breached or at risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TeamRisk {
    pub team: Option<String>,
    pub open_findings: u32,
    pub breached_items: u32,
    pub at_risk_items: u32,
}

/// SLA compliance, mean time to remediate and open risk by team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PlanningMetrics {
    /// Share (0..1) of fixed findings with an SLA that were fixed in time; None when there are none.
    pub sla_compliance: Option<f64>,
    pub fixed_with_sla: u32,
    /// Mean days from first seen to fixed.
    pub mean_days_to_remediate: Option<f64>,
    pub open_risk_by_team: Vec<TeamRisk>,
}

/// Another item, as a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ItemRef {
    pub id: String,
    pub title: String,
    pub environment: Option<String>,
    pub findings: u32,
}
