// Generated from the Rust types (crates/truce-core, crates/truce-facade) by ts-rs. Do not edit: run `make bindings`.

export type Severity = "critical" | "high" | "medium" | "low" | "info";

export type FindingStatus = "open" | "fixed" | "false_positive" | "risk_accepted";

export type SeverityCounts = { critical: number, high: number, medium: number, low: number, info: number, };

export type WorkspaceCounts = { assets: number, findings: number, open_findings: number, work_items: number, change_windows: number, imports: number, 
/**
 * Open findings by severity.
 */
open_by_severity: SeverityCounts, };

export type ImportSummary = { id: string, format: string, file_name: string, imported_at: string, imported_by: string, assets: number, findings: number, new_findings: number, };

export type ChangeWindowSummary = { id: string, name: string, kind: string, time_zone: string, starts_local: string, duration_min: number, rrule: string | null, };

export type WorkspaceOverview = { path: string, name: string, schema_version: number, counts: WorkspaceCounts, latest_imports: Array<ImportSummary>, upcoming_windows: Array<ChangeWindowSummary>, };

export type FindingRow = { id: string, asset: string, title: string, scanner: string, scanner_id: string, severity: Severity, status: FindingStatus, location: string, cves: Array<string>, first_seen: string, last_seen: string, };

export type FindingsQuery = { offset: number, limit: number, 
/**
 * Case-insensitive match on asset, title, CVE or scanner id.
 */
text: string | null, 
/**
 * Only these severities; empty means all.
 */
severities: Array<Severity>, 
/**
 * Include fixed, false-positive and risk-accepted findings.
 */
include_closed: boolean, };

export type FindingsPage = { 
/**
 * How many findings match the query in all.
 */
total: number, offset: number, rows: Array<FindingRow>, };

export type ImportReport = { file: string, format: string, 
/**
 * Distinct assets in the file after merging repeats.
 */
assets: number, 
/**
 * Distinct findings in the file after merging repeats.
 */
findings: number, new: number, closed: number, reopened: number, unchanged: number, by_severity: SeverityCounts, };

export type ImportProgress = { file: string, 
/**
 * 0-based position of this file among the files being imported.
 */
index: number, count: number, read_bytes: number, total_bytes: number, };

export type ImportOutcome = { file: string, report: ImportReport | null, error: string | null, };

export type RecentWorkspaces = { paths: Array<string>, };

export type AppStatus = { workspace: WorkspaceOverview | null, recent: Array<string>, error: string | null, };

export type WindowKind = "maintenance" | "blackout";

export type ChangeWindow = { id: string, name: string, kind: WindowKind, description: string | null, 
/**
 * IANA zone, e.g. Europe/Berlin.
 */
time_zone: string, 
/**
 * The first occurrence's wall time, 'YYYY-MM-DDTHH:MM:SS'.
 */
starts_local: string, duration_min: number, rrule: string | null, 
/**
 * RFC 5545 EXRULEs (deprecated), one a line: their instances are removed.
 */
exrule: string | null, 
/**
 * RFC 5545 values separated by commas: '20240611T030000Z', '20240611T050000' (wall time), '20240611'.
 */
exdates: string | null, rdates: string | null, environments: Array<string> | null, asset_tags: Array<string> | null, 
/**
 * Team ids.
 */
teams: Array<string> | null, max_assets: number | null, max_items: number | null, 
/**
 * The iCalendar file name or URL it was imported from, and the event's UID there.
 */
source: string | null, source_uid: string | null, created_at: string, updated_at: string, };

export type WindowSpec = { name: string, kind: WindowKind, description: string | null, 
/**
 * IANA zone name, e.g. Europe/Berlin.
 */
time_zone: string, 
/**
 * The first occurrence's wall time in `time_zone`.
 */
starts_local: string, duration_min: number, rrule: string | null, 
/**
 * RFC 5545 EXRULEs (deprecated by the RFC, still written by some tools), one a line:
 * instances they produce are removed.
 */
exrule: string | null, 
/**
 * RFC 5545 values separated by commas (see `ChangeWindow::exdates`).
 */
exdates: string | null, rdates: string | null, environments: Array<string> | null, asset_tags: Array<string> | null, teams: Array<string> | null, max_assets: number | null, max_items: number | null, };

export type Occurrence = { window_id: string, window_name: string, kind: WindowKind, start_utc: string, end_utc: string, time_zone: string, 
/**
 * Wall times in `time_zone` ('YYYY-MM-DDTHH:MM:SS').
 */
start_local: string, end_local: string, 
/**
 * The same wall times with their UTC offset, RFC 3339 ('2026-03-31T22:00:00+02:00').
 */
start_zoned: string, end_zoned: string, environments: Array<string> | null, asset_tags: Array<string> | null, teams: Array<string> | null, max_assets: number | null, max_items: number | null, };

export type WindowImportReport = { source: string, created: number, updated: number, removed: number, unchanged: number, 
/**
 * Windows whose event is gone from the source but that have items scheduled on them, so
 * they were kept: "name (id)".
 */
kept_in_use: Array<string>, 
/**
 * Occurrences with items scheduled on them that the updated calendar no longer has:
 * "name (id) at 2026-03-24T21:00:00Z". The items stay; they need a new occurrence.
 */
stranded: Array<string>, };

export type ItemState = "backlog" | "proposed" | "scheduled" | "approved" | "in_progress" | "done" | "verified" | "failed" | "rolled_back" | "deferred";

export type SlaStatus = "on_track" | "at_risk" | "breached" | "none";

export type PersonRef = { id: string, name: string, };

export type WorkItemCard = { id: string, title: string, 
/**
 * The fix: "Upgrade to PHP version 7.3.0 or later."
 */
action: string, team_id: string | null, team: string | null, environment: string | null, state: ItemState, 
/**
 * Highest severity among its findings.
 */
severity: Severity, known_exploited: boolean, findings: number, 
/**
 * Findings no longer open (fixed or false positive).
 */
findings_fixed: number, assets: number, 
/**
 * Assets none of whose findings in this item is open any more ("9 of 10 hosts done").
 */
assets_fixed: number, 
/**
 * Earliest due date of its open findings (RFC 3339 UTC).
 */
due_at: string | null, sla: SlaStatus, security_owner: PersonRef | null, ops_owner: PersonRef | null, approver: PersonRef | null, window_id: string | null, window_name: string | null, occurrence_start: string | null, group_key: string | null, 
/**
 * A person split, merged or edited it: regrouping keeps its findings.
 */
pinned: boolean, missed_commitments: number, 
/**
 * What ops promised for the occurrence the item is on, while that promise is open.
 */
open_commitment: string | null, 
/**
 * The hosts still to fix, by name, when there are at most [`NAMED_HOSTS`]; else empty
 * (the card shows the count).
 */
hosts: Array<string>, };

export type ItemFinding = { id: string, asset_id: string, asset: string, title: string, severity: Severity, status: FindingStatus, first_seen: string, due_at: string | null, 
/**
 * In CISA's KEV catalog, or flagged so by the scanner.
 */
known_exploited: boolean, 
/**
 * The scanner says a public exploit exists.
 */
exploit_available: boolean, 
/**
 * FIRST's EPSS probability (0-1) of exploitation in the next 30 days, where the scanner gave it.
 */
epss: number | null, };

export type HistoryEntry = { at: string, actor: string, field: string, old_value: string | null, new_value: string | null, reason: string | null, 
/**
 * The laptop it was made on, when that is another laptop (merged from a team hub).
 */
device: string | null, 
/**
 * Merged from another laptop after a later change to the same field: kept in the history,
 * it changed nothing here.
 */
set_aside: boolean, };

export type CommitmentRow = { id: string, window_id: string, occurrence_start: string, committed_by: string, committed_at: string, promise: string, 
/**
 * open, kept, missed or withdrawn.
 */
state: string, };

export type WorkItemDetail = { item: WorkItemCard, findings: Array<ItemFinding>, commitments: Array<CommitmentRow>, history: Array<HistoryEntry>, };

export type RegroupItem = { action: string, team_id: string | null, environment: string | null, 
/**
 * The hosts' operating system family, when items are split by it.
 */
os_family: string | null, findings: number, };

export type RegroupReport = { preview: boolean, created: Array<RegroupItem>, 
/**
 * Findings that joined an item that already existed.
 */
joined: number, 
/**
 * Findings taken out of an automatic backlog item whose key no longer fits them.
 */
left: number, 
/**
 * Automatic backlog items removed because no finding was left in them.
 */
removed: number, items: number, };

export type GroupingRules = { by_team: boolean, by_environment: boolean, 
/**
 * Hosts of different operating system families (Windows, Ubuntu, enterprise Linux...) get
 * separate items for one fix: they are patched with different tools and versions.
 */
by_os_family: boolean, include_info: boolean, };

export type SlaPolicy = { 
/**
 * severity, known_exploited, internet_facing or criticality.
 */
scope: string, value: string, 
/**
 * The finding severity an override applies to; "*" for all.
 */
severity: string, days: number, };

export type OwnershipRule = { id: string, position: bigint, 
/**
 * tag, environment, hostname (glob with * and ?) or cidr.
 */
kind: string, pattern: string, team_id: string, team: string, };

export type TeamRisk = { team: string | null, open_findings: number, breached_items: number, at_risk_items: number, };

export type PlanningMetrics = { 
/**
 * Share (0..1) of fixed findings with an SLA that were fixed in time; None when there are none.
 */
sla_compliance: number | null, fixed_with_sla: number, 
/**
 * Mean days from first seen to fixed.
 */
mean_days_to_remediate: number | null, open_risk_by_team: Array<TeamRisk>, };

export type OccurrenceKey = { window_id: string, start_utc: string, };

export type ConflictCode = "not_a_maintenance_window" | "in_the_past" | "out_of_scope" | "in_blackout" | "capacity_exceeded" | "ha_group_together" | "asset_double_booked" | "after_due_date" | "missing_ops_owner" | "missing_approver";

export type Conflict = { code: ConflictCode, hard: boolean, 
/**
 * One line a person can read aloud in the CAB.
 */
message: string, facts: { [key in string]?: string }, };

export type ItemConflicts = { item_id: string, item_title: string, occurrence: OccurrenceKey, window_name: string, conflicts: Array<Conflict>, };

export type Placement = { item_id: string, item_title: string, occurrence: OccurrenceKey, window_name: string, 
/**
 * The occurrence's start in its window's zone.
 */
starts: string, meets_due: boolean, due: string | null, 
/**
 * Why this occurrence, in one line.
 */
why: string, 
/**
 * Earlier occurrences passed over, by conflict code.
 */
skipped: { [key in string]?: number }, };

export type Unplaced = { item_id: string, item_title: string, why: string, skipped: { [key in string]?: number }, };

export type Proposal = { placements: Array<Placement>, unplaced: Array<Unplaced>, 
/**
 * Placements that end after their item's due date.
 */
breaches: number, 
/**
 * Sum over placements of risk x days until the occurrence ends.
 */
risk_days: number, };

export type RiskWeek = { 
/**
 * Start of the week (UTC).
 */
week_start: string, 
/**
 * Items still open at the start of the week.
 */
open_items: number, 
/**
 * Their summed risk (see `PlanItem::risk`).
 */
open_risk: number, 
/**
 * Open items already past their due date at the start of the week.
 */
overdue_items: number, };

export type DropCheck = { item_id: string, conflicts: Array<Conflict>, };

export type ScheduleOutcome = { "outcome": "scheduled", checks: Array<DropCheck>, } | { "outcome": "refused", checks: Array<DropCheck>, } | { "outcome": "needs_confirmation", checks: Array<DropCheck>, };

export type AcceptReport = { scheduled: Array<string>, 
/**
 * Items the proposal placed that could not be scheduled any more, with why.
 */
skipped: Array<DropCheck>, 
/**
 * Items whose place has soft conflicts (late, double-booked...) that a drop would take only
 * with a reason: left unscheduled until a person gives one.
 */
needs_reason: Array<DropCheck>, };

export type HubStatus = { 
/**
 * The hub it is connected to, if any.
 */
url: string | null, 
/**
 * What the hub's admin needs to let this laptop in.
 */
workspace_id: string, device_id: string, 
/**
 * Changes made here the hub has not acknowledged.
 */
waiting: number, 
/**
 * Conflicts waiting for a person.
 */
conflicts: number, 
/**
 * When the last sync succeeded; when the last one failed, and why.
 */
last_sync_at: string | null, last_attempt_at: string | null, last_problem: string | null, };

export type Merged = { 
/**
 * Operations made on other laptops that changed something here.
 */
applied: number, 
/**
 * Operations that arrived after a later change to the same field, or for a row deleted
 * since: kept in the history, changing nothing.
 */
lost: number, 
/**
 * Operations this laptop made itself (already applied when they were made).
 */
own: number, 
/**
 * Operations at or before the laptop's cursor: a page delivered again, merged before.
 */
duplicates: number, 
/**
 * Operations the schema refused here (a row they need is gone): kept in the history.
 */
refused: number, 
/**
 * Conflicts found: two changes to a field made without seeing each other.
 */
conflicts: number, 
/**
 * Whether scanner facts or the rules that group them changed (the caller regroups).
 */
facts_changed: boolean, };

export type SyncReport = { pushed: number, merged: Merged, 
/**
 * Pages pulled.
 */
pages: number, };

export type SyncChange = { value: unknown, 
/**
 * The value in people's words, when it names a row (a person, a team, a window by its id).
 */
label: string | null, 
/**
 * The actor's id as recorded (a person's id, or an OS user).
 */
actor: string, 
/**
 * Their name, when the actor is a person of this workspace.
 */
actor_name: string | null, device: string, at: string, };

export type SyncConflict = { id: number, entity: string, entity_id: string, 
/**
 * The row in people's words (the item's title, the window's or person's name), when it has one.
 */
subject: string | null, field: string, 
/**
 * The value the workspace holds now (the later clock).
 */
kept: SyncChange, 
/**
 * The value set aside.
 */
other: SyncChange, found_at: string, };

export type ConflictSide = "kept" | "other";

export type HubConnectRequest = { url: string, };

export type HubResolveRequest = { id: number, side: ConflictSide, };

export type BoardRequest = { from: string, to: string, };

export type TeamRef = { id: string, name: string, kind: string, };

export type BoardOccurrence = { window_id: string, window_name: string, kind: WindowKind, 
/**
 * As items store their place ('2026-12-01T21:00:00Z'): an item is on this occurrence when
 * its `window_id` and `occurrence_start` equal these.
 */
start_utc: string, end_utc: string, time_zone: string, 
/**
 * Wall times in the window's zone, 'YYYY-MM-DDTHH:MM:SS'.
 */
start_local: string, end_local: string, environments: Array<string> | null, asset_tags: Array<string> | null, teams: Array<string> | null, max_items: number | null, max_assets: number | null, };

export type Board = { 
/**
 * The clock the board's checks use (RFC 3339 UTC).
 */
now: string, items: Array<WorkItemCard>, occurrences: Array<BoardOccurrence>, teams: Array<TeamRef>, people: Array<PersonRef>, };

export type CardsRequest = { ids: Array<string>, };

export type DropTargetsRequest = { items: Array<string>, targets: Array<OccurrenceKey>, };

export type DropTarget = { target: OccurrenceKey, 
/**
 * True when some item would break a hard rule there: the drop is refused.
 */
refused: boolean, 
/**
 * True when the drop is allowed only with a person's confirmation and reason.
 */
needs_confirmation: boolean, checks: Array<DropCheck>, 
/**
 * When several items are refused together: those that could still land there, in order
 * (the page offers to place just them).
 */
fitting: Array<string>, };

export type MoveTargetsRequest = { items: Array<string>, until: string | null, };

export type MoveTarget = { occurrence: BoardOccurrence, verdict: DropTarget, };

export type ScheduleRequest = { items: Array<string>, target: OccurrenceKey, reason: string, confirmed: boolean, };

export type UnscheduleRequest = { items: Array<string>, reason: string, 
/**
 * The state the items return to (undo: the one they had before they were placed); None
 * leaves scheduled items proposed.
 */
back_to: ItemState | null, };

export type RestoreRequest = { items: Array<ItemSnapshot>, reason: string, 
/**
 * A person confirmed the soft conflicts of the places the items go back to, with `reason`.
 */
confirmed: boolean, };

export type ItemSnapshot = { id: string, state: ItemState, window_id: string | null, 
/**
 * UTC, as the item's row keeps it.
 */
occurrence_start: string | null, };

export type ItemRequest = { id: string, };

export type ItemPage = { detail: WorkItemDetail, allowed: Array<ItemState>, conflicts: Array<Conflict>, 
/**
 * Why the conflicts of its place could not be checked (its occurrence is gone from an
 * edited window...): a check that failed is never shown as a clean one.
 */
conflicts_unchecked: string | null, people: Array<PersonRef>, 
/**
 * The item's exceptions (on it or on its findings), soonest expiry first.
 */
exceptions: Array<ExceptionRow>, 
/**
 * The latest expiry a new exception may ask for today (the policy for its worst finding).
 */
exception_until: string, signed_in: PersonRef | null, 
/**
 * Other items with the same fix that could be merged into this one.
 */
merge_candidates: Array<ItemRef>, };

export type TransitionRequest = { id: string, to: ItemState, reason: string, };

export type AssignRequest = { id: string, ops_owner: string | null, security_owner: string | null, approver: string | null, reason: string, };

export type CommitRequest = { id: string, person: string, promise: string, };

export type ExceptionRequest = { id: string, justification: string, compensating_control: string | null, expires_at: string, };

export type DecideExceptionRequest = { id: string, approve: boolean, reason: string, };

export type SplitRequest = { id: string, by: SplitBy, reason: string, };

export type MergeRequest = { into: string, from: Array<string>, reason: string, };

export type ItemRef = { id: string, title: string, environment: string | null, findings: number, };

export type SplitBy = "asset" | "environment" | "ha_node";

export type ExceptionsRequest = { ending_within_days: number | null, };

export type ExceptionRow = { id: string, item_id: string | null, item_title: string | null, finding_id: string | null, justification: string, compensating_control: string | null, 
/**
 * requested, approved, rejected or expired.
 */
state: string, requested_by: string, requested_by_id: string, requested_at: string, decided_by: string | null, decided_at: string | null, decided_reason: string | null, expires_at: string, };

export type AutoPlanRequest = { days: number, 
/**
 * Plan only these items (the board's filtered backlog); None: every item.
 */
among: Array<string> | null, };

export type AcceptRequest = { items: Array<string> | null, days: number, 
/**
 * A person's reason for the placements with soft conflicts; without one they are left
 * out and listed (`needs_reason`).
 */
reason: string | null, 
/**
 * The items the proposal was made for (as `AutoPlanRequest::among`).
 */
among: Array<string> | null, };

export type DashboardRequest = { weeks: number, };

export type Dashboard = { metrics: PlanningMetrics, forecast: Array<RiskWeek>, };

export type NoArgs = Record<string, never>;

export type SaveWindowRequest = { id: string | null, spec: WindowSpec, };

export type PreviewWindowRequest = { spec: WindowSpec, count: number, };

export type ImportWindowsRequest = { source: string, kind: WindowKind | null, 
/**
 * The calendar's text when the caller already has it (the app downloads a URL before it
 * takes the workspace, `commands::prepare`); `source` names it. Read from `source` if absent.
 */
content?: string, };

export type WindowDefaults = { 
/**
 * Items per occurrence of a window with no `max_items`; None: no limit.
 */
max_items: number | null, };

export type AssetRow = { id: string, name: string, environment: string | null, criticality: string, internet_facing: boolean, ha_group: string | null, tags: Array<string>, 
/**
 * "kind=value", e.g. "fqdn=web01.example.com".
 */
identifiers: Array<string>, open_findings: number, };

export type AssetFactsRequest = { assets: Array<string>, environment: string | null, criticality: string | null, internet_facing: boolean | null, ha_group: string | null, add_tags: Array<string>, remove_tags: Array<string>, };

export type CommandError = { code: string, message: string, facts: { [key in string]?: string }, };

export type DownloadProgress = { 
/**
 * The URL being read.
 */
source: string, received: number, 
/**
 * The size the server announced, if it did.
 */
total: number | null, };

export type FindingsRequest = { query: FindingsQuery, };

export type MergeAssetsRequest = { into: string, others: Array<string>, };

export type SplitAssetRequest = { asset: string, keys: Array<string>, };

export type MergeReport = { 
/**
 * The asset kept.
 */
asset: string, name: string, 
/**
 * Names of the assets merged into it (gone now).
 */
merged: Array<string>, 
/**
 * Keys ("kind=value") it is now known by in addition.
 */
identifiers: Array<string>, 
/**
 * Findings moved to it.
 */
findings: number, 
/**
 * Findings both assets had (one vulnerability at one place): kept once, with the earliest
 * first seen and the latest sighting's status.
 */
combined: number, };

export type SplitReport = { asset: string, name: string, identifiers: Array<string>, 
/**
 * Findings moved to the new asset.
 */
findings: number, 
/**
 * Findings of the old asset that a moved import had closed, reopened.
 */
reopened: number, };

export type PersonChoice = { id: string, name: string, email: string | null, team: string | null, };

export type Session = { signed_in: PersonRef | null, people: Array<PersonChoice>, 
/**
 * Team names, for adding oneself.
 */
teams: Array<string>, };

export type SignInRequest = { person: string, };

export type AddPersonRequest = { name: string, email: string | null, team: string | null, };

export type Source = { id: string, kind: string, name: string, url: string, last_sync_at: string | null, last_result: string | null, last_problem: string | null, 
/**
 * The app syncs it every this many hours while open; none: only when asked.
 */
every_hours: number | null, 
/**
 * When a sync was last tried, whatever its end.
 */
last_tried_at: string | null, 
/**
 * What part of the scanner it syncs, in the kind's words ([`SourceKind::scope`]); none: all
 * the credentials may see.
 */
scope: string | null, };

export type SourceKind = { 
/**
 * What `truce sources add` takes: "tenable-vm".
 */
name: string, 
/**
 * The product, in its vendor's words.
 */
label: string, 
/**
 * An example of the API's address.
 */
url_hint: string, 
/**
 * What the first credential is called ("Access key", "User name"); none when the source
 * takes only a secret.
 */
access: string | null, 
/**
 * What the secret is called ("Secret key", "API token", "Password").
 */
secret: string, 
/**
 * What a scope is for this kind ("Product name", "Site id"); none: it takes no scope.
 */
scope: string | null, };

export type JobKind = "test" | "sync" | "full_sync";

export type SourceJob = { kind: JobKind, started_at: string, 
/**
 * Still running.
 */
running: boolean, 
/**
 * Pages and findings imported so far.
 */
pages: number, findings: number, 
/**
 * What it is doing or waiting for, in words ("Tenable is preparing the export: 3 chunks
 * ready", "the API asked to slow down: waiting 30 s").
 */
doing: string | null, 
/**
 * Waiting because the API asked it to slow down.
 */
rate_limited: boolean, 
/**
 * Once ended: whether it succeeded, and what it found or why it failed.
 */
ok: boolean | null, outcome: string | null, 
/**
 * The person asked it to stop (and, once ended, it stopped for that).
 */
cancelling: boolean, };

export type SourceRow = { source: Source, 
/**
 * Its latest test or sync in this app session, running or ended.
 */
job: SourceJob | null, 
/**
 * Its schedule says a sync is due now (the page starts it).
 */
due: boolean, };

export type SourcesPage = { kinds: Array<SourceKind>, sources: Array<SourceRow>, };

export type AddSourceRequest = { kind: string, name: string, url: string, access_key: string, secret_key: string, 
/**
 * What part of the scanner to sync, in the kind's words; none or empty: everything.
 */
scope: string | null, };

export type SourceRequest = { name: string, };

export type SourceScheduleRequest = { name: string, every_hours: number | null, };

export type StartSourceRequest = { name: string, job: JobKind, };

export type SourceKeysRequest = { name: string, access_key: string, secret_key: string, };

export type SourceScopeRequest = { name: string, scope: string | null, };

/** The request each workspace command takes (crates/truce-facade/src/commands.rs). */
export type CommandRequests = {
  board: BoardRequest;
  cards: CardsRequest;
  drop_targets: DropTargetsRequest;
  move_targets: MoveTargetsRequest;
  schedule: ScheduleRequest;
  unschedule: UnscheduleRequest;
  restore: RestoreRequest;
  item: ItemRequest;
  transition: TransitionRequest;
  assign: AssignRequest;
  commit: CommitRequest;
  request_exception: ExceptionRequest;
  decide_exception: DecideExceptionRequest;
  split_item: SplitRequest;
  merge_items: MergeRequest;
  exceptions: ExceptionsRequest;
  auto_plan: AutoPlanRequest;
  accept: AcceptRequest;
  dashboard: DashboardRequest;
  windows: NoArgs;
  save_window: SaveWindowRequest;
  delete_window: ItemRequest;
  preview_window: PreviewWindowRequest;
  import_windows: ImportWindowsRequest;
  window_defaults: NoArgs;
  assets: NoArgs;
  overview: NoArgs;
  findings: FindingsRequest;
  set_asset_facts: AssetFactsRequest;
  merge_assets: MergeAssetsRequest;
  split_asset: SplitAssetRequest;
  set_window_defaults: WindowDefaults;
  session: NoArgs;
  sign_in: SignInRequest;
  add_person: AddPersonRequest;
  hub_status: NoArgs;
  hub_connect: HubConnectRequest;
  hub_conflicts: NoArgs;
  hub_resolve: HubResolveRequest;
  sources: NoArgs;
  add_source: AddSourceRequest;
  remove_source: SourceRequest;
  set_source_schedule: SourceScheduleRequest;
  set_source_keys: SourceKeysRequest;
  set_source_scope: SourceScopeRequest;
  start_source: StartSourceRequest;
  cancel_source: SourceRequest;
};

/** What each workspace command answers. */
export type CommandAnswers = {
  board: Board;
  cards: Array<WorkItemCard>;
  drop_targets: Array<DropTarget>;
  move_targets: Array<MoveTarget>;
  schedule: ScheduleOutcome;
  unschedule: null;
  restore: ScheduleOutcome;
  item: ItemPage;
  transition: null;
  assign: null;
  commit: string;
  request_exception: string;
  decide_exception: null;
  split_item: Array<string>;
  merge_items: null;
  exceptions: Array<ExceptionRow>;
  auto_plan: Proposal;
  accept: AcceptReport;
  dashboard: Dashboard;
  windows: Array<ChangeWindow>;
  save_window: ChangeWindow;
  delete_window: null;
  preview_window: Array<BoardOccurrence>;
  import_windows: WindowImportReport;
  window_defaults: WindowDefaults;
  assets: Array<AssetRow>;
  overview: WorkspaceOverview;
  findings: FindingsPage;
  set_asset_facts: number;
  merge_assets: MergeReport;
  split_asset: SplitReport;
  set_window_defaults: WindowDefaults;
  session: Session;
  sign_in: Session;
  add_person: Session;
  hub_status: HubStatus;
  hub_connect: HubStatus;
  hub_conflicts: Array<SyncConflict>;
  hub_resolve: Array<SyncConflict>;
  sources: SourcesPage;
  add_source: Source;
  remove_source: null;
  set_source_schedule: Source;
  set_source_keys: null;
  set_source_scope: Source;
  start_source: SourceJob;
  cancel_source: null;
};
