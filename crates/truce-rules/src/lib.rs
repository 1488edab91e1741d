//! Putting work items on change-window occurrences: the conflict rules and the auto-planner.
//!
//! Pure logic over plain values — no SQL, no clock, no I/O (this crate depends on none of them:
//! `crates/truce-core/tests/crate_graph.rs` checks it) — so the same rules answer a drop on
//! the board, the whole-plan check and the auto-plan, and property tests can drive them with
//! random plans.
//!
//! Hard conflicts (scope, blackout, capacity, high-availability group, the past, not a
//! maintenance occurrence) refuse a placement; soft ones (after the due date, an asset booked
//! in an overlapping occurrence, a missing owner or approver) ask a person to confirm with a reason.

mod autoplan;
mod book;
mod conflicts;
mod forecast;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use autoplan::{Placement, Proposal, Unplaced};
pub use conflicts::{Conflict, ConflictCode, ItemConflicts};
pub use forecast::RiskWeek;

use book::Book;

/// One concrete occurrence of a change window: the window and the UTC start of that occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub struct OccurrenceKey {
    pub window_id: String,
    #[ts(type = "string")]
    #[serde(with = "instant")]
    pub start_utc: DateTime<Utc>,
}

/// Instants as they cross to the page: the text the workspace stores them as (RFC 3339, UTC,
/// milliseconds), so a key the page builds from one answer matches a key from another. Read
/// from any RFC 3339 text.
pub mod instant {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.to_utc())
            .map_err(|e| serde::de::Error::custom(format!("'{text}' is not an RFC 3339 time: {e}")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum SlotKind {
    Maintenance,
    Blackout,
}

/// An occurrence as the planner sees it. `None` scope means "no restriction".
#[derive(Debug, Clone)]
pub struct Slot {
    pub key: OccurrenceKey,
    pub name: String,
    pub kind: SlotKind,
    pub end_utc: DateTime<Utc>,
    /// How the start reads in the window's own zone, for explanations ('Sat 2026-12-05 22:00 Europe/Berlin').
    pub local_label: String,
    pub environments: Option<Vec<String>>,
    pub asset_tags: Option<Vec<String>>,
    pub teams: Option<Vec<String>>,
    pub max_assets: Option<u32>,
    pub max_items: Option<u32>,
}

impl Slot {
    pub fn start(&self) -> DateTime<Utc> {
        self.key.start_utc
    }
}

/// An asset as the planner sees it.
#[derive(Debug, Clone)]
pub struct PlanAsset {
    pub id: String,
    pub name: String,
    pub tags: Vec<String>,
    /// Members of one high-availability group (both nodes of a cluster) must never be down together.
    pub ha_group: Option<String>,
}

/// A work item as the planner sees it: its open assets, due date, owners and current placement.
#[derive(Debug, Clone)]
pub struct PlanItem {
    pub id: String,
    pub title: String,
    pub team: Option<String>,
    pub team_name: Option<String>,
    pub environment: Option<String>,
    /// Ids of the assets still to fix (into the planner's asset list).
    pub assets: Vec<String>,
    pub due: Option<DateTime<Utc>>,
    /// Risk per day left open (severity weight x assets, more when known exploited): what
    /// the planner minimises after SLA breaches.
    pub risk: f64,
    pub ops_owner: Option<String>,
    pub approver: Option<String>,
    pub placed: Option<OccurrenceKey>,
    /// Whether the auto-planner may propose a place for it (unplaced and still to do).
    pub wants_plan: bool,
    /// Done, verified, deferred...: it keeps its place (and the capacity it uses) but is not checked.
    pub settled: bool,
}

/// The inputs of one planning question, indexed for fast checks.
pub struct Planner {
    now: DateTime<Utc>,
    slots: Vec<Slot>,
    slot_index: HashMap<OccurrenceKey, usize>,
    /// For each slot, the other slots whose time overlaps it (maintenance and blackout).
    overlaps: Vec<Vec<usize>>,
    items: Vec<PlanItem>,
    item_index: HashMap<String, usize>,
    /// Per item, its assets as indexes into `assets`.
    item_assets: Vec<Vec<usize>>,
    assets: Vec<PlanAsset>,
    book: Book,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("there is no work item {0}")]
    UnknownItem(String),
    #[error("{window} has no occurrence starting at {start}")]
    UnknownOccurrence { window: String, start: String },
}

impl Planner {
    /// `slots` in any order; items' `placed` must name slots in the list (others are ignored
    /// for the checks, as if unplaced, and reported by [`Planner::check_all`]). Items name
    /// their assets by id (`PlanItem::assets`); ids missing from `assets` are ignored.
    pub fn new(
        now: DateTime<Utc>,
        slots: Vec<Slot>,
        items: Vec<PlanItem>,
        assets: Vec<PlanAsset>,
    ) -> Planner {
        let asset_index: HashMap<&str, usize> = assets
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.as_str(), i))
            .collect();
        let item_assets: Vec<Vec<usize>> = items
            .iter()
            .map(|it| {
                it.assets
                    .iter()
                    .filter_map(|a| asset_index.get(a.as_str()).copied())
                    .collect()
            })
            .collect();
        Planner::with_asset_indexes(now, slots, items, item_assets, assets)
    }

    /// As [`Planner::new`], with each item's assets given as indexes into `assets` (in any
    /// order, repeats allowed) instead of by id: what a workspace with a million (item, asset)
    /// pairs can build without a string per pair. `PlanItem::assets` is not read.
    pub fn with_asset_indexes(
        now: DateTime<Utc>,
        mut slots: Vec<Slot>,
        items: Vec<PlanItem>,
        mut item_assets: Vec<Vec<usize>>,
        assets: Vec<PlanAsset>,
    ) -> Planner {
        assert_eq!(items.len(), item_assets.len(), "one asset list per item");
        slots.sort_by(|a, b| {
            (a.start(), &a.name, &a.key.window_id).cmp(&(b.start(), &b.name, &b.key.window_id))
        });
        let slot_index = slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.clone(), i))
            .collect();
        let overlaps = overlap_lists(&slots);
        for v in &mut item_assets {
            if !v.is_sorted() {
                v.sort_unstable();
            }
            v.dedup();
        }
        let item_index = items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.clone(), i))
            .collect();
        let mut book = Book::new(slots.len(), items.len());
        let mut planner = Planner {
            now,
            slots,
            slot_index,
            overlaps,
            items,
            item_index,
            item_assets,
            assets,
            book: Book::default(),
        };
        for i in 0..planner.items.len() {
            if let Some(s) = planner.items[i]
                .placed
                .as_ref()
                .and_then(|k| planner.slot_index.get(k).copied())
            {
                book.place(i, s, &planner.item_assets[i], &planner.assets);
            }
        }
        planner.book = book;
        planner
    }

    /// Counts `n` more items on occurrence `key` than the planner was given, for its item
    /// capacity (a drop check reads only the items around its target). Unknown keys are ignored.
    pub fn add_unlisted(&mut self, key: &OccurrenceKey, n: usize) {
        if let Some(&s) = self.slot_index.get(key) {
            self.book.slots[s].unlisted += n;
        }
    }

    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    pub fn items(&self) -> &[PlanItem] {
        &self.items
    }

    fn item(&self, id: &str) -> Result<usize, PlanError> {
        self.item_index
            .get(id)
            .copied()
            .ok_or_else(|| PlanError::UnknownItem(id.to_string()))
    }

    fn slot(&self, key: &OccurrenceKey) -> Result<usize, PlanError> {
        self.slot_index
            .get(key)
            .copied()
            .ok_or_else(|| PlanError::UnknownOccurrence {
                window: key.window_id.clone(),
                start: key.start_utc.to_rfc3339(),
            })
    }
}

/// For each slot, the indexes of the other slots overlapping it in time. Slots are sorted by start.
fn overlap_lists(slots: &[Slot]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); slots.len()];
    for i in 0..slots.len() {
        for j in i + 1..slots.len() {
            if slots[j].start() >= slots[i].end_utc {
                break;
            }
            out[i].push(j);
            out[j].push(i);
        }
    }
    out
}

/// Facts behind a conflict or an explanation, as name → value (shown as a small table).
pub type Facts = BTreeMap<String, String>;

pub(crate) fn facts<const N: usize>(pairs: [(&str, String); N]) -> Facts {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
