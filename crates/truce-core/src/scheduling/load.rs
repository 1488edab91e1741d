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

/// The planner's view of an occurrence; `default_max` stands in for a window without a limit.
fn slot(o: Occurrence, default_max: Option<u32>) -> Slot {
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
        max_items: o.max_items.or(default_max),
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

/// The planner's view of a card with `open` open assets; `assets` is left empty for the caller.
fn item_of(card: &WorkItemCard, open: usize) -> PlanItem {
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
        risk: risk(card.severity, open as u32, card.known_exploited),
        assets: Vec::new(),
        due: card.due_at.as_deref().and_then(parse_utc),
        ops_owner: card.ops_owner.as_ref().map(|p| p.id.clone()),
        approver: card.approver.as_ref().map(|p| p.id.clone()),
        wants_plan: placed.is_none()
            && wants_plan(card.state)
            && card.findings > card.findings_fixed,
        settled: card.state.is_settled(),
        placed,
    }
}

/// Open assets of the given items, item id → asset ids: from the per-item aggregates
/// (`planning::stats`), recounted for items without a stored row.
fn open_assets(conn: &Connection, only: &[String]) -> Result<HashMap<String, Vec<String>>> {
    planning::stats::open_assets(conn, Some(only))
}

fn plan_asset(r: &rusqlite::Row<'_>) -> rusqlite::Result<PlanAsset> {
    let tags: Option<String> = r.get(3)?;
    let os: Option<String> = r.get(4)?;
    // The tags people gave the host, and those its operating system implies (`os:linux`...).
    let mut tags: Vec<String> = tags
        .map(|t| t.split('\u{1f}').map(String::from).collect())
        .unwrap_or_default();
    tags.extend(crate::planning::fixkey::os_tags(
        os.as_deref().unwrap_or(""),
    ));
    Ok(PlanAsset {
        id: r.get(0)?,
        name: r.get(1)?,
        ha_group: r.get(2)?,
        tags,
    })
}

/// Past this many, the assets are read by one pass over the table rather than one lookup each.
const SCAN_ASSETS_FROM: usize = 5_000;

/// The planner's view of the given assets (names, tags, HA group), in the order of `ids`; an id
/// the table does not have (deleted meanwhile) stands for itself.
fn plan_assets(conn: &Connection, ids: &[String]) -> Result<Vec<PlanAsset>> {
    let position: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut out: Vec<Option<PlanAsset>> = vec![None; ids.len()];
    let select = "SELECT a.id, a.name, a.ha_group,
                    (SELECT group_concat(tag, char(31)) FROM asset_tags t WHERE t.asset_id = a.id), a.os
                  FROM assets a";
    let mut keep = |a: PlanAsset| {
        if let Some(&i) = position.get(a.id.as_str()) {
            out[i] = Some(a);
        }
    };
    if ids.len() >= SCAN_ASSETS_FROM {
        let mut stmt = conn.prepare(select)?;
        for a in stmt.query_map([], plan_asset)? {
            keep(a?);
        }
    } else {
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = conn.prepare_cached(&format!("{select} WHERE a.id IN ({marks})"))?;
            for a in stmt.query_map(params_from_iter(chunk), plan_asset)? {
                keep(a?);
            }
        }
    }
    Ok(out
        .into_iter()
        .zip(ids)
        .map(|(a, id)| {
            a.unwrap_or_else(|| PlanAsset {
                id: id.clone(),
                name: id.clone(),
                tags: Vec::new(),
                ha_group: None,
            })
        })
        .collect())
}

/// Asset ids numbered in the order they are met: the planner's asset indexes. (Fx hashing: over
/// a million lookups of 36-byte ids it cut this step from 55 to 40–45 ms against SipHash, and the
/// ids are our own.)
#[derive(Default)]
struct AssetNumbers {
    index: rustc_hash::FxHashMap<String, usize>,
    ids: Vec<String>,
}

/// Asset ids sorted, and for each number handed out, its place in that order.
struct IdOrder {
    ids: Vec<String>,
    new_index: Vec<usize>,
}

impl AssetNumbers {
    fn into_id_order(self) -> IdOrder {
        let mut by_id: Vec<usize> = (0..self.ids.len()).collect();
        by_id.sort_unstable_by(|&a, &b| self.ids[a].cmp(&self.ids[b]));
        let mut new_index = vec![0; self.ids.len()];
        for (new, &old) in by_id.iter().enumerate() {
            new_index[old] = new;
        }
        let mut ids = self.ids;
        let mut sorted = Vec::with_capacity(ids.len());
        for &old in &by_id {
            sorted.push(std::mem::take(&mut ids[old]));
        }
        IdOrder {
            ids: sorted,
            new_index,
        }
    }

    fn number(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        self.ids.push(id.to_string());
        self.index.insert(id.to_string(), self.ids.len() - 1);
        self.ids.len() - 1
    }
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

/// Each step's time since the start, as a debug event of the planner's load (`truce
/// --verbose`, or `TRUCE_LOG=debug` for the app and the benchmarks).
fn tracer(name: &'static str) -> impl Fn(&str) {
    let t0 = std::time::Instant::now();
    move |what: &str| {
        tracing::debug!(
            target: "truce::plan",
            load = name,
            step = what,
            ms = format!("{:.2}", t0.elapsed().as_secs_f64() * 1e3),
            "planner load step"
        );
    }
}

/// Every work item, and the occurrences from the earliest placed one (or `now`) to `days` ahead.
pub fn whole(conn: &Connection, now: DateTime<Utc>, days: i64) -> Result<Planner> {
    let trace = tracer("whole");
    let cards = planning::list_items(conn, now)?;
    trace("cards");
    let placed = cards
        .iter()
        .filter(|c| !c.state.is_settled())
        .filter_map(|c| c.occurrence_start.as_deref().and_then(parse_utc));
    let from = placed.clone().min().unwrap_or(now).min(now);
    let to = placed.max().unwrap_or(now).max(now + Duration::days(days)) + Duration::days(1);
    let default_max = calendar::default_max_items(conn)?;
    let slots: Vec<Slot> = calendar::occurrences(conn, from, to)?
        .into_iter()
        .map(|o| slot(o, default_max))
        .collect();
    trace("occurrences");
    // A million (item, asset) pairs at most are numbered straight from the stored lists,
    // without a string each.
    let position: HashMap<&str, usize> = cards
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut numbers = AssetNumbers::default();
    let mut item_assets: Vec<Vec<usize>> = vec![Vec::new(); cards.len()];
    planning::stats::visit_open_assets(conn, None, |item, list| {
        if let Some(&i) = position.get(item) {
            item_assets[i] = list.split(',').map(|a| numbers.number(a)).collect();
        }
    })?;
    // In id order, as a drop check numbers them: messages that name "the first" asset of a
    // kind then name the same one whichever way the question was asked.
    let order = numbers.into_id_order();
    for list in &mut item_assets {
        for a in list.iter_mut() {
            *a = order.new_index[*a];
        }
    }
    trace("open assets");
    let items: Vec<PlanItem> = cards
        .iter()
        .zip(&item_assets)
        .map(|(c, a)| item_of(c, a.len()))
        .collect();
    let assets = plan_assets(conn, &order.ids)?;
    trace("assets");
    let planner = Planner::with_asset_indexes(now, slots, items, item_assets, assets);
    trace("planner");
    Ok(planner)
}

/// Items on occurrences overlapping a drop's target: (id, on the target itself).
type Near = Vec<(String, bool)>;

/// What a drop check needs of the items already placed in `slots` (the dragged `items` aside):
/// - the items on occurrences overlapping `occurrence` in time, as the planner needs them
///   (without their assets yet), and for each whether it sits on the target itself;
/// - for every other occurrence, only how many items it holds (its item capacity), counted in
///   the index without reading the items.
fn placed_around(
    conn: &Connection,
    items: &[String],
    slots: &[Slot],
    occurrence: &Occurrence,
    target: &OccurrenceKey,
) -> Result<(Vec<PlanItem>, Near, Vec<(OccurrenceKey, usize)>)> {
    let mut plan_items: Vec<PlanItem> = Vec::new();
    let mut near: Near = Vec::new();
    let overlapping: Vec<&Slot> = slots
        .iter()
        .filter(|s| s.start() < occurrence.end_utc && occurrence.start_utc < s.end_utc)
        .collect();
    let mut stmt = conn.prepare_cached(
        "SELECT id, title, state FROM work_items WHERE occurrence_start = ?1 AND window_id = ?2",
    )?;
    for s in &overlapping {
        let mut rows = stmt.query([crate::ids::utc_text(s.start()), s.key.window_id.clone()])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            if items.contains(&id) {
                continue;
            }
            let state = ItemState::parse(&r.get::<_, String>(2)?).unwrap_or(ItemState::Backlog);
            near.push((id.clone(), s.key == *target));
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
                placed: Some(s.key.clone()),
                wants_plan: false,
                settled: state.is_settled(),
            });
        }
    }
    let (Some(first), Some(last)) = (
        slots.iter().map(Slot::start).min(),
        slots.iter().map(Slot::start).max(),
    ) else {
        return Ok((plan_items, near, Vec::new()));
    };
    // The dragged items are given to the planner in full, wherever they are placed.
    let mut counts: Vec<(OccurrenceKey, usize)> = Vec::new();
    // Read from the occurrence index alone (migration 0009 put the window and id in it).
    let mut stmt = conn.prepare_cached(
        "SELECT window_id, occurrence_start, count(*),
                sum(id IN (SELECT value FROM json_each(?3)))
         FROM work_items WHERE occurrence_start >= ?1 AND occurrence_start <= ?2
         GROUP BY window_id, occurrence_start",
    )?;
    let dragged = serde_json::to_string(items).expect("ids serialize");
    let mut rows = stmt.query(rusqlite::params![
        crate::ids::utc_text(first),
        crate::ids::utc_text(last),
        dragged
    ])?;
    while let Some(r) = rows.next()? {
        let (Some(window_id), Some(start_utc)) = (
            r.get::<_, Option<String>>(0)?,
            parse_utc(&r.get::<_, String>(1)?),
        ) else {
            continue;
        };
        let key = OccurrenceKey {
            window_id,
            start_utc,
        };
        let n = r.get::<_, usize>(2)? - r.get::<_, usize>(3)?;
        if n > 0 && !overlapping.iter().any(|s| s.key == key) {
            counts.push((key, n));
        }
    }
    Ok((plan_items, near, counts))
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
    let trace = tracer("around");
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
    let default_max = calendar::default_max_items(conn)?;
    let slots: Vec<Slot> = calendar::occurrences(conn, from, to)?
        .into_iter()
        .map(|o| slot(o, default_max))
        .collect();
    trace("occurrences");
    let (mut plan_items, near, counts) = placed_around(conn, items, &slots, &occurrence, target)?;
    trace("placed");
    let mut dragged_assets = open_assets(conn, items)?;
    let first_dragged = plan_items.len();
    plan_items.extend(dragged.iter().map(|c| {
        let assets = dragged_assets.remove(&c.id).unwrap_or_default();
        let mut item = item_of(c, assets.len());
        item.assets = assets;
        item
    }));
    // The dragged items' assets in full: tags decide scope and blackouts.
    let mine: BTreeSet<String> = plan_items[first_dragged..]
        .iter()
        .flat_map(|i| i.assets.iter().cloned())
        .collect();
    let mine_list: Vec<String> = mine.iter().cloned().collect();
    let mut assets = plan_assets(conn, &mine_list)?;
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
    let mut assets_of = open_assets(conn, &wanted)?;
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
    if tracing::enabled!(target: "truce::plan", tracing::Level::DEBUG) {
        trace(&format!(
            "assets ({} occurrences, {} items, {} counted, {} with assets, {} assets)",
            slots.len(),
            plan_items.len(),
            counts.iter().map(|(_, n)| n).sum::<usize>(),
            plan_items.iter().filter(|i| !i.assets.is_empty()).count(),
            assets.len()
        ));
    }
    let mut planner = Planner::new(now, slots, plan_items, assets);
    for (key, n) in &counts {
        planner.add_unlisted(key, *n);
    }
    trace("planner");
    Ok(planner)
}
