//! The auto-planner: a proposal of occurrences for unplaced items.
//!
//! Items are taken earliest due date first (then highest risk, then id, so the same inputs give
//! the same plan), and each goes on the earliest maintenance occurrence that takes it without
//! a hard conflict or an asset booked twice and that ends by its due date; if none ends by
//! then, on the earliest that takes it at all (the breach is said). Earliest-deadline-first is
//! what minimises late items on a single resource; taking the earliest fitting occurrence then
//! keeps risk-days low. Nothing here writes: a person accepts the proposal.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{OccurrenceKey, Planner, SlotKind};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Placement {
    pub item_id: String,
    pub item_title: String,
    pub occurrence: OccurrenceKey,
    pub window_name: String,
    /// The occurrence's start in its window's zone.
    pub starts: String,
    pub meets_due: bool,
    pub due: Option<String>,
    /// Why this occurrence, in one line.
    pub why: String,
    /// Earlier occurrences passed over, by conflict code.
    pub skipped: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Unplaced {
    pub item_id: String,
    pub item_title: String,
    pub why: String,
    pub skipped: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Proposal {
    pub placements: Vec<Placement>,
    pub unplaced: Vec<Unplaced>,
    /// Placements that end after their item's due date.
    pub breaches: u32,
    /// Sum over placements of risk x days until the occurrence ends.
    pub risk_days: f64,
}

fn words(code: &str) -> &'static str {
    match code {
        "out_of_scope" => "out of scope",
        "in_blackout" => "in a blackout",
        "capacity_exceeded" => "full",
        "ha_group_together" => "HA partners would be down together",
        "asset_double_booked" => "an asset is booked elsewhere then",
        _ => "not possible",
    }
}

fn summary(skipped: &BTreeMap<String, u32>) -> String {
    let mut parts: Vec<(u32, &str)> = skipped.iter().map(|(k, &n)| (n, words(k))).collect();
    parts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    parts
        .iter()
        .map(|(n, w)| format!("{n} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Planner {
    /// Proposes an occurrence for every item that wants one, given what is placed already.
    pub fn propose(&self) -> Proposal {
        self.propose_among(None)
    }

    /// [`Planner::propose`] for the items in `among` only (the board's filtered backlog); the
    /// others keep their places and take none.
    pub fn propose_among(&self, among: Option<&HashSet<&str>>) -> Proposal {
        let mut order: Vec<usize> = (0..self.items.len())
            .filter(|&i| self.items[i].wants_plan && self.book.slot_of(i).is_none())
            .filter(|&i| among.is_none_or(|a| a.contains(self.items[i].id.as_str())))
            .collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&self.items[a], &self.items[b]);
            (x.due.is_none(), x.due)
                .cmp(&(y.due.is_none(), y.due))
                .then(y.risk.total_cmp(&x.risk))
                .then(x.id.cmp(&y.id))
        });
        let open: Vec<usize> = (0..self.slots.len())
            .filter(|&s| {
                self.slots[s].kind == SlotKind::Maintenance && self.slots[s].start() >= self.now
            })
            .collect();
        let mut book = self.book.clone();
        let mut proposal = Proposal {
            placements: Vec::new(),
            unplaced: Vec::new(),
            breaches: 0,
            risk_days: 0.0,
        };
        for i in order {
            let item = &self.items[i];
            let mut skipped: BTreeMap<String, u32> = BTreeMap::new();
            let mut chosen = None;
            let mut fallback = None;
            for &s in &open {
                let slot = &self.slots[s];
                if let (Some(due), Some(_)) = (item.due, fallback) {
                    if slot.start() >= due {
                        break; // nothing later can end by the due date
                    }
                }
                match self.blocking_in(&book, i, s) {
                    Some(code) => *skipped.entry(code.as_str().to_string()).or_insert(0) += 1,
                    None if item.due.is_none_or(|d| slot.end_utc <= d) => {
                        chosen = Some(s);
                        break;
                    }
                    None => {
                        fallback.get_or_insert(s);
                    }
                }
            }
            let Some(s) = chosen.or(fallback) else {
                let why = if open.is_empty() {
                    "No maintenance occurrence from now on in the planning horizon".to_string()
                } else {
                    format!(
                        "No occurrence can take it: {} checked — {}",
                        open.len(),
                        summary(&skipped)
                    )
                };
                proposal.unplaced.push(Unplaced {
                    item_id: item.id.clone(),
                    item_title: item.title.clone(),
                    why,
                    skipped,
                });
                continue;
            };
            book.place(i, s, &self.item_assets[i], &self.assets);
            let slot = &self.slots[s];
            let meets_due = chosen.is_some();
            let passed = if skipped.is_empty() {
                String::new()
            } else {
                format!(
                    " (passed over {}: {})",
                    skipped.values().sum::<u32>(),
                    summary(&skipped)
                )
            };
            let why = match item.due {
                None => format!("Earliest occurrence that takes it{passed}; no due date"),
                Some(due) if meets_due => format!(
                    "Earliest occurrence that takes it{passed}; ends before the due date {}",
                    due.format("%Y-%m-%d")
                ),
                Some(due) => {
                    proposal.breaches += 1;
                    format!(
                        "No occurrence ending by the due date {} can take it{passed}; this is the earliest that can, {} late",
                        due.format("%Y-%m-%d"),
                        super::conflicts::how_long(slot.end_utc - due)
                    )
                }
            };
            let days = (slot.end_utc - self.now).num_minutes() as f64 / 1440.0;
            proposal.risk_days += item.risk * days.max(0.0);
            proposal.placements.push(Placement {
                item_id: item.id.clone(),
                item_title: item.title.clone(),
                occurrence: slot.key.clone(),
                window_name: slot.name.clone(),
                starts: slot.local_label.clone(),
                meets_due,
                due: item.due.map(|d| d.to_rfc3339()),
                why,
                skipped,
            });
        }
        proposal
    }
}
