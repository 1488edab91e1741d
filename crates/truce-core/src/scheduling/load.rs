//! Planners built from a workspace: occurrences from `calendar`, items and due dates from
//! `planning`, open assets from the findings.
//!
//! `whole` loads everything in a horizon (auto-plan, whole-plan check, forecast); `around`
//! loads only what one drop can touch — the dragged items, the occurrences up to their due
//! dates, the items already placed there — so a drop is checked in milliseconds on a workspace
//! with a million findings.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params_from_iter, Connection};

use super::{OccurrenceKey, PlanAsset, PlanItem, Planner, Slot, SlotKind};
use crate::calendar::{self, Occurrence, WindowKind};
use crate::error::{Error, Result};
use crate::model::Severity;
use crate::planning::{self, ItemState, WorkItemCard};

/// How far ahead the auto-planner and the forecast look by default.
pub const HORIZON_DAYS: i64 = 365;

/// Risk per day an item left open carries: its severity's weight times its open assets, tripled
/// when the vulnerability is known to be exploited. Only the order it gives matters.
pub fn risk(severity: Severity, assets: u32, known_exploited: bool) -> f64 {
    let weight = match severity {
        Severity::Critical => 10.0,
        Severity::High => 5.0,
        Severity::Medium => 2.0,
        Severity::Low => 1.0,
        Severity::Info => 0.0,
    };
    weight * f64::from(assets.max(1)) * if known_exploited { 3.0 } else { 1.0 }
}

fn slot(o: Occurrence) -> Slot {
    Slot {
        local_label: format!(
            "{} {}",
            o.start_local.format("%a %Y-%m-%d %H:%M"),
            o.time_zone
        ),
        key: OccurrenceKey {
            window_id: o.window_id,
            start_utc: o.start_utc,
        },
        name: o.window_name,
        kind: match o.kind {
            WindowKind::Maintenance => SlotKind::Maintenance,
            WindowKind::Blackout => SlotKind::Blackout,
        },
        end_utc: o.end_utc,
        environments: o.environments,
        asset_tags: o.asset_tags,
        teams: o.teams,
        max_assets: o.max_assets,
        max_items: o.max_items,
    }
}

fn parse_utc(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc())
}

/// Still to be placed by the planner when it has no place.
fn wants_plan(s: ItemState) -> bool {
    matches!(
        s,
        ItemState::Backlog | ItemState::Proposed | ItemState::Failed | ItemState::RolledBack
    )
}

/// Keeps its place and capacity, but is no longer checked.
fn settled(s: ItemState) -> bool {
    matches!(
        s,
        ItemState::Done | ItemState::Verified | ItemState::Deferred
    )
}

fn item_of(card: &WorkItemCard, assets: Vec<String>) -> PlanItem {
    let placed = match (
        &card.window_id,
        card.occurrence_start.as_deref().and_then(parse_utc),
    ) {
        (Some(w), Some(start)) => Some(OccurrenceKey {
            window_id: w.clone(),
            start_utc: start,
        }),
        _ => None,
    };
    PlanItem {
        id: card.id.clone(),
        title: card.title.clone(),
        team: card.team_id.clone(),
        team_name: card.team.clone(),
        environment: card.environment.clone(),
        risk: risk(card.severity, assets.len() as u32, card.known_exploited),
        assets,
        due: card.due_at.as_deref().and_then(parse_utc),
        ops_owner: card.ops_owner.as_ref().map(|p| p.id.clone()),
        approver: card.approver.as_ref().map(|p| p.id.clone()),
        wants_plan: placed.is_none()
            && wants_plan(card.state)
            && card.findings > card.findings_fixed,
        settled: settled(card.state),
        placed,
    }
}

/// Open assets of the given items (all items when `only` is None), item id → asset ids: from
/// the per-item aggregates (`planning::stats`), recounted for items without a stored row.
fn open_assets(conn: &Connection, only: Option<&[String]>) -> Result<HashMap<String, Vec<String>>> {
    planning::stats::open_assets(conn, only)
}

/// The planner's view of the given assets: names, tags, HA group.
fn plan_assets(conn: &Connection, ids: &BTreeSet<String>) -> Result<Vec<PlanAsset>> {
    let ids: Vec<String> = ids.iter().cloned().collect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut stmt = conn.prepare(&format!(
            "SELECT a.id, a.name, a.ha_group,
                    (SELECT group_concat(tag, char(31)) FROM asset_tags t WHERE t.asset_id = a.id)
             FROM assets a WHERE a.id IN ({marks})"
        ))?;
        let rows = stmt.query_map(params_from_iter(chunk), |r| {
            let tags: Option<String> = r.get(3)?;
            Ok(PlanAsset {
                id: r.get(0)?,
                name: r.get(1)?,
                ha_group: r.get(2)?,
                tags: tags
                    .map(|t| t.split('\u{1f}').map(String::from).collect())
                    .unwrap_or_default(),
            })
        })?;
        for a in rows {
            out.push(a?);
        }
    }
    Ok(out)
}

fn build(
    conn: &Connection,
    now: DateTime<Utc>,
    cards: &[WorkItemCard],
    mut assets_of: HashMap<String, Vec<String>>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Planner> {
    let slots: Vec<Slot> = calendar::occurrences(conn, from, to)?
        .into_iter()
        .map(slot)
        .collect();
    let items: Vec<PlanItem> = cards
        .iter()
        .map(|c| item_of(c, assets_of.remove(&c.id).unwrap_or_default()))
        .collect();
    let ids: BTreeSet<String> = items
        .iter()
        .flat_map(|i| i.assets.iter().cloned())
        .collect();
    let assets = plan_assets(conn, &ids)?;
    Ok(Planner::new(now, slots, items, assets))
}

/// `ids` as the planner needs them when only their HA group matters: members of `groups` (the
/// dragged assets' groups) with their names, for messages; the rest by id alone.
fn ha_members(
    conn: &Connection,
    ids: &BTreeSet<String>,
    groups: &BTreeSet<String>,
) -> Result<Vec<PlanAsset>> {
    let mut members: HashMap<String, (String, String)> = HashMap::new();
    let groups: Vec<String> = groups.iter().cloned().collect();
    for chunk in groups.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut stmt = conn.prepare(&format!(
            "SELECT id, name, ha_group FROM assets WHERE ha_group IN ({marks})"
        ))?;
        let rows = stmt.query_map(params_from_iter(chunk), |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
        })?;
        for row in rows {
            let (id, v) = row?;
            members.insert(id, v);
        }
    }
    Ok(ids
        .iter()
        .map(|id| match members.remove(id) {
            Some((name, group)) => PlanAsset {
                id: id.clone(),
                name,
                tags: Vec::new(),
                ha_group: Some(group),
            },
            None => PlanAsset {
                name: id.clone(),
                id: id.clone(),
                tags: Vec::new(),
                ha_group: None,
            },
        })
        .collect())
}

/// Every work item, and the occurrences from the earliest placed one (or `now`) to `days` ahead.
pub fn whole(conn: &Connection, now: DateTime<Utc>, days: i64) -> Result<Planner> {
    let cards = planning::list_items(conn, now)?;
    let placed = cards
        .iter()
        .filter(|c| !settled(c.state))
        .filter_map(|c| c.occurrence_start.as_deref().and_then(parse_utc));
    let from = placed.clone().min().unwrap_or(now).min(now);
    let to = placed.max().unwrap_or(now).max(now + Duration::days(days)) + Duration::days(1);
    let assets = open_assets(conn, None)?;
    build(conn, now, &cards, assets, from, to)
}

/// Items on occurrences overlapping a drop's target: (id, on the target itself).
type Near = Vec<(String, bool)>;

/// The items placed on `slots` (other than the dragged `items`), as the planner needs them to
/// count capacity, without their assets yet; and which of them sit on occurrences overlapping
/// the target: (id, on the target itself).
fn placed_in(
    conn: &Connection,
    items: &[String],
    slots: &[Slot],
    occurrence: &Occurrence,
    target: &OccurrenceKey,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(Vec<PlanItem>, Near)> {
    let ends: HashMap<(&str, DateTime<Utc>), DateTime<Utc>> = slots
        .iter()
        .map(|s| ((s.key.window_id.as_str(), s.start()), s.end_utc))
        .collect();
    let mut plan_items: Vec<PlanItem> = Vec::new();
    let mut near: Near = Vec::new();
    // Placed items in the span (a window lasts at most a week in practice; a longer one is
    // still found through its start inside the span).
    let mut stmt = conn.prepare_cached(
        "SELECT id, title, state, window_id, occurrence_start FROM work_items
         WHERE occurrence_start >= ?1 AND occurrence_start < ?2",
    )?;
    let mut rows = stmt.query([
        crate::ids::utc_text(from - Duration::days(7)),
        crate::ids::utc_text(to),
    ])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        if items.contains(&id) {
            continue;
        }
        let (Some(window), Some(start)) = (
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?
                .as_deref()
                .and_then(parse_utc),
        ) else {
            continue;
        };
        let Some(&end) = ends.get(&(window.as_str(), start)) else {
            continue;
        };
        let state = ItemState::parse(&r.get::<_, String>(2)?).unwrap_or(ItemState::Backlog);
        if start < occurrence.end_utc && occurrence.start_utc < end {
            let same = window == target.window_id && start == target.start_utc;
            near.push((id.clone(), same));
        }
        plan_items.push(PlanItem {
            id,
            title: r.get(1)?,
            team: None,
            team_name: None,
            environment: None,
            assets: Vec::new(),
            due: None,
            risk: 0.0,
            ops_owner: None,
            approver: None,
            placed: Some(OccurrenceKey {
                window_id: window,
                start_utc: start,
            }),
            wants_plan: false,
            settled: settled(state),
        });
    }
    drop(rows);
    Ok((plan_items, near))
}

/// What a drop of `items` onto an occurrence can touch, and no more (a drop is checked in a few
/// milliseconds on a workspace with a million findings):
/// - the dragged items, in full (due date, owners, open assets);
/// - the items placed on occurrences overlapping the target in time, with their open assets
///   (capacity, HA groups and double booking are decided by them);
/// - every occurrence from now to the later of the target and the items' due dates, each with
///   how many items it holds, so "the last window that meets the due date" knows scope,
///   blackouts and item capacity. (Asset capacity and HA groups of those other occurrences are
///   checked when something is dropped there.)
pub fn around(
    conn: &Connection,
    now: DateTime<Utc>,
    items: &[String],
    target: &OccurrenceKey,
) -> Result<Planner> {
    let t0 = std::time::Instant::now();
    let trace = |what: &str| {
        if std::env::var_os("TRUCE_PLAN_TRACE").is_some() {
            eprintln!(
                "around: {what} after {:.2} ms",
                t0.elapsed().as_secs_f64() * 1e3
            );
        }
    };
    let dragged = planning::items::cards_of(conn, now, items)?;
    trace("cards");
    if let Some(missing) = items
        .iter()
        .find(|id| !dragged.iter().any(|c| &c.id == *id))
    {
        return Err(Error::Invalid(format!("no work item '{missing}'")));
    }
    let occurrence = calendar::occurrence_at(conn, &target.window_id, target.start_utc)?
        .ok_or_else(|| {
            Error::Invalid(format!(
                "window '{}' has no occurrence starting at {}",
                target.window_id,
                target.start_utc.to_rfc3339()
            ))
        })?;
    let latest_due = dragged
        .iter()
        .filter_map(|c| c.due_at.as_deref().and_then(parse_utc))
        .max();
    let from = now.min(occurrence.start_utc);
    let to = occurrence
        .end_utc
        .max(latest_due.unwrap_or(occurrence.end_utc))
        .max(now)
        + Duration::days(1);
    trace("occurrence");
    let slots: Vec<Slot> = calendar::occurrences(conn, from, to)?
        .into_iter()
        .map(slot)
        .collect();
    trace("occurrences");
    let (mut plan_items, near) = placed_in(conn, items, &slots, &occurrence, target, from, to)?;
    trace("placed");
    let mut dragged_assets = open_assets(conn, Some(items))?;
    let first_dragged = plan_items.len();
    plan_items.extend(
        dragged
            .iter()
            .map(|c| item_of(c, dragged_assets.remove(&c.id).unwrap_or_default())),
    );
    // The dragged items' assets in full: tags decide scope and blackouts.
    let mine: BTreeSet<String> = plan_items[first_dragged..]
        .iter()
        .flat_map(|i| i.assets.iter().cloned())
        .collect();
    let mut assets = plan_assets(conn, &mine)?;
    let groups: BTreeSet<String> = assets.iter().filter_map(|a| a.ha_group.clone()).collect();
    trace("dragged assets");
    // The assets of items around the target matter for its asset capacity, for HA partners of
    // the dragged assets, and for double booking (on the other overlapping occurrences only):
    // read only what one of those rules can use — reading them is most of a drop's time.
    let wanted: Vec<String> = near
        .iter()
        .filter(|(_, same)| occurrence.max_assets.is_some() || !groups.is_empty() || !same)
        .map(|(id, _)| id.clone())
        .collect();
    let mut assets_of = open_assets(conn, Some(&wanted))?;
    for it in plan_items[..first_dragged].iter_mut() {
        if let Some(a) = assets_of.remove(&it.id) {
            it.assets = a;
        }
    }
    trace("near assets");
    let others: BTreeSet<String> = plan_items[..first_dragged]
        .iter()
        .flat_map(|i| i.assets.iter())
        .filter(|a| !mine.contains(*a))
        .cloned()
        .collect();
    assets.extend(ha_members(conn, &others, &groups)?);
    if std::env::var_os("TRUCE_PLAN_TRACE").is_some() {
        trace(&format!(
            "assets ({} occurrences, {} items, {} with assets, {} assets)",
            slots.len(),
            plan_items.len(),
            plan_items.iter().filter(|i| !i.assets.is_empty()).count(),
            assets.len()
        ));
    }
    let planner = Planner::new(now, slots, plan_items, assets);
    trace("planner");
    Ok(planner)
}
