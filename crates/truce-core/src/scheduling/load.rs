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

/// Open assets of the given items (all items when `only` is None), item id → asset ids.
fn open_assets(conn: &Connection, only: Option<&[String]>) -> Result<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let base = "SELECT DISTINCT w.work_item_id, f.asset_id FROM work_item_findings w
                JOIN findings f ON f.id = w.finding_id WHERE f.status = 'open'";
    let mut add = |sql: &str, args: &[String]| -> Result<()> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map(params_from_iter(args), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (item, asset) = row?;
            out.entry(item).or_default().push(asset);
        }
        Ok(())
    };
    match only {
        None => add(base, &[])?,
        Some(ids) => {
            for chunk in ids.chunks(500) {
                let marks = vec!["?"; chunk.len()].join(",");
                add(&format!("{base} AND w.work_item_id IN ({marks})"), chunk)?;
            }
        }
    }
    Ok(out)
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

/// What a drop of `items` onto an occurrence can touch: those items, the occurrences from now
/// to the later of the target and their due dates, and the items placed on them.
pub fn around(
    conn: &Connection,
    now: DateTime<Utc>,
    items: &[String],
    target: &OccurrenceKey,
) -> Result<Planner> {
    let dragged = planning::items::cards_of(conn, now, items)?;
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
    // Items placed on occurrences that may overlap the span (a window lasts at most a week
    // in practice; a longer one is still found through its start inside the span).
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM work_items WHERE occurrence_start >= ?1 AND occurrence_start < ?2",
    )?;
    let span_from = crate::ids::utc_text(from - Duration::days(7));
    let span_to = crate::ids::utc_text(to);
    let mut ids: Vec<String> = stmt
        .query_map([span_from, span_to], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    ids.retain(|id| !items.contains(id));
    let mut cards = dragged;
    cards.extend(planning::items::cards_of(conn, now, &ids)?);
    let all: Vec<String> = cards.iter().map(|c| c.id.clone()).collect();
    let assets = open_assets(conn, Some(&all))?;
    build(conn, now, &cards, assets, from, to)
}
