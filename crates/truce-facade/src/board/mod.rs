//! What the planning board asks of a workspace, and what it does to it: one request type and
//! one function per question or action. The app serves these through `commands` (the desktop
//! shell and the browser tests' bridge alike); they only call `planning`, `scheduling` and
//! `calendar`, so the rules stay in one place.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use truce_core::calendar::{
    self, ChangeWindow, Occurrence, WindowImportReport, WindowKind, WindowSpec,
};
use truce_core::error::{Error, Result};
use truce_core::ids::utc_text;
use truce_core::planning::exceptions::ExceptionRow;
use truce_core::planning::split::SplitBy;
use truce_core::planning::{
    self, ItemRef, ItemState, PersonRef, PlanningMetrics, WorkItemCard, WorkItemDetail,
};
use truce_core::scheduling::actions::{self, AcceptReport, DropCheck, ScheduleOutcome};
use truce_core::scheduling::{Conflict, OccurrenceKey, Proposal, RiskWeek};
use truce_core::Workspace;

mod decisions;
mod facts;
pub mod hub;
mod session;
mod source_jobs;
pub mod sources;

pub use decisions::*;
pub use facts::*;
pub use hub::{
    hub_conflicts, hub_connect, hub_resolve, hub_status, HubConnectRequest, HubResolveRequest,
};
pub use session::*;
pub use sources::{
    add_source, cancel_source, remove_source, set_source_keys, set_source_schedule,
    set_source_scope, sources, start_source,
};

/// The span of the calendar the board shows: RFC 3339 instants or plain dates (UTC midnight).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BoardRequest {
    pub from: String,
    pub to: String,
}

/// A team as the board's filters show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TeamRef {
    pub id: String,
    pub name: String,
    pub kind: String,
}

/// One occurrence on the board's calendar, with how full it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BoardOccurrence {
    pub window_id: String,
    pub window_name: String,
    pub kind: WindowKind,
    /// As items store their place ('2026-12-01T21:00:00Z'): an item is on this occurrence when
    /// its `window_id` and `occurrence_start` equal these.
    pub start_utc: String,
    pub end_utc: String,
    pub time_zone: String,
    /// Wall times in the window's zone, 'YYYY-MM-DDTHH:MM:SS'.
    pub start_local: String,
    pub end_local: String,
    pub environments: Option<Vec<String>>,
    pub asset_tags: Option<Vec<String>>,
    pub teams: Option<Vec<String>>,
    pub max_items: Option<u32>,
    pub max_assets: Option<u32>,
}

/// Everything the board draws: every work item, and the occurrences of the span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Board {
    /// The clock the board's checks use (RFC 3339 UTC).
    pub now: String,
    pub items: Vec<WorkItemCard>,
    pub occurrences: Vec<BoardOccurrence>,
    pub teams: Vec<TeamRef>,
    pub people: Vec<PersonRef>,
}

/// A board instant: RFC 3339, or a date meaning its UTC midnight.
pub use truce_core::calendar::parse_instant as instant;

fn occurrence_row(o: Occurrence) -> BoardOccurrence {
    BoardOccurrence {
        window_id: o.window_id,
        window_name: o.window_name,
        kind: o.kind,
        start_utc: utc_text(o.start_utc),
        end_utc: utc_text(o.end_utc),
        time_zone: o.time_zone,
        start_local: calendar::windows::local_text(o.start_local),
        end_local: calendar::windows::local_text(o.end_local),
        environments: o.environments,
        asset_tags: o.asset_tags,
        teams: o.teams,
        max_items: o.max_items,
        max_assets: o.max_assets,
    }
}

pub fn board(ws: &mut Workspace, now: DateTime<Utc>, r: BoardRequest) -> Result<Board> {
    let (from, to) = (instant(&r.from)?, instant(&r.to)?);
    let conn = ws.conn();
    let occurrences = calendar::occurrences(conn, from, to)?
        .into_iter()
        .map(occurrence_row)
        .collect();
    let teams = planning::people::teams(ws)?
        .into_iter()
        .map(|(id, name, kind)| TeamRef { id, name, kind })
        .collect();
    let people = planning::people::people(ws)?
        .into_iter()
        .map(|(id, name, _, _)| PersonRef { id, name })
        .collect();
    Ok(Board {
        now: utc_text(now),
        items: planning::list_items(conn, now)?,
        occurrences,
        teams,
        people,
    })
}

/// Some items' cards as they are now: the board redraws only what a drop changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CardsRequest {
    pub ids: Vec<String>,
}

pub fn cards(ws: &mut Workspace, now: DateTime<Utc>, r: CardsRequest) -> Result<Vec<WorkItemCard>> {
    planning::items::cards_of(ws.conn(), now, &r.ids)
}

/// While items are dragged: may they land on each of these occurrences, and if not, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DropTargetsRequest {
    pub items: Vec<String>,
    pub targets: Vec<OccurrenceKey>,
}

/// The verdict for one occurrence: the conflicts of each dragged item there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DropTarget {
    pub target: OccurrenceKey,
    /// True when some item would break a hard rule there: the drop is refused.
    pub refused: bool,
    /// True when the drop is allowed only with a person's confirmation and reason.
    pub needs_confirmation: bool,
    pub checks: Vec<DropCheck>,
    /// When several items are refused together: those that could still land there, in order
    /// (the page offers to place just them).
    pub fitting: Vec<String>,
}

pub fn drop_targets(
    ws: &mut Workspace,
    now: DateTime<Utc>,
    r: DropTargetsRequest,
) -> Result<Vec<DropTarget>> {
    r.targets
        .into_iter()
        .map(|target| {
            let checks = actions::check_drop(ws, &r.items, &target, now)?;
            let refused = checks.iter().any(DropCheck::refused);
            let fitting = if refused && r.items.len() > 1 {
                actions::fitting(ws, &r.items, &target, now)?
            } else {
                Vec::new()
            };
            Ok(DropTarget {
                refused,
                fitting,
                needs_confirmation: !checks.iter().any(DropCheck::refused)
                    && checks.iter().any(DropCheck::needs_confirmation),
                target,
                checks,
            })
        })
        .collect()
}

/// Where the selected items could go, beyond the week in view: every maintenance occurrence
/// from now until `until` (default: 8 weeks after the latest due date among them, at least 8
/// weeks from now), each with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MoveTargetsRequest {
    pub items: Vec<String>,
    pub until: Option<String>,
}

/// One place the Move dialog offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MoveTarget {
    pub occurrence: BoardOccurrence,
    pub verdict: DropTarget,
}

/// The most occurrences a Move dialog lists (a year of weekly windows, several of them).
const MOVE_TARGETS: usize = 300;

pub fn move_targets(
    ws: &mut Workspace,
    now: DateTime<Utc>,
    r: MoveTargetsRequest,
) -> Result<Vec<MoveTarget>> {
    let until = match &r.until {
        Some(u) => instant(u)?,
        None => {
            let cards = planning::items::cards_of(ws.conn(), now, &r.items)?;
            let latest_due = cards
                .iter()
                .filter_map(|c| c.due_at.as_deref().and_then(|d| instant(d).ok()))
                .max()
                .unwrap_or(now);
            latest_due.max(now) + Duration::weeks(8)
        }
    };
    let occurrences: Vec<Occurrence> = calendar::occurrences(ws.conn(), now, until)?
        .into_iter()
        .filter(|o| o.kind == WindowKind::Maintenance && o.start_utc >= now)
        .take(MOVE_TARGETS)
        .collect();
    let targets = occurrences
        .iter()
        .map(|o| OccurrenceKey {
            window_id: o.window_id.clone(),
            start_utc: o.start_utc,
        })
        .collect();
    let verdicts = drop_targets(
        ws,
        now,
        DropTargetsRequest {
            items: r.items,
            targets,
        },
    )?;
    Ok(occurrences
        .into_iter()
        .zip(verdicts)
        .map(|(o, verdict)| MoveTarget {
            occurrence: occurrence_row(o),
            verdict,
        })
        .collect())
}

/// Put items on an occurrence. With soft conflicts, nothing happens until `confirmed` with a reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ScheduleRequest {
    pub items: Vec<String>,
    pub target: OccurrenceKey,
    pub reason: String,
    pub confirmed: bool,
}

pub fn schedule(
    ws: &mut Workspace,
    now: DateTime<Utc>,
    r: ScheduleRequest,
) -> Result<ScheduleOutcome> {
    actions::schedule(ws, &r.items, &r.target, &r.reason, r.confirmed, now)
}

/// Put items back as they were before a step (undo), or as it left them (redo).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RestoreRequest {
    pub items: Vec<planning::states::ItemSnapshot>,
    pub reason: String,
    /// A person confirmed the soft conflicts of the places the items go back to, with `reason`.
    pub confirmed: bool,
}

pub fn restore(
    ws: &mut Workspace,
    now: DateTime<Utc>,
    r: RestoreRequest,
) -> Result<ScheduleOutcome> {
    actions::restore(ws, &r.items, &r.reason, r.confirmed, now)
}

/// Take items off their occurrences, back to the backlog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UnscheduleRequest {
    pub items: Vec<String>,
    pub reason: String,
    /// The state the items return to (undo: the one they had before they were placed); None
    /// leaves scheduled items proposed.
    #[serde(default)]
    pub back_to: Option<ItemState>,
}

pub fn unschedule(ws: &mut Workspace, _now: DateTime<Utc>, r: UnscheduleRequest) -> Result<()> {
    let actor = ws.actor().to_string();
    let ids = r
        .items
        .iter()
        .map(|id| planning::items::resolve_id(ws.conn(), id))
        .collect::<Result<Vec<_>>>()?;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    // One transaction: an item that cannot be taken off leaves all of them where they were.
    planning::states::unschedule_all(ws, &ids, &actor, &r.reason, r.back_to)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ItemRequest {
    pub id: String,
}

/// An item's page: its detail, the transitions allowed from its state, its conflicts where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ItemPage {
    pub detail: WorkItemDetail,
    pub allowed: Vec<ItemState>,
    pub conflicts: Vec<Conflict>,
    /// Why the conflicts of its place could not be checked (its occurrence is gone from an
    /// edited window...): a check that failed is never shown as a clean one.
    pub conflicts_unchecked: Option<String>,
    pub people: Vec<PersonRef>,
    /// The item's exceptions (on it or on its findings), soonest expiry first.
    pub exceptions: Vec<ExceptionRow>,
    /// The latest expiry a new exception may ask for today (the policy for its worst finding).
    pub exception_until: String,
    pub signed_in: Option<PersonRef>,
    /// Other items with the same fix that could be merged into this one.
    pub merge_candidates: Vec<ItemRef>,
}

/// Split an item along a line people plan by (see `planning::split`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SplitRequest {
    pub id: String,
    pub by: SplitBy,
    pub reason: String,
}

pub fn split_item(ws: &mut Workspace, _now: DateTime<Utc>, r: SplitRequest) -> Result<Vec<String>> {
    let id = planning::items::resolve_id(ws.conn(), &r.id)?;
    let actor = ws.actor().to_string();
    planning::split::split_by(ws, &id, r.by, &actor, &r.reason)
}

/// Merge items with the same fix into one (`into` keeps its place in the plan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MergeRequest {
    pub into: String,
    pub from: Vec<String>,
    pub reason: String,
}

pub fn merge_items(ws: &mut Workspace, _now: DateTime<Utc>, r: MergeRequest) -> Result<()> {
    let into = planning::items::resolve_id(ws.conn(), &r.into)?;
    let from = r
        .from
        .iter()
        .map(|f| planning::items::resolve_id(ws.conn(), f))
        .collect::<Result<Vec<_>>>()?;
    let actor = ws.actor().to_string();
    planning::merge(ws, &into, &from, &actor, &r.reason)
}

pub fn item(ws: &mut Workspace, now: DateTime<Utc>, r: ItemRequest) -> Result<ItemPage> {
    let id = planning::items::resolve_id(ws.conn(), &r.id)?;
    let detail = planning::item_detail(ws.conn(), &id, now)?;
    let (conflicts, conflicts_unchecked) =
        match (&detail.item.window_id, &detail.item.occurrence_start) {
            (Some(w), Some(start)) if !detail.item.state.is_settled() => {
                let target = OccurrenceKey {
                    window_id: w.clone(),
                    start_utc: instant(start)?,
                };
                // The item's own place, checked as if it were dropped there now (a placement in
                // the past or on a window that changed shows its conflicts here).
                match actions::check_drop(ws, std::slice::from_ref(&id), &target, now) {
                    Ok(checks) => (checks.into_iter().flat_map(|c| c.conflicts).collect(), None),
                    Err(e) => (Vec::new(), Some(e.to_string())),
                }
            }
            _ => (Vec::new(), None),
        };
    let people = planning::people::people(ws)?
        .into_iter()
        .map(|(id, name, _, _)| PersonRef { id, name })
        .collect();
    let (_, max_days) =
        planning::exceptions::max_days(ws.conn(), &planning::exceptions::Target::Item(&id))?;
    Ok(ItemPage {
        allowed: planning::states::allowed(detail.item.state).to_vec(),
        exceptions: planning::exceptions::list(
            ws.conn(),
            &planning::exceptions::Filter {
                item: Some(&id),
                ending_before: None,
            },
        )?,
        exception_until: utc_text(now + Duration::days(i64::from(max_days))),
        signed_in: truce_core::device::signed_in(ws.conn())?,
        merge_candidates: planning::items::merge_candidates(ws, &id)?,
        detail,
        conflicts,
        conflicts_unchecked,
        people,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TransitionRequest {
    pub id: String,
    pub to: ItemState,
    pub reason: String,
}

pub fn transition(ws: &mut Workspace, _now: DateTime<Utc>, r: TransitionRequest) -> Result<()> {
    let actor = ws.actor().to_string();
    planning::transition(ws, &r.id, r.to, &actor, &r.reason)
}

/// Set owners: a role left `None` stays as it is. Person ids, emails or names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AssignRequest {
    pub id: String,
    pub ops_owner: Option<String>,
    pub security_owner: Option<String>,
    pub approver: Option<String>,
    pub reason: String,
}

pub fn assign(ws: &mut Workspace, _now: DateTime<Utc>, r: AssignRequest) -> Result<()> {
    let actor = ws.actor().to_string();
    planning::assign(
        ws,
        &r.id,
        r.ops_owner.as_deref(),
        r.security_owner.as_deref(),
        r.approver.as_deref(),
        &actor,
        &r.reason,
    )
}

/// Ops' promise to fix the item in the occurrence it is scheduled on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CommitRequest {
    pub id: String,
    pub person: String,
    pub promise: String,
}

pub fn commit(ws: &mut Workspace, _now: DateTime<Utc>, r: CommitRequest) -> Result<String> {
    planning::exceptions::commit(ws, &r.id, &r.person, &r.promise)
}

/// How far ahead the auto-planner looks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AutoPlanRequest {
    pub days: u32,
    /// Plan only these items (the board's filtered backlog); None: every item.
    #[serde(default)]
    pub among: Option<Vec<String>>,
}

pub fn auto_plan(ws: &mut Workspace, now: DateTime<Utc>, r: AutoPlanRequest) -> Result<Proposal> {
    actions::auto_plan(ws, now, i64::from(r.days), r.among.as_deref())
}

/// Accept the auto-plan: every placement (`items` None) or the named items'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AcceptRequest {
    pub items: Option<Vec<String>>,
    pub days: u32,
    /// A person's reason for the placements with soft conflicts; without one they are left
    /// out and listed (`needs_reason`).
    #[serde(default)]
    pub reason: Option<String>,
    /// The items the proposal was made for (as `AutoPlanRequest::among`).
    #[serde(default)]
    pub among: Option<Vec<String>>,
}

pub fn accept(ws: &mut Workspace, now: DateTime<Utc>, r: AcceptRequest) -> Result<AcceptReport> {
    actions::accept(
        ws,
        r.items.as_deref(),
        r.among.as_deref(),
        r.reason.as_deref(),
        now,
        i64::from(r.days),
    )
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DashboardRequest {
    pub weeks: u32,
}

/// The dashboard: SLA compliance, risk by team, and the burn-down if the plan is carried out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Dashboard {
    pub metrics: PlanningMetrics,
    pub forecast: Vec<RiskWeek>,
}

pub fn dashboard(ws: &mut Workspace, now: DateTime<Utc>, r: DashboardRequest) -> Result<Dashboard> {
    Ok(Dashboard {
        metrics: planning::metrics::metrics(ws.conn(), now)?,
        forecast: actions::forecast(ws, now, r.weeks.clamp(1, 104))?,
    })
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
pub struct NoArgs {}

pub fn windows(ws: &mut Workspace, _now: DateTime<Utc>, _r: NoArgs) -> Result<Vec<ChangeWindow>> {
    calendar::list(ws.conn())
}

/// Create a window (`id` None) or change one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SaveWindowRequest {
    pub id: Option<String>,
    pub spec: WindowSpec,
}

pub fn save_window(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: SaveWindowRequest,
) -> Result<ChangeWindow> {
    let actor = ws.actor().to_string();
    let tx = ws.write_tx()?;
    let w = match &r.id {
        None => calendar::create(&tx, &actor, &r.spec)?,
        Some(id) => calendar::update(&tx, &actor, id, &r.spec)?,
    };
    tx.commit()?;
    Ok(w)
}

pub fn delete_window(ws: &mut Workspace, _now: DateTime<Utc>, r: ItemRequest) -> Result<()> {
    let actor = ws.actor().to_string();
    let tx = ws.write_tx()?;
    calendar::delete(&tx, &actor, &r.id)?;
    tx.commit()?;
    Ok(())
}

/// The next occurrences a window spec would have, before it is saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PreviewWindowRequest {
    pub spec: WindowSpec,
    pub count: u32,
}

pub fn preview_window(
    _ws: &mut Workspace,
    now: DateTime<Utc>,
    r: PreviewWindowRequest,
) -> Result<Vec<BoardOccurrence>> {
    let series = r.spec.series()?;
    let zone = series.zone;
    let duration = series.duration;
    let count = r.count.clamp(1, 100) as usize;
    let x =
        calendar::recurrence::expand(&series, now - duration, now + Duration::days(3660), count)
            .map_err(|e| Error::Invalid(format!("window '{}': {e}", r.spec.name)))?;
    Ok(x.instances
        .into_iter()
        .take(count)
        .map(|i| {
            let end = i.start_utc + duration;
            BoardOccurrence {
                window_id: String::new(),
                window_name: r.spec.name.clone(),
                kind: r.spec.kind,
                start_utc: utc_text(i.start_utc),
                end_utc: utc_text(end),
                time_zone: r.spec.time_zone.clone(),
                start_local: calendar::windows::local_text(i.start_local),
                end_local: calendar::windows::local_text(end.with_timezone(&zone).naive_local()),
                environments: r.spec.environments.clone(),
                asset_tags: r.spec.asset_tags.clone(),
                teams: r.spec.teams.clone(),
                max_items: r.spec.max_items,
                max_assets: r.spec.max_assets,
            }
        })
        .collect())
}

/// Import windows and freezes from an iCalendar file path or an http(s) URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportWindowsRequest {
    pub source: String,
    pub kind: Option<WindowKind>,
    /// The calendar's text when the caller already has it (the app downloads a URL before it
    /// takes the workspace, `commands::prepare`); `source` names it. Read from `source` if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub content: Option<String>,
}

pub fn import_windows(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: ImportWindowsRequest,
) -> Result<WindowImportReport> {
    match &r.content {
        Some(text) => calendar::sync::import_bytes(ws, r.source.trim(), text.as_bytes(), r.kind),
        None => calendar::sync::import(ws, &r.source, r.kind),
    }
}
