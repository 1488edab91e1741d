//! The conflict rules. Each rule finds its problem as indexes (cheap, for the auto-planner's
//! inner loop); `describe` turns a problem into the code, the one-line explanation and the
//! facts a person reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::book::Book;
use super::{facts, Facts, PlanError, Planner, SlotKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConflictCode {
    /// The occurrence is a blackout itself.
    NotAMaintenanceWindow,
    InThePast,
    OutOfScope,
    InBlackout,
    CapacityExceeded,
    HaGroupTogether,
    AssetDoubleBooked,
    AfterDueDate,
    MissingOpsOwner,
    MissingApprover,
}

impl ConflictCode {
    /// Hard conflicts refuse a placement; soft ones need a person's confirmation and reason.
    pub fn is_hard(self) -> bool {
        !matches!(
            self,
            ConflictCode::AssetDoubleBooked
                | ConflictCode::AfterDueDate
                | ConflictCode::MissingOpsOwner
                | ConflictCode::MissingApprover
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConflictCode::NotAMaintenanceWindow => "not_a_maintenance_window",
            ConflictCode::InThePast => "in_the_past",
            ConflictCode::OutOfScope => "out_of_scope",
            ConflictCode::InBlackout => "in_blackout",
            ConflictCode::CapacityExceeded => "capacity_exceeded",
            ConflictCode::HaGroupTogether => "ha_group_together",
            ConflictCode::AssetDoubleBooked => "asset_double_booked",
            ConflictCode::AfterDueDate => "after_due_date",
            ConflictCode::MissingOpsOwner => "missing_ops_owner",
            ConflictCode::MissingApprover => "missing_approver",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Conflict {
    pub code: ConflictCode,
    pub hard: bool,
    /// One line a person can read aloud in the CAB.
    pub message: String,
    pub facts: Facts,
}

/// The conflicts of one placed item, for the whole-plan check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ItemConflicts {
    pub item_id: String,
    pub item_title: String,
    pub occurrence: super::OccurrenceKey,
    pub window_name: String,
    pub conflicts: Vec<Conflict>,
}

/// A problem found by a rule, as indexes; `describe` words it.
#[derive(Debug, Clone)]
pub(super) enum Problem {
    Blackout,
    Past,
    Environment,
    Team,
    /// Assets without any of the window's tags: how many, and the first.
    Tags(usize, usize),
    InBlackout(usize),
    TooManyItems(usize, u32),
    TooManyAssets(usize, u32),
    /// (asset, its partner, the slot the partner is on; None when the item holds both)
    Ha(usize, usize, Option<usize>),
    DoubleBooked(usize, usize),
    AfterDue(DateTime<Utc>),
    NoOpsOwner,
    NoApprover,
}

impl Problem {
    pub fn code(&self) -> ConflictCode {
        match self {
            Problem::Blackout => ConflictCode::NotAMaintenanceWindow,
            Problem::Past => ConflictCode::InThePast,
            Problem::Environment | Problem::Team | Problem::Tags(..) => ConflictCode::OutOfScope,
            Problem::InBlackout(_) => ConflictCode::InBlackout,
            Problem::TooManyItems(..) | Problem::TooManyAssets(..) => {
                ConflictCode::CapacityExceeded
            }
            Problem::Ha(..) => ConflictCode::HaGroupTogether,
            Problem::DoubleBooked(..) => ConflictCode::AssetDoubleBooked,
            Problem::AfterDue(_) => ConflictCode::AfterDueDate,
            Problem::NoOpsOwner => ConflictCode::MissingOpsOwner,
            Problem::NoApprover => ConflictCode::MissingApprover,
        }
    }
}

fn listed(list: &Option<Vec<String>>, value: Option<&str>) -> bool {
    match list {
        None => true,
        Some(l) => value.is_some_and(|v| l.iter().any(|x| x == v)),
    }
}

impl Planner {
    /// Every conflict of putting item `item_id` on occurrence `key`, hard ones first. The item's
    /// current place (if any) does not count against it: this answers "what if it moved there".
    pub fn check(
        &self,
        item_id: &str,
        key: &super::OccurrenceKey,
    ) -> Result<Vec<Conflict>, PlanError> {
        let i = self.item(item_id)?;
        let s = self.slot(key)?;
        Ok(self.conflicts_in(&self.book, i, s))
    }

    /// Dropping several items at once: each is checked as if the ones before it had landed
    /// (three items onto an occurrence with room for two: the third is over capacity).
    pub fn check_many(
        &self,
        item_ids: &[String],
        key: &super::OccurrenceKey,
    ) -> Result<Vec<(String, Vec<Conflict>)>, PlanError> {
        let placements: Vec<(&str, &super::OccurrenceKey)> =
            item_ids.iter().map(|id| (id.as_str(), key)).collect();
        let checks = self.check_in_order(&placements, |_| true)?;
        Ok(item_ids.iter().cloned().zip(checks).collect())
    }

    /// Placements checked in order, each as if the ones before it that `lands` lets through
    /// had been carried out: accepting an auto-plan lands all but the refused ones.
    pub fn check_in_order(
        &self,
        placements: &[(&str, &super::OccurrenceKey)],
        mut lands: impl FnMut(&[Conflict]) -> bool,
    ) -> Result<Vec<Vec<Conflict>>, PlanError> {
        let mut book = self.book.clone();
        let mut out = Vec::with_capacity(placements.len());
        for &(id, key) in placements {
            let i = self.item(id)?;
            let s = self.slot(key)?;
            let conflicts = self.conflicts_in(&book, i, s);
            if lands(&conflicts) {
                book.remove(i, &self.item_assets[i], &self.assets);
                book.place(i, s, &self.item_assets[i], &self.assets);
            }
            out.push(conflicts);
        }
        Ok(out)
    }

    fn conflicts_in(&self, book: &Book, i: usize, s: usize) -> Vec<Conflict> {
        let mut problems = Vec::new();
        self.problems(book, i, s, &mut |p| {
            problems.push(p);
            true
        });
        let mut out: Vec<Conflict> = problems.iter().map(|p| self.describe(i, s, p)).collect();
        out.sort_by_key(|c| (!c.hard, c.code));
        out
    }

    /// The conflicts of every placed item that is not settled (done, verified ...).
    pub fn check_all(&self) -> Vec<ItemConflicts> {
        let mut out = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            let Some(s) = self.book.slot_of(i) else {
                continue;
            };
            if item.settled {
                continue;
            }
            let conflicts = self.conflicts_in(&self.book, i, s);
            if !conflicts.is_empty() {
                out.push(ItemConflicts {
                    item_id: item.id.clone(),
                    item_title: item.title.clone(),
                    occurrence: self.slots[s].key.clone(),
                    window_name: self.slots[s].name.clone(),
                    conflicts,
                });
            }
        }
        out
    }

    /// The first problem that the auto-planner must avoid (hard, or an asset booked twice), if any.
    pub(super) fn blocking_in(&self, book: &Book, i: usize, s: usize) -> Option<ConflictCode> {
        let mut found = None;
        self.problems(book, i, s, &mut |p| {
            let code = p.code();
            if code.is_hard() || code == ConflictCode::AssetDoubleBooked {
                found = Some(code);
                false
            } else {
                true
            }
        });
        found
    }

    /// Calls `found` with each problem, cheapest rules first, until it returns false.
    fn problems(&self, book: &Book, i: usize, s: usize, found: &mut dyn FnMut(Problem) -> bool) {
        let item = &self.items[i];
        let slot = &self.slots[s];
        let mine = &self.item_assets[i];
        macro_rules! report {
            ($p:expr) => {
                if !found($p) {
                    return;
                }
            };
        }
        if slot.kind == SlotKind::Blackout {
            report!(Problem::Blackout);
        }
        if slot.start() < self.now {
            report!(Problem::Past);
        }
        if !listed(&slot.environments, item.environment.as_deref()) {
            report!(Problem::Environment);
        }
        if !listed(&slot.teams, item.team.as_deref()) {
            report!(Problem::Team);
        }
        if let Some(tags) = &slot.asset_tags {
            let outside: Vec<usize> = mine
                .iter()
                .copied()
                .filter(|&a| !self.assets[a].tags.iter().any(|t| tags.contains(t)))
                .collect();
            if let Some(&first) = outside.first() {
                report!(Problem::Tags(outside.len(), first));
            }
        }
        for &o in &self.overlaps[s] {
            if self.slots[o].kind == SlotKind::Blackout && self.blackout_covers(o, i) {
                report!(Problem::InBlackout(o));
            }
        }
        if let Some(max) = slot.max_items {
            let n = book.other_items(s, i) + 1;
            if n > max as usize {
                report!(Problem::TooManyItems(n - 1, max));
            }
        }
        if let Some(max) = slot.max_assets {
            let n = book.assets_with(s, mine);
            if n > max as usize {
                report!(Problem::TooManyAssets(n, max));
            }
        }
        if let Some(p) = self.ha_problem(book, i, s) {
            report!(p);
        }
        for &a in mine {
            let twice = self.overlaps[s].iter().copied().find(|&o| {
                self.slots[o].kind == SlotKind::Maintenance && book.has_asset_besides(o, a, i, mine)
            });
            if let Some(o) = twice {
                report!(Problem::DoubleBooked(a, o));
                break;
            }
        }
        if let Some(due) = item.due {
            if slot.end_utc > due {
                report!(Problem::AfterDue(due));
            }
        }
        if item.ops_owner.is_none() {
            report!(Problem::NoOpsOwner);
        }
        if item.approver.is_none() {
            report!(Problem::NoApprover);
        }
    }

    /// A blackout with no scope freezes everything; a scoped one freezes items of its
    /// environments and teams, and items touching any asset with one of its tags.
    fn blackout_covers(&self, b: usize, i: usize) -> bool {
        let blackout = &self.slots[b];
        let item = &self.items[i];
        listed(&blackout.environments, item.environment.as_deref())
            && listed(&blackout.teams, item.team.as_deref())
            && blackout.asset_tags.as_ref().is_none_or(|tags| {
                self.item_assets[i]
                    .iter()
                    .any(|&a| self.assets[a].tags.iter().any(|t| tags.contains(t)))
            })
    }

    /// Two members of one HA group down at once: both in this item, or one here and one in
    /// this occurrence or an overlapping one through another item.
    fn ha_problem(&self, book: &Book, i: usize, s: usize) -> Option<Problem> {
        let mine = &self.item_assets[i];
        for (k, &a) in mine.iter().enumerate() {
            let Some(group) = &self.assets[a].ha_group else {
                continue;
            };
            if let Some(&b) = mine[k + 1..]
                .iter()
                .find(|&&b| self.assets[b].ha_group.as_ref() == Some(group))
            {
                return Some(Problem::Ha(a, b, None));
            }
            for o in std::iter::once(s).chain(self.overlaps[s].iter().copied()) {
                if self.slots[o].kind != SlotKind::Maintenance {
                    continue;
                }
                if let Some(b) = book.ha_partner(o, group, a, i, mine) {
                    return Some(Problem::Ha(a, b, Some(o)));
                }
            }
        }
        None
    }

    /// The latest maintenance occurrence from now that ends by `due` and takes the item without
    /// a hard conflict (what "the last window that meets it" names).
    pub(super) fn last_meeting(&self, i: usize, due: DateTime<Utc>) -> Option<usize> {
        (0..self.slots.len())
            .rev()
            .filter(|&o| {
                let slot = &self.slots[o];
                slot.kind == SlotKind::Maintenance
                    && slot.end_utc <= due
                    && slot.start() >= self.now
            })
            .find(|&o| {
                self.blocking_in(&self.book, i, o)
                    .is_none_or(|c| !c.is_hard())
            })
    }

    pub(super) fn describe(&self, i: usize, s: usize, p: &Problem) -> Conflict {
        let item = &self.items[i];
        let slot = &self.slots[s];
        let when = &slot.local_label;
        let name = &slot.name;
        let asset = |a: usize| self.assets[a].name.clone();
        let (message, facts) = match p {
            Problem::Blackout => (
                format!("“{name}” is a blackout: nothing can be scheduled in it"),
                facts([("window", name.clone()), ("starts", when.clone())]),
            ),
            Problem::Past => (
                format!("“{name}” on {when} has already started"),
                facts([
                    ("window", name.clone()),
                    ("starts", when.clone()),
                    ("now", self.now.to_rfc3339()),
                ]),
            ),
            Problem::Environment => {
                let envs = slot.environments.as_deref().unwrap_or_default().join(", ");
                let env = item.environment.clone().unwrap_or_else(|| "unknown".into());
                (
                    format!("“{name}” is for {envs}; this item's environment is {env}"),
                    facts([("window_environments", envs), ("item_environment", env)]),
                )
            }
            Problem::Team => {
                let team = item.team_name.clone().unwrap_or_else(|| "no team".into());
                (
                    format!("“{name}” is not open to {team}"),
                    facts([("item_team", team)]),
                )
            }
            Problem::Tags(n, first) => {
                let tags = slot.asset_tags.as_deref().unwrap_or_default().join(", ");
                (
                    format!("{n} of the item's assets (first {}) have none of the tags {tags} that “{name}” is for", asset(*first)),
                    facts([("window_tags", tags), ("assets_outside", n.to_string()), ("first", asset(*first))]),
                )
            }
            Problem::InBlackout(b) => {
                let blackout = &self.slots[*b];
                (
                    format!(
                        "“{name}” on {when} falls in the blackout “{}” ({} – {})",
                        blackout.name,
                        blackout.start().format("%Y-%m-%d %H:%M UTC"),
                        blackout.end_utc.format("%Y-%m-%d %H:%M UTC")
                    ),
                    facts([
                        ("blackout", blackout.name.clone()),
                        ("blackout_start", blackout.start().to_rfc3339()),
                        ("blackout_end", blackout.end_utc.to_rfc3339()),
                    ]),
                )
            }
            Problem::TooManyItems(others, max) => (
                format!(
                    "“{name}” on {when} takes at most {max} item{}; with this one it would hold {}",
                    if *max == 1 { "" } else { "s" },
                    others + 1
                ),
                facts([
                    ("items", (others + 1).to_string()),
                    ("max_items", max.to_string()),
                ]),
            ),
            Problem::TooManyAssets(would, max) => (
                format!("“{name}” on {when} would hold {would} assets; its limit is {max}"),
                facts([
                    ("assets", would.to_string()),
                    ("max_assets", max.to_string()),
                ]),
            ),
            Problem::Ha(a, b, other) => {
                let group = self.assets[*a].ha_group.clone().unwrap_or_default();
                let message = match other {
                    None => format!(
                        "{} and {} are both in HA group {group}: this item would take them down together (split it by node)",
                        asset(*a),
                        asset(*b)
                    ),
                    Some(o) => format!(
                        "{} and {} are both in HA group {group}: {} is already booked in “{}” at the same time",
                        asset(*a),
                        asset(*b),
                        asset(*b),
                        self.slots[*o].name
                    ),
                };
                (
                    message,
                    facts([
                        ("ha_group", group),
                        ("asset", asset(*a)),
                        ("partner", asset(*b)),
                    ]),
                )
            }
            Problem::DoubleBooked(a, o) => (
                format!(
                    "{} is also booked in “{}” on {}, which overlaps",
                    asset(*a),
                    self.slots[*o].name,
                    self.slots[*o].local_label
                ),
                facts([
                    ("asset", asset(*a)),
                    ("other_window", self.slots[*o].name.clone()),
                ]),
            ),
            Problem::AfterDue(due) => {
                let late = how_long(slot.end_utc - *due);
                let last = match self.last_meeting(i, *due) {
                    Some(o) => format!(
                        "the last window that meets it is “{}” on {}",
                        self.slots[o].name, self.slots[o].local_label
                    ),
                    None => "no window before it can take this item".to_string(),
                };
                (
                    format!(
                        "Ends {late} after the due date {}: {last}",
                        due.format("%Y-%m-%d")
                    ),
                    facts([
                        ("due", due.to_rfc3339()),
                        ("ends", slot.end_utc.to_rfc3339()),
                        ("last_window", last),
                    ]),
                )
            }
            Problem::NoOpsOwner => (
                "No ops owner is assigned".to_string(),
                facts([("item", item.title.clone())]),
            ),
            Problem::NoApprover => (
                "No approver is assigned".to_string(),
                facts([("item", item.title.clone())]),
            ),
        };
        let code = p.code();
        Conflict {
            code,
            hard: code.is_hard(),
            message,
            facts,
        }
    }
}

/// A span as people say it: "5 hours", "12 days", "4 months", "13 years" (not "4815.5 days").
pub fn how_long(span: chrono::Duration) -> String {
    let hours = span.num_hours();
    let days = hours as f64 / 24.0;
    let (n, unit) = if hours < 48 {
        (hours.max(1) as f64, "hour")
    } else if days < 60.0 {
        (days, "day")
    } else if days < 730.0 {
        (days / 30.44, "month")
    } else {
        (days / 365.25, "year")
    };
    let n = n.round() as i64;
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod how_long_tests {
    use super::how_long;
    use chrono::Duration;

    #[test]
    fn spans_read_in_the_unit_people_use() {
        assert_eq!(how_long(Duration::minutes(20)), "1 hour");
        assert_eq!(how_long(Duration::hours(30)), "30 hours");
        assert_eq!(how_long(Duration::hours(12 * 24 + 6)), "12 days");
        assert_eq!(how_long(Duration::days(120)), "4 months");
        // The example: an item overdue since 2013.
        assert_eq!(
            how_long(Duration::hours((4815.5 * 24.0) as i64)),
            "13 years"
        );
    }
}
